"""What the outbox refuses whatever queued it: countries not served, numbers sent too much;
what it deletes from Twilio; how it waits when Twilio says so, or hangs."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from hotline import db
from hotline.models import CarrierDeletion, OutboxMessage, SenderPace
from hotline.outbox import service
from hotline.outbox.deletions import deletion
from hotline.outbox.dispatcher import Dispatcher, DispatchSettings
from hotline.privacy.pseudonym import Keyring
from hotline.roster import service as roster
from hotline.roster.schemas import VolunteerCreate
from hotline.telephony.fake import FakeGateway
from tests.outbox.test_dispatcher import KEYRING, SENDER, VAULT, Clock, dispatcher, rows

CALLER = "+13125550188"
ABROAD = "+447911123456"
VOLUNTEER = "+13125550141"
BACKUP = "+13125551234"


def enqueue(
    engine: Engine,
    recipient: str,
    parts: list[str],
    *,
    key: str,
    now: datetime,
    kind: str = "sms",
) -> None:
    write = service.texts(
        vault=VAULT,
        keyring=KEYRING,
        sender=SENDER,
        recipient=recipient,
        parts=parts,
        purpose="rights",
        language="en",
        key=key,
        now=now,
        expires_in=timedelta(hours=1),
        kind=kind,
    )
    with db.transaction(engine) as session:
        write.apply(session)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_number_outside_the_served_countries_is_refused_and_says_why(
    engine: Engine, gateway: FakeGateway, clock: Clock
) -> None:
    enqueue(engine, ABROAD, ["hola"], key="a", now=clock.now)
    enqueue(
        engine, ABROAD, ["https://hotline.example.org/call"], key="c", now=clock.now, kind="call"
    )
    dispatcher(engine, gateway, clock).run_once()
    assert [(r.status, r.refusal, r.recipient_sealed) for r in rows(engine)] == [
        ("refused", "country", None),
        ("refused", "country", None),
    ]
    assert gateway.messages == []
    assert gateway.calls == []


def test_one_callers_number_gets_at_most_its_segments_a_day(
    engine: Engine, gateway: FakeGateway, clock: Clock
) -> None:
    text = "x" * 300  # two GSM-7 segments
    enqueue(engine, CALLER, [text] * 4, key="one", now=clock.now)
    send = dispatcher(engine, gateway, clock, recipient_segments_per_day=7)
    send.run_once()
    assert [(r.status, r.refusal) for r in rows(engine)] == [
        ("queued", None),
        ("queued", None),
        ("queued", None),
        ("refused", "recipient_cap"),
    ]
    # A day on, the number may be sent to again.
    clock.now += timedelta(hours=24, seconds=1)
    enqueue(engine, CALLER, [text], key="two", now=clock.now)
    send.run_once()
    assert rows(engine)[-1].status == "queued"
    assert len(gateway.messages) == 4


def test_volunteers_and_the_backup_numbers_are_exempt_from_the_daily_cap(
    engine: Engine, gateway: FakeGateway, clock: Clock
) -> None:
    with db.transaction(engine) as session:
        roster.create_volunteer(
            session=session,
            vault=VAULT,
            country="US",
            enabled=["en"],
            volunteer_in=VolunteerCreate(name="Ana", phone=VOLUNTEER, languages=["en"]),
            user=None,
        )
    for number in (VOLUNTEER, BACKUP):
        enqueue(engine, number, ["x" * 300] * 5, key=number, now=clock.now)
    dispatcher(
        engine, gateway, clock, recipient_segments_per_day=3, exempt=frozenset({BACKUP})
    ).run_once()
    assert {r.status for r in rows(engine)} == {"queued"}
    assert len(gateway.messages) == 10


def test_a_final_status_deletes_the_message_from_twilio_and_nothing_of_its_id_stays(
    engine: Engine, gateway: FakeGateway, clock: Clock
) -> None:
    enqueue(engine, CALLER, ["hola"], key="k", now=clock.now)
    send = dispatcher(engine, gateway, clock)
    send.run_once()
    sid = gateway.messages[0]["sid"] or ""
    with Session(engine) as session:
        (pending,) = session.exec(select(CarrierDeletion)).all()
        assert sid.encode() not in pending.sid_sealed
        assert db.aware(pending.due_at) == clock.now + timedelta(hours=24)
    # The delivered callback brings the deletion forward.
    with db.transaction(engine) as session:
        service.apply_status(
            session, message_id=rows(engine)[0].id, ref=service.carrier_ref(VAULT, sid),
            status="delivered", error_code=None, now=clock.now,
        )  # fmt: skip
    with db.transaction(engine) as session:
        deletion(VAULT, sid=sid, kind="message", due_at=clock.now).apply(session)
    send.run_once()
    assert gateway.deleted == [("message", sid)]
    with Session(engine) as session:
        assert session.exec(select(CarrierDeletion)).all() == []
    assert all(sid not in str(value) for row in rows(engine) for value in row.model_dump().values())


def test_without_a_status_the_message_is_deleted_a_day_later_and_retried_on_outages(
    engine: Engine, clock: Clock
) -> None:
    gateway = FakeGateway()
    enqueue(engine, CALLER, ["hola"], key="k", now=clock.now)
    send = dispatcher(engine, gateway, clock)
    send.run_once()
    clock.now += timedelta(hours=24)
    gateway.outages = 1
    send.run_once()
    assert gateway.deleted == []
    clock.now += timedelta(minutes=1)
    send.run_once()
    assert [kind for kind, _ in gateway.deleted] == ["message"]


def test_a_429_waits_as_long_as_twilio_says_for_the_row_and_its_sender(
    engine: Engine, clock: Clock
) -> None:
    gateway = FakeGateway(outages=1, retry_after=30)
    enqueue(engine, CALLER, ["hola"], key="k", now=clock.now)
    send = dispatcher(engine, gateway, clock, rate=1.0)
    send.run_once()
    (row,) = rows(engine)
    assert row.status == "pending"
    assert db.aware(row.next_attempt_at) == clock.now + timedelta(seconds=30)
    with Session(engine) as session:
        pace = session.get(SenderPace, SENDER)
        assert pace is not None
        assert db.aware(pace.next_slot_at) >= clock.now + timedelta(seconds=30)


def test_a_hanging_request_does_not_hold_up_the_rest_of_the_outbox(
    engine: Engine, keyring: Keyring
) -> None:
    now = datetime.now(UTC)
    stuck = "+13125550199"
    enqueue(engine, stuck, ["a"], key="stuck", now=now)
    for n in range(6):
        enqueue(engine, f"+1312555017{n}", ["b"], key=f"k{n}", now=now)
    gateway = FakeGateway(hang={stuck: 3.0})
    send = Dispatcher(
        engine=engine,
        gateway=gateway,
        vault=VAULT,
        keyring=KEYRING,
        settings=DispatchSettings(rate_per_second=None, workers=4),
    )
    stop = threading.Event()
    worker = threading.Thread(target=send.run, args=(stop,), kwargs={"idle": 0.05})
    started = time.monotonic()
    worker.start()
    try:
        while len(gateway.messages) < 6 and time.monotonic() - started < 10:
            time.sleep(0.02)
        took = time.monotonic() - started
    finally:
        stop.set()
        worker.join(timeout=10)
    assert len(gateway.messages) == 6
    assert took < 2.0, took
    with Session(engine) as session:
        others = col(OutboxMessage.idempotency_key) != "stuck:1/1"
        statuses = session.exec(select(OutboxMessage.status).where(others))
        assert set(statuses.all()) == {"queued"}
