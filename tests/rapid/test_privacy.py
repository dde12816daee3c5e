"""After reports by voice, text and the API from a canary number, a subscription by text
from it, a call-out, a responder's question and the witness's answer relayed, a
confirmation and its alert, and once the purge has run: neither the number nor the
witness's words are anywhere in plain, rows, database files or logs."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text as sql
from sqlmodel import Session, select

from hotline import db
from hotline import logging as hotline_logging
from hotline.auth import service as auth_service
from hotline.models import Report, Subscriber, metadata
from hotline.privacy import retention
from hotline.rapid import coordination, reports, subscriptions
from hotline.rapid.kinds import ReportKind
from hotline.rapid.schemas import ReportCreate
from tests.rapid.conftest import Field
from tests.support import place_call

CANARY = "+17735550197"
FORMS = [CANARY, CANARY[1:], CANARY[2:], "5550197"]
WORDS = "la migra en la parada del Damen"
ANSWER = "siguen en la lavanderia de Damen con dos camionetas"
RESPONDER = "+13125550131"


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
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
    return [form for form in [*FORMS, WORDS, ANSWER] if form.encode() in blob]


def dump(field: Field) -> bytes:
    with field.hotline.engine.connect() as connection:
        return "\n".join(
            repr(row)
            for table in metadata.sorted_tables
            for row in connection.execute(table.select())
        ).encode()


def report_every_way(field: Field) -> None:
    place_call(field.hotline.client, ["1", "3", "2", "60623", "1", "1", "-", "-", "-"],
               caller=CANARY)  # fmt: skip
    field.hotline.runtime.recorder.flush()
    # By text: a subscription, and a report in the texter's words.
    assert "Little Village" in field.text("ALERTAS 60623 CORRECCIONES", CANARY)[0]
    for step in ("REPORTE", "2", f"{WORDS} 60623"):
        field.text(step, CANARY)
    assert field.text("1", CANARY)[0].startswith("Gracias.")
    with db.transaction(field.hotline.engine) as session:
        user, _ = auth_service.create_user(session=session, name="Coordinator", role="coordinator")
        coordination.accept_report(
            session, rapid=field.rapid, country="US", user=user, now=datetime.now(UTC),
            report_in=ReportCreate(kind=ReportKind.WORK, zip="60623", caller_phone=CANARY),
        )  # fmt: skip


def test_nothing_of_the_witness_or_the_subscriber_is_left_in_plain(
    field: Field, logs: io.StringIO, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    keeper = field.hotline.engine.connect()
    keeper.execute(sql("SELECT 1"))
    village = field.zone("Little Village", ["60623"])
    field.responder("Ana", RESPONDER, "es", [village])
    report_every_way(field)
    [incident] = field.incidents()
    assert incident.reports == 3
    with Session(field.hotline.engine) as session:
        kept = session.exec(select(Report)).all()
    assert all(r.reporter_sealed is not None for r in kept), "the numbers must be held while open"
    # The report holds the witness's words, sealed; the rows and files never in plain.
    assert [reports.place_of(r, rapid=field.rapid) for r in kept][1] == f"{WORDS} 60623"
    assert leaks(dump(field)) == []
    # The responder asks by text; the witness's answer reaches them, their number does not.
    field.text(f"GO {incident.code}", RESPONDER)
    field.text(f"ASK {incident.code} ¿siguen ahí?", RESPONDER)
    assert field.text(ANSWER, CANARY) == []
    assert field.texts_to(RESPONDER)[-1] == f"[{incident.code}] {ANSWER}"
    assert leaks(dump(field)) == []
    field.text(f"CONFIRMED {incident.code}", RESPONDER)
    field.tick()
    question, alert = field.texts_to(CANARY)
    assert "¿siguen ahí?" in question
    assert alert.startswith("Alerta de la línea de ayuda"), "the subscriber must have had it"
    with Session(field.hotline.engine) as session:
        assert all(r.reporter_sealed is None for r in session.exec(select(Report)).all())
    with db.transaction(field.hotline.engine) as session:
        assert subscriptions.unsubscribe(session, rapid=field.rapid, number=CANARY)
        assert session.exec(select(Subscriber)).all() == []
    later = datetime.now(UTC) + timedelta(days=31)
    purged = retention.purge(field.hotline.engine, field.hotline.runtime.settings, now=later)
    assert (purged.reports, purged.incidents) == (3, 1)

    blob = dump(field)
    assert leaks(blob) == []
    if field.hotline.engine.dialect.name == "sqlite":
        keeper.execute(sql("SELECT 1"))
        files = [p for p in tmp_path.rglob("*") if p.is_file() and ".db" in p.name]
        assert any(p.name.endswith("-wal") for p in files), "the WAL file must be searched too"
        for path in files:
            assert leaks(path.read_bytes()) == [], path.name
    keeper.close()
    assert leaks(logs.getvalue().encode()) == []
    out, err = capfd.readouterr()
    assert leaks((out + err).encode()) == []
