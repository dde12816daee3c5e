"""Ten languages end to end: menu, rights, the rights by text received by the stand-in."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from hotline.app import create_app, make_dispatcher
from hotline.config import PROJECT_ROOT, Settings
from hotline.deps import Runtime
from hotline.i18n.audio import message_id
from hotline.models import OutboxMessage
from hotline.privacy import retention
from hotline.privacy.pseudonym import Keyring
from hotline.rights.texts import TEXT_HEADER
from hotline.simulator.call import CallResult
from hotline.simulator.standin import StandinRecord
from hotline.telephony.fake import FakeGateway
from hotline.telephony.twilio_gateway import TwilioGateway
from hotline.voice import messages as voice_messages
from tests.support import (
    ACCOUNT_SID,
    ATTESTED,
    CALLER,
    HOTLINE,
    PUBLIC_URL,
    TOKEN,
    place_call,
    signed_post,
)

TAGALOG_LINE = "+13125550102"
MENU_DIGITS = {"en": "1", "es": "2", "zh": "3", "pl": "4", "ar": "5", "uk": "6", "ru": "7",
               "fr": "8", "ht": "9"}  # fmt: skip
WAIT = "-"


def call(
    client: TestClient,
    keys: list[str],
    *,
    caller: str = CALLER,
    to: str = HOTLINE,
    attestation: str | None = ATTESTED,
) -> CallResult:
    return place_call(client, keys, caller=caller, to=to, attestation=attestation)


def offered(result: CallResult) -> list[str]:
    return [h.text for h in result.transcript if h.kind == "say"]


def runtime_of(app: FastAPI) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


@pytest.fixture
def line_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"line_languages": {TAGALOG_LINE: "tl"}})


@pytest.fixture
def standin_app(
    line_settings: Settings,
    engine: Engine,
    keyring: Keyring,
    standin: tuple[str, StandinRecord],
) -> FastAPI:
    gateway = TwilioGateway(account_sid=ACCOUNT_SID, auth_token=TOKEN, api_url=standin[0])
    return create_app(line_settings, engine=engine, gateway=gateway, keyring=keyring)


@pytest.mark.parametrize("code", [*MENU_DIGITS, "tl"])
def test_each_language_menu_rights_and_the_text_copy(
    standin_app: FastAPI, standin_record: StandinRecord, engine: Engine, code: str
) -> None:
    with TestClient(standin_app) as client:
        runtime = runtime_of(standin_app)
        t = runtime.catalogs.translator(code)
        if code == "tl":
            result = call(client, ["2", "3", "0", WAIT, WAIT, WAIT], to=TAGALOG_LINE)
        else:
            result = call(client, [MENU_DIGITS[code], "2", "3", "0", WAIT, WAIT, WAIT])
        heard = offered(result)
        assert t(voice_messages.MAIN_URGENT) in heard
        assert t(voice_messages.RIGHTS_PART, number="1", total="7") in heard
        assert t(voice_messages.TEXT_SENDING) in heard
        assert result.ended_by == "hangup"

        runtime.recorder.flush()
        make_dispatcher(runtime.settings, runtime).run_once()

    parts = runtime.rights_texts[code]
    texts = [m for m in standin_record.messages if m["to"] == CALLER]
    assert [m["body"] for m in texts] == list(parts)
    assert {m["from"] for m in texts} == {TAGALOG_LINE if code == "tl" else HOTLINE}
    assert t(TEXT_HEADER) in texts[0]["body"]
    assert all(len(m["body"]) <= 1600 for m in texts)
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage)).all()
    assert {(r.status, r.language) for r in rows} == {("queued", code)}
    assert all(r.recipient_sealed is None and r.body_sealed is None for r in rows)


def test_pressing_for_the_text_twice_sends_it_once(
    app: FastAPI, engine: Engine, gateway: FakeGateway
) -> None:
    with TestClient(app) as client:
        call(client, ["2", "2", "3", "3", "0"])
        runtime = runtime_of(app)
        runtime.recorder.flush()
        make_dispatcher(runtime.settings, runtime).run_once()
    assert len(gateway.messages) == len(runtime_of(app).rights_texts["es"])


def test_a_hidden_number_hears_why_no_text_comes(app: FastAPI, gateway: FakeGateway) -> None:
    with TestClient(app) as client:
        result = call(client, ["1", "2", "3", "0"], caller="anonymous")
        runtime = runtime_of(app)
        runtime.recorder.flush()
        make_dispatcher(runtime.settings, runtime).run_once()
    assert "We cannot send a text message to this phone, because its number is hidden." in offered(
        result
    )
    assert gateway.messages == []


def test_a_returning_caller_is_greeted_in_their_language_until_forgotten(
    app: FastAPI, engine: Engine, settings: Settings
) -> None:
    with TestClient(app) as client:
        call(client, ["7", "0"])  # Russian
        runtime = runtime_of(app)
        again = call(client, ["0"])
        assert offered(again)[0].startswith("Если иммиграционные агенты")
        # Another process reads it from the database, not from this one's memory.
        runtime.recorder.flush()
        other = create_app(settings, engine=engine, gateway=FakeGateway(), keyring=runtime.keyring)
        with TestClient(other) as other_client:
            assert offered(call(other_client, ["0"]))[0].startswith("Если иммиграционные")
            # Nine still changes the language, and the new choice is remembered.
            call(other_client, ["9", "2", "0"])
            assert offered(call(other_client, ["0"]))[0].startswith("Si hay agentes")
        # A stranger still hears the language menu.
        assert offered(call(client, ["1"], caller="+13125550177"))[0] == "For English, press 1."

    later = settings.model_copy(update={"remember_language_days": 0})
    runtime.recorder.flush()
    retention.purge(engine, later)
    fresh = create_app(settings, engine=engine, gateway=FakeGateway(), keyring=runtime.keyring)
    with TestClient(fresh) as client:
        assert offered(call(client, ["1"]))[0] == "For English, press 1."


def test_a_line_bound_to_a_language_skips_the_menu(
    line_settings: Settings, engine: Engine, keyring: Keyring
) -> None:
    app = create_app(line_settings, engine=engine, gateway=FakeGateway(), keyring=keyring)
    with TestClient(app) as client:
        result = call(client, ["0"], to=TAGALOG_LINE)
    t = runtime_of(app).catalogs.translator("tl")
    assert offered(result)[0] == t(voice_messages.MAIN_URGENT)
    assert {h.language for h in result.transcript if h.kind == "say"} == {"fil-PH"}


def test_haitian_creole_plays_recordings_and_falls_back_to_the_stand_in_voice(
    settings: Settings, engine: Engine, keyring: Keyring, tmp_path: Path
) -> None:
    audio = tmp_path / "audio"
    (audio / "ht").mkdir(parents=True)
    (audio / "ht" / f"{message_id(voice_messages.MAIN_URGENT)}.wav").write_bytes(b"RIFF")
    with_audio = settings.model_copy(update={"audio_dir": audio})
    app = create_app(with_audio, engine=engine, gateway=FakeGateway(), keyring=keyring)
    with TestClient(app) as client:
        result = call(client, ["9", "0"])
        recording = client.get(f"/audio/ht/{message_id(voice_messages.MAIN_URGENT)}.wav")
    heard = [h for h in result.transcript if not h.interrupted]
    assert heard[0].kind == "play"
    assert heard[0].text == f"{PUBLIC_URL}/audio/ht/{message_id(voice_messages.MAIN_URGENT)}.wav"
    # No recording for the rest: the French voice says the Creole text.
    assert heard[1].kind == "say"
    assert heard[1].language == "fr-FR"
    # The text copy is offered in the main menu of a language without a voice.
    t = runtime_of(app).catalogs.translator("ht")
    assert t(voice_messages.MAIN_TEXT_RIGHTS) in [h.text for h in heard]
    assert recording.status_code == 200


def test_an_eleventh_language_is_a_folder_and_a_catalog(
    settings: Settings, engine: Engine, keyring: Keyring, tmp_path: Path
) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(PROJECT_ROOT / "locales", locales)
    folder = locales / "pt"
    (folder / "LC_MESSAGES").mkdir(parents=True)
    (folder / "language.toml").write_text(
        'name = "Portuguese"\nendonym = "Português"\ndigit = "0"\n'
        'say_language = "pt-BR"\nvoice = "Polly.Camila-Neural"\n'
        '[keywords]\nrights = ["DIREITOS"]\n',
        encoding="utf-8",
    )
    # A catalog that translates one sentence is enough for the registry to take it.
    po = folder / "LC_MESSAGES" / "hotline.po"
    po.write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgctxt "voice"\nmsgid "For English, press %(digit)s."\n'
        'msgstr "Para português, aperte %(digit)s."\n',
        encoding="utf-8",
    )
    with po.open("rb") as source, (folder / "LC_MESSAGES" / "hotline.mo").open("wb") as target:
        write_mo(target, read_po(source))
    eleven = settings.model_copy(
        update={
            "locales_dir": locales,
            "languages": [*settings.languages, "pt"],
            "voice_menu": [*settings.voice_menu, "pt"],
        }
    )
    app = create_app(eleven, engine=engine, gateway=FakeGateway(), keyring=keyring)
    with TestClient(app) as client:
        result = call(client, [WAIT, WAIT, WAIT, WAIT])
    languages = [h.language for h in result.transcript if h.kind == "say"]
    assert languages[9] == "pt-BR"
    assert offered(result)[9] == "Para português, aperte 0."
    assert runtime_of(app).catalogs.language("pt").words("rights") == ("DIREITOS",)


def test_the_outbox_keeps_no_number_once_sent_and_forgets_old_rows(
    app: FastAPI, engine: Engine, settings: Settings
) -> None:
    with TestClient(app) as client:
        call(client, ["2", "2", "3", "0"])
        runtime = runtime_of(app)
        runtime.recorder.flush()
        make_dispatcher(runtime.settings, runtime).run_once()
    future = timedelta(days=31)
    purged = retention.purge(engine, settings, now=datetime.now(UTC) + future)
    assert purged.outbox_deleted == len(runtime_of(app).rights_texts["es"])


def test_a_number_that_cannot_get_texts_hears_the_same_and_the_row_fails_with_the_code(
    standin_app: FastAPI, standin_record: StandinRecord, engine: Engine
) -> None:
    cannot_text = "+15005550009"  # the stand-in refuses it as Twilio does: error 21614
    with TestClient(standin_app) as client:
        result = call(client, ["1", "2", "3", "0"], caller=cannot_text)
        runtime = runtime_of(standin_app)
        runtime.recorder.flush()
        make_dispatcher(runtime.settings, runtime).run_once()
    assert runtime.catalogs.translator("en")(voice_messages.TEXT_SENDING) in offered(result)
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage)).all()
    assert rows
    assert {(r.status, r.error_code) for r in rows} == {("failed", 21614)}
    assert all(r.recipient_sealed is None and r.body_sealed is None for r in rows)
    assert standin_record.messages == []


def test_status_callbacks_reach_the_row_through_the_signed_webhook(
    app: FastAPI, engine: Engine, gateway: FakeGateway
) -> None:
    with TestClient(app) as client:
        call(client, ["1", "2", "3", "0"])
        runtime = runtime_of(app)
        runtime.recorder.flush()
        make_dispatcher(runtime.settings, runtime).run_once()
        callback = gateway.messages[0]["status_callback"]
        assert callback is not None
        sid = "SM" + "0" * 31 + "1"
        for status in ("delivered", "sent", "delivered"):
            form = {"MessageSid": sid, "MessageStatus": status, "AccountSid": ACCOUNT_SID}
            assert signed_post(client, callback, form).status_code == 204
        unknown = f"{PUBLIC_URL}/twilio/sms/status?message=999999"
        assert signed_post(client, unknown, {"MessageStatus": "failed"}).status_code == 204
        runtime.recorder.flush()
    with Session(engine) as session:
        first_part = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).first()
    assert first_part is not None
    assert first_part.status == "delivered"
