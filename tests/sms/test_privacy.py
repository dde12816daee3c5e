"""After a conversation, a relay and a delete, and once the purge has run, neither the
texter's number nor their words are anywhere: database files, rows, logs."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text as sql
from sqlmodel import Session, select

from hotline import logging as hotline_logging
from hotline.models import Claim, metadata
from hotline.privacy import retention
from tests.sms.test_relay import sent_to, text
from tests.voice.test_urgent import ANA, Hotline

CANARY = "+17735550198"
FORMS = [CANARY, CANARY[1:], CANARY[2:], "5550198"]
WORDS = "agents took my neighbour from the laundromat on Cermak"
REPLY_WORDS = "stay inside and keep the door shut"


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
    return [f for f in [*FORMS, WORDS, REPLY_WORDS] if f.encode() in blob]


def test_nothing_of_the_texter_is_left(
    hotline: Hotline, logs: io.StringIO, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    hotline.volunteer("Ana", ANA, "es,en")
    text(hotline, "AYUDA", sender=CANARY)
    hotline.send()
    with Session(hotline.engine) as session:
        code = session.exec(select(Claim)).one().code
    text(hotline, f"ACCEPT {code}", sender=ANA)
    text(hotline, WORDS, sender=CANARY)
    assert any(WORDS in body for body in sent_to(hotline, ANA)), "the relay must have run"
    text(hotline, f"{code} {REPLY_WORDS}", sender=ANA)
    assert REPLY_WORDS in sent_to(hotline, CANARY), "the relay must have run both ways"
    text(hotline, f"DONE {code}", sender=ANA)
    hotline.send()
    assert text(hotline, "BORRAR", sender=CANARY)
    hotline.runtime.recorder.flush()
    later = datetime.now(UTC) + timedelta(days=40)
    retention.purge(hotline.engine, hotline.runtime.settings, now=later)

    with hotline.engine.connect() as connection:
        dumped = "\n".join(
            repr(row)
            for table in metadata.sorted_tables
            for row in connection.execute(table.select())
        )
        if hotline.engine.dialect.name == "sqlite":
            connection.execute(sql("PRAGMA wal_checkpoint(TRUNCATE)"))
    assert leaks(dumped.encode()) == []
    if hotline.engine.dialect.name == "sqlite":
        for path in tmp_path.rglob("*.db*"):
            assert leaks(path.read_bytes()) == [], path.name
    assert leaks(logs.getvalue().encode()) == []
    out, err = capfd.readouterr()
    assert leaks((out + err).encode()) == []
    assert not re.search(r"7735550198", logs.getvalue())
