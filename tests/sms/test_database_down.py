"""Texts while the database is down, slow or locked: answered within the deadline from
memory, acted on exactly once when it answers, and never a promise that is not kept."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from hotline.app import create_app
from hotline.config import Settings
from hotline.models import Claim, SmsCase, SmsInbound
from hotline.privacy.pseudonym import Keyring
from hotline.telephony.fake import FakeGateway
from tests.support import HOTLINE, signed_post
from tests.voice.test_urgent import ANA, Hotline

TEXTER = "+13125550177"
DEADLINE_MS = 300
_sids = count(1)


@pytest.fixture
def hotline(settings: Settings, engine: Engine, keyring: Keyring) -> Iterator[Hotline]:
    quick = settings.model_copy(update={"database_deadline_ms": DEADLINE_MS})
    gateway = FakeGateway()
    app = create_app(quick, engine=engine, gateway=gateway, keyring=keyring)
    with TestClient(app) as client:
        yield Hotline(app, client, gateway, engine)


@contextmanager
def locked(engine: Engine) -> Iterator[None]:
    """Another connection holds the database (SQLite) or the texts' table (PostgreSQL)."""
    release = threading.Event()
    ready = threading.Event()

    def hold() -> None:
        if engine.dialect.name == "sqlite":
            path = engine.url.database
            assert path is not None
            connection = sqlite3.connect(path, isolation_level=None)
            connection.execute("BEGIN EXCLUSIVE")
            ready.set()
            release.wait(30)
            connection.execute("ROLLBACK")
            connection.close()
            return
        with engine.connect() as connection:
            connection.execute(text("LOCK TABLE sms_inbound IN ACCESS EXCLUSIVE MODE"))
            ready.set()
            release.wait(30)
            connection.rollback()

    holder = threading.Thread(target=hold)
    holder.start()
    assert ready.wait(10)
    try:
        yield
    finally:
        release.set()
        holder.join(10)


def send(
    hotline: Hotline, body: str, sender: str = TEXTER, sid: str | None = None
) -> tuple[list[str], float]:
    form = {
        "MessageSid": sid or f"SMdown{next(_sids):028d}",
        "From": sender,
        "To": HOTLINE,
        "Body": body,
    }
    started = time.monotonic()
    response = signed_post(hotline.client, "/twilio/sms", form)
    took = time.monotonic() - started
    assert response.status_code == 200
    return [m.text or "" for m in ET.fromstring(response.text).iter("Message")], took


def sent_to(hotline: Hotline, number: str) -> list[str]:
    hotline.send()
    return [m["body"] or "" for m in hotline.gateway.messages if m["to"] == number]


def test_urgent_help_asked_while_locked_is_answered_at_once_and_acted_on_after(
    hotline: Hotline,
) -> None:
    hotline.volunteer("Ana", ANA, "es,en")
    with locked(hotline.engine):
        answer, took = send(hotline, "AYUDA")
        send(hotline, "AYUDA", sid="SMdown" + "9" * 28)
        assert took < 2.0
        assert answer[0].startswith("Recibimos su mensaje. Un voluntario le responderá")
        assert hotline.runtime.spool.backlog >= 1
    # The database takes writes again: the case is opened, once, and Ana is alerted.
    alerts = sent_to(hotline, ANA)
    assert len(alerts) == 1
    assert "ACCEPT" in alerts[0]
    with Session(hotline.engine) as session:
        assert len(session.exec(select(SmsCase)).all()) == 1
        assert len(session.exec(select(SmsInbound)).all()) == 2
    assert hotline.runtime.spool.backlog == 0
    # Nothing more reached the texter: what memory answered was what they deserved.
    assert sent_to(hotline, TEXTER) == []


def test_a_volunteers_command_while_locked_is_answered_by_text_once_carried_out(
    hotline: Hotline,
) -> None:
    hotline.volunteer("Ana", ANA, "es,en")
    send(hotline, "AYUDA")
    (alert,) = sent_to(hotline, ANA)
    code = re.search(r"ACCEPT (\d{6})", alert)
    assert code is not None
    with locked(hotline.engine):
        answer, took = send(hotline, f"ACCEPT {code.group(1)}", sender=ANA)
        assert answer == []
        assert took < 2.0

    # The webhook's own thread, left behind at the deadline, may still be carrying the
    # command out once the lock goes: it texts the answer when it gets through.
    def confirmed(later: list[str]) -> bool:
        return any(f"{code.group(1)}" in body and "suyo" in body for body in later[1:])

    later = sent_to(hotline, ANA)
    ends = time.monotonic() + 5
    while not confirmed(later) and time.monotonic() < ends:
        time.sleep(0.05)
        later = sent_to(hotline, ANA)
    assert confirmed(later)
    with Session(hotline.engine) as session:
        claim = session.exec(select(Claim)).one()
        assert claim.held == 1


def test_with_neither_database_nor_spool_the_texter_is_given_a_number_to_call(
    hotline: Hotline, settings: Settings
) -> None:
    spool = settings.data_dir / "spool"
    if spool.exists():
        for segment in spool.glob("*"):
            segment.unlink()
        spool.rmdir()
    spool.write_text("not a folder")  # the spool cannot be written
    with locked(hotline.engine):
        answer, _ = send(hotline, "AYUDA")
    # In the language of the word they texted: AYUDA is Spanish.
    assert answer == [
        "Esta línea no puede responder mensajes ahora. Para ayuda urgente, llame al +13125550111."
    ]
    with locked(hotline.engine):
        answer, _ = send(hotline, "URGENT", sender="+13125550178")
    assert answer == [
        "This hotline cannot answer texts right now. For urgent help, call +13125550111."
    ]
