"""What a spoofed call can spend: the rights by text once per call, a few times a day per
number, never abroad; and the caller told honestly either way."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from hotline.app import make_dispatcher
from hotline.deps import Runtime
from hotline.models import OutboxMessage
from hotline.telephony.fake import FakeGateway
from hotline.voice import messages as voice_messages
from tests.support import ATTESTED, place_call

VICTIM = "+13125550163"
ABROAD = "+447911123456"
RIGHTS_KEYS = ["2", "2", "3", "0"]  # Español, rights, by text, main menu


def runtime_of(app: FastAPI) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


def heard(client: TestClient, keys: list[str], **options: str | None) -> list[str]:
    result = place_call(client, keys, **options)  # type: ignore[arg-type]
    return [h.text for h in result.transcript if h.kind == "say"]


def sent(app: FastAPI, gateway: FakeGateway) -> list[str]:
    runtime = runtime_of(app)
    runtime.recorder.flush()
    make_dispatcher(runtime.settings, runtime).run_once()
    return [m["to"] or "" for m in gateway.messages]


def test_the_rights_go_once_per_call_whatever_the_language(
    app: FastAPI, gateway: FakeGateway
) -> None:
    es = runtime_of(app).catalogs.translator("es")
    en = runtime_of(app).catalogs.translator("en")
    with TestClient(app) as client:
        said = heard(
            client, ["2", "2", "3", "3", "0", "9", "1", "2", "3", "0"], caller=VICTIM,
            attestation=ATTESTED,
        )  # fmt: skip
    assert said.count(es(voice_messages.TEXT_SENDING)) == 1
    assert es(voice_messages.TEXT_ALREADY_SENT) in said
    assert en(voice_messages.TEXT_ALREADY_SENT) in said
    parts = len(runtime_of(app).rights_texts["es"])
    assert sent(app, gateway) == [VICTIM] * parts


def test_a_number_gets_the_rights_three_times_a_day_then_no_more(
    app: FastAPI, engine: Engine, gateway: FakeGateway
) -> None:
    runtime = runtime_of(app)
    es = runtime.catalogs.translator("es")
    parts = len(runtime.rights_texts["es"])
    with TestClient(app) as client:
        for _ in range(3):
            assert es(voice_messages.TEXT_SENDING) in heard(
                client, RIGHTS_KEYS, caller=VICTIM, attestation=ATTESTED
            )
        # The carrier vouches for the number: the caller is told the texts went today.
        assert es(voice_messages.TEXT_ALREADY_SENT) in heard(
            client, RIGHTS_KEYS, caller=VICTIM, attestation=ATTESTED
        )
        # Unvouched (perhaps spoofed): told what any caller is told, and nothing is sent.
        for _ in range(5):
            assert es(voice_messages.TEXT_SENDING_UNLESS) in heard(
                client, RIGHTS_KEYS, caller=VICTIM
            )
    assert sent(app, gateway) == [VICTIM] * parts * 3
    with Session(engine) as session:
        assert len(session.exec(select(OutboxMessage)).all()) == parts * 3


def test_a_stranger_unvouched_hears_what_a_capped_number_hears_and_is_sent_the_texts(
    app: FastAPI, gateway: FakeGateway
) -> None:
    es = runtime_of(app).catalogs.translator("es")
    with TestClient(app) as client:
        said = heard(client, RIGHTS_KEYS, caller="+13125550164")
    assert es(voice_messages.TEXT_SENDING_UNLESS) in said
    assert sent(app, gateway) == ["+13125550164"] * len(runtime_of(app).rights_texts["es"])


def test_a_number_from_abroad_is_told_and_sent_nothing_nor_called_back(
    app: FastAPI, gateway: FakeGateway
) -> None:
    es = runtime_of(app).catalogs.translator("es")
    with TestClient(app) as client:
        said = heard(client, RIGHTS_KEYS, caller=ABROAD, attestation=ATTESTED)
    assert es(voice_messages.TEXT_ABROAD) in said
    assert sent(app, gateway) == []
