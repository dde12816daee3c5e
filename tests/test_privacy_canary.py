"""No plain caller number anywhere: raw database files, logs and output are searched, after
calls, texts, and texts that report, subscribe to alerts and answer a responder."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text

from hotline import db
from hotline import logging as hotline_logging
from hotline.app import create_app, make_dispatcher
from hotline.auth import console as console_auth
from hotline.auth import service as auth_service
from hotline.config import Settings
from hotline.deps import Runtime
from hotline.models import metadata
from hotline.privacy.pseudonym import Keyring
from hotline.simulator.call import DialAnswer
from hotline.telephony.fake import FakeGateway
from tests.rapid.conftest import Field, field_fixture
from tests.support import HOTLINE, call_params, place_call, signed_post
from tests.voice.test_urgent import hotline

__all__ = ["field_fixture", "hotline"]

CANARY = "+17735550199"
# The forms a number takes in text: E.164, bare digits, and the local part alone.
CANARY_FORMS = [CANARY, CANARY[1:], CANARY[2:], "5550199"]
# A text's words are never kept either.
CANARY_BODY = "they took my brother at the Damen bus stop"
PATHS = [
    ["1", "2", "-", "0"],  # English, rights
    ["2", "1"],  # Spanish, urgent help, answered
    ["2", "4", "0", "9", "1", "-", "-", "-"],  # resources, change language, silence
    ["-", "-", "1", "1"],  # silence into English, urgent, nobody answers
    ["5", "2", "3", "0"],  # Arabic, rights, the rights by text message
    ["2", "3", "1", "60623", "1", "1", "-", "-", "-"],  # Spanish, a report by keys
]


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(hotline_logging.JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous)


def leaks(blob: bytes) -> list[str]:
    return [form for form in [*CANARY_FORMS, CANARY_BODY] if form.encode() in blob]


def place_calls(client: TestClient) -> None:
    for keys in PATHS:
        outcome = "completed" if keys[:2] == ["2", "1"] else "no-answer"
        place_call(
            client,
            keys,
            caller=CANARY,
            answer=lambda _n, outcome=outcome: DialAnswer(status=outcome),  # type: ignore[misc]
        )
    # Bad input too: an unsigned request and a status callback from the canary.
    client.post("/twilio/voice", data=call_params(From=CANARY))
    signed_post(client, "/twilio/voice/status", call_params(From=CANARY, CallStatus="completed"))
    for number, body in enumerate(["hola", "2", "DERECHOS", CANARY_BODY, "PARAR", "INICIAR"]):
        sms = {"From": CANARY, "To": HOTLINE, "Body": body, "MessageSid": f"SMcanary{number:026d}"}
        assert signed_post(client, "/twilio/sms", sms).status_code == 200


def test_no_table_file_or_log_holds_the_caller_number(
    settings: Settings,
    keyring: Keyring,
    engine: Engine,
    captured_logs: io.StringIO,
    capfd: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    # An open connection keeps SQLite's -wal file on disk (the last one to close
    # folds it into the main file), so both files can be searched as they are.
    keeper = engine.connect()
    keeper.execute(text("SELECT 1"))
    gateway = FakeGateway()
    app = create_app(settings, engine=engine, gateway=gateway, keyring=keyring)
    with TestClient(app) as client:
        place_calls(client)
        runtime: Runtime = app.state.runtime
        runtime.recorder.flush()
        make_dispatcher(settings, runtime).run_once()
    assert CANARY in {m["to"] for m in gateway.messages}, "the text copy must have gone out"

    with engine.connect() as connection:
        rows = sum(
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables
        )
        assert rows > 20, "the calls must have written events for the search to mean anything"
        dumped = "\n".join(
            repr(row)
            for table in metadata.sorted_tables
            for row in connection.execute(table.select())
        )
    assert leaks(dumped.encode()) == []

    if engine.dialect.name == "sqlite":
        files = [p for p in tmp_path.rglob("*") if p.is_file() and ".db" in p.name]
        assert any(p.name.endswith("-wal") for p in files), "the WAL file must be searched too"
        for path in files:
            assert leaks(path.read_bytes()) == [], path.name

    keeper.close()
    assert leaks(captured_logs.getvalue().encode()) == []
    out, err = capfd.readouterr()
    assert leaks((out + err).encode()) == []


def test_no_console_page_holds_the_caller_number_or_words(
    settings: Settings, keyring: Keyring, engine: Engine
) -> None:
    app = create_app(settings, engine=engine, gateway=FakeGateway(), keyring=keyring)
    with db.transaction(engine) as session:
        user, _ = auth_service.create_user(session=session, name="Dana", role="coordinator")
        console_auth.set_password(session=session, user=user, password="a canary password")
    with TestClient(app, base_url="https://testserver") as client:
        place_calls(client)
        # Urgent help by text: a case opens with the canary's number sealed in it.
        sms = {"From": CANARY, "To": HOTLINE, "Body": "AYUDA", "MessageSid": "SMcanary" + "9" * 26}
        assert signed_post(client, "/twilio/sms", sms).status_code == 200
        runtime: Runtime = app.state.runtime
        runtime.recorder.flush()
        page = client.get("/console/login")
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
        assert token is not None
        signed_in = client.post(
            "/console/login",
            data={"name": "Dana", "password": "a canary password", "csrf": token.group(1)},
        )
        assert signed_in.status_code == 200
        pages = [
            "/console/now", "/console/now/live", "/console/calls", "/console/roster",
            "/console/indicators", "/console/indicators.csv", "/console/languages",
        ]  # fmt: skip
        seen = ""
        for path in pages:
            answer = client.get(path)
            assert answer.status_code == 200, path
            seen += answer.text
    # The pages did show the canary's calls and case, without the number.
    assert "No text case is open." not in seen
    assert "No urgent call this day." not in seen
    assert leaks(seen.encode()) == []


# A first text that reads like a report, in the witness's own words.
SIGHTING = "la migra esta en Damen y 47 junto a la lavanderia azul 60609"
RESPONDER = "+13125550131"


def test_texts_that_report_subscribe_and_answer_a_responder_leave_nothing_in_plain(
    field: Field, captured_logs: io.StringIO, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    engine = field.hotline.engine
    keeper = engine.connect()
    keeper.execute(text("SELECT 1"))
    village = field.zone("Back of the Yards", ["60609"])
    field.responder("Ana", RESPONDER, "es", [village])
    # Offered in Spanish, then taken: what (4), when (1); the place is the text itself.
    assert field.text(SIGHTING, CANARY)[0].startswith("Línea de emergencia de inmigración.")
    for step in ("1", "4"):
        field.text(step, CANARY)
    assert field.text("1", CANARY)[0].startswith("Gracias. Su reporte")
    assert "Back of the Yards" in field.text("ALERTAS 60609", CANARY)[0]
    [incident] = field.incidents()
    field.text(f"GO {incident.code}", RESPONDER)
    field.text(f"ASK {incident.code} ¿siguen ahí?", RESPONDER)
    # The witness's answer reaches the responder, sealed in the outbox until it is sent.
    field.text(CANARY_BODY, CANARY)
    assert field.texts_to(RESPONDER)[-1] == f"[{incident.code}] {CANARY_BODY}"
    field.text(f"CONFIRMED {incident.code}", RESPONDER)
    field.tick()
    field.send()
    field.hotline.runtime.recorder.flush()
    leaking = [*CANARY_FORMS, CANARY_BODY, SIGHTING]
    with engine.connect() as connection:
        dumped = "\n".join(
            repr(row)
            for table in metadata.sorted_tables
            for row in connection.execute(table.select())
        ).encode()
    assert [form for form in leaking if form.encode() in dumped] == []
    if engine.dialect.name == "sqlite":
        files = [p for p in tmp_path.rglob("*") if p.is_file() and ".db" in p.name]
        assert any(p.name.endswith("-wal") for p in files), "the WAL file must be searched too"
        for path in files:
            assert [f for f in leaking if f.encode() in path.read_bytes()] == [], path.name
    keeper.close()
    logged = captured_logs.getvalue().encode()
    assert [form for form in leaking if form.encode() in logged] == []
    out, err = capfd.readouterr()
    assert [form for form in leaking if form.encode() in (out + err).encode()] == []
