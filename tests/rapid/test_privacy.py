"""After reports by voice, text and the API from a canary number, a subscription from it, a
call-out, a confirmation and its alert, and once the purge has run: neither the number nor
the witness's words are anywhere in plain, rows, database files or logs."""

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
from hotline.rapid.kinds import Channel, ReportKind
from hotline.rapid.schemas import ReportCreate
from tests.rapid.conftest import HOTLINE_LINE, Field
from tests.support import place_call

CANARY = "+17735550197"
FORMS = [CANARY, CANARY[1:], CANARY[2:], "5550197"]
WORDS = "la migra en la parada del Damen"
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
    return [form for form in [*FORMS, WORDS] if form.encode() in blob]


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
    seen = reports.Sighting(
        ReportKind.WORK, f"{WORDS} 60623", True, "es", Channel.SMS, CANARY, HOTLINE_LINE
    )
    with db.transaction(field.hotline.engine) as session:
        reports.submit_report(session, rapid=field.rapid, sighting=seen, now=datetime.now(UTC))
        user, _ = auth_service.create_user(session=session, name="Coordinator", role="coordinator")
        coordination.accept_report(
            session, rapid=field.rapid, country="US", user=user, now=datetime.now(UTC),
            report_in=ReportCreate(kind=ReportKind.WORK, zip="60623", caller_phone=CANARY),
        )  # fmt: skip
        request = subscriptions.Subscription(CANARY, ["60623"], "es", True, HOTLINE_LINE)
        subscriptions.subscribe(session, rapid=field.rapid, request=request, now=datetime.now(UTC))


def test_nothing_of_the_witness_or_the_subscriber_is_left_in_plain(
    field: Field, logs: io.StringIO, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    keeper = field.hotline.engine.connect()
    keeper.execute(sql("SELECT 1"))
    village = field.zone("Little Village", ["60623"])
    ana = field.responder("Ana", RESPONDER, "es", [village])
    report_every_way(field)
    [incident] = field.incidents()
    assert incident.reports == 3
    with Session(field.hotline.engine) as session:
        kept = session.exec(select(Report)).all()
    assert all(r.reporter_sealed is not None for r in kept), "the numbers must be held while open"
    # The responder reads the witness's words; the rows and files never hold them in plain.
    assert any(WORDS in body for body in field.texts_to(RESPONDER))
    assert leaks(dump(field)) == []
    field.reply(ana, f"GO {incident.code}")
    field.reply(ana, f"CONFIRMED {incident.code}")
    assert len(field.texts_to(CANARY)) == 1, "the subscriber must have had the alert"
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
