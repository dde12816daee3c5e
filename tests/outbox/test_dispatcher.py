"""The outbox and its dispatcher: sealed until sent, retried, paced, expired, reported."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from hotline.models import OptOut, OutboxMessage
from hotline.outbox import service
from hotline.outbox.dispatcher import Dispatcher, DispatchSettings
from hotline.privacy.pseudonym import Keyring
from hotline.privacy.vault import Vault
from hotline.telephony.fake import FakeGateway

START = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
SENDER = "+13125550100"
RECIPIENT = "+13125550188"
VAULT = Vault(b"s" * 40)


class Clock:
    """A clock that moves only when told to, and a sleep that moves it."""

    def __init__(self) -> None:
        self.now = START
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def enqueue(
    engine: Engine,
    keyring: Keyring,
    *,
    parts: list[str],
    key: str = "k",
    minutes: int = 60,
    now: datetime = START,
) -> None:
    write = service.texts(
        vault=VAULT,
        keyring=keyring,
        sender=SENDER,
        recipient=RECIPIENT,
        parts=parts,
        purpose="rights",
        language="es",
        key=key,
        now=now,
        expires_in=timedelta(minutes=minutes),
    )
    with Session(engine) as session:
        write.apply(session)
        session.commit()


KEYRING = Keyring(base_epoch=0, base_key=b"\x01" * 32, epoch_days=30)


def dispatcher(
    engine: Engine, gateway: FakeGateway, clock: Clock, rate: float | None = None, **options: object
) -> Dispatcher:
    return Dispatcher(
        engine=engine,
        gateway=gateway,
        vault=VAULT,
        keyring=KEYRING,
        settings=DispatchSettings(
            rate_per_second=rate,
            status_callback="https://hotline.example.org/twilio/sms/status",
            **options,  # type: ignore[arg-type]
        ),
        clock=clock,
        sleep=clock.sleep,
    )


def rows(engine: Engine) -> list[OutboxMessage]:
    with Session(engine, expire_on_commit=False) as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all())


def test_rows_are_sealed_until_sent_then_emptied(
    engine: Engine, keyring: Keyring, gateway: FakeGateway, clock: Clock
) -> None:
    enqueue(engine, keyring, parts=["1/2 Tiene derechos.", "2/2 No abra la puerta."])
    stored = rows(engine)
    assert [r.status for r in stored] == ["pending", "pending"]
    assert all(r.recipient_sealed and RECIPIENT.encode() not in r.recipient_sealed for r in stored)
    assert all(r.body_sealed and b"derechos" not in r.body_sealed for r in stored)

    assert dispatcher(engine, gateway, clock).run_once() == 2
    assert [m["body"] for m in gateway.messages] == [
        "1/2 Tiene derechos.",
        "2/2 No abra la puerta.",
    ]
    assert {m["to"] for m in gateway.messages} == {RECIPIENT}
    assert {m["from"] for m in gateway.messages} == {SENDER}
    sent = rows(engine)
    assert [r.status for r in sent] == ["queued", "queued"]
    assert all(r.recipient_sealed is None and r.body_sealed is None for r in sent)
    assert all(r.carrier_ref and r.carrier_ref.isalnum() for r in sent)
    assert all(not r.carrier_ref.startswith("SM") for r in sent if r.carrier_ref)
    assert gateway.messages[0]["status_callback"] == (
        f"https://hotline.example.org/twilio/sms/status?message={sent[0].id}"
    )


def test_the_same_request_twice_is_enqueued_once(
    engine: Engine, keyring: Keyring, gateway: FakeGateway, clock: Clock
) -> None:
    enqueue(engine, keyring, parts=["a", "b"])
    enqueue(engine, keyring, parts=["a", "b"])
    assert len(rows(engine)) == 2


def test_an_outage_is_retried_with_growing_backoff(
    engine: Engine, keyring: Keyring, clock: Clock
) -> None:
    gateway = FakeGateway(outages=3)
    send = dispatcher(engine, gateway, clock)
    enqueue(engine, keyring, parts=["hola"])
    delays = []
    for _ in range(3):
        assert send.run_once() == 1
        (row,) = rows(engine)
        assert row.status == "pending"
        assert row.body_sealed is not None
        due = row.next_attempt_at.replace(tzinfo=UTC)
        delays.append((due - clock.now).total_seconds())
        assert send.run_once() == 0  # not due yet
        clock.now = due
    assert delays == [2.0, 4.0, 8.0]
    assert send.run_once() == 1
    (row,) = rows(engine)
    assert (row.status, row.attempts, row.body_sealed) == ("queued", 4, None)
    assert len(gateway.messages) == 1


def test_a_permanent_refusal_is_not_retried_and_keeps_the_code_not_the_number(
    engine: Engine, keyring: Keyring, clock: Clock
) -> None:
    gateway = FakeGateway(refuse={RECIPIENT: 21610})
    enqueue(engine, keyring, parts=["hola"])
    dispatcher(engine, gateway, clock).run_once()
    (row,) = rows(engine)
    assert (row.status, row.error_code, row.attempts) == ("failed", 21610, 1)
    assert row.recipient_sealed is None
    assert row.body_sealed is None
    clock.now += timedelta(hours=1)
    assert dispatcher(engine, gateway, clock).run_once() == 0


def test_a_message_past_its_expiry_is_dropped_not_sent(
    engine: Engine, keyring: Keyring, gateway: FakeGateway, clock: Clock
) -> None:
    enqueue(engine, keyring, parts=["tarde"], minutes=10)
    clock.now += timedelta(minutes=11)
    assert dispatcher(engine, gateway, clock).run_once() == 0
    (row,) = rows(engine)
    assert (row.status, row.recipient_sealed, row.body_sealed) == ("expired", None, None)
    assert gateway.messages == []


def test_retries_that_would_land_after_the_expiry_expire(
    engine: Engine, keyring: Keyring, clock: Clock
) -> None:
    gateway = FakeGateway(outages=100)
    enqueue(engine, keyring, parts=["hola"], minutes=1)
    send = dispatcher(engine, gateway, clock)
    for _ in range(10):
        send.run_once()
        clock.now += timedelta(seconds=30)
    (row,) = rows(engine)
    assert row.status == "expired"
    assert row.recipient_sealed is None


def test_the_pace_per_sender_is_never_exceeded(
    engine: Engine, keyring: Keyring, gateway: FakeGateway, clock: Clock
) -> None:
    enqueue(engine, keyring, parts=[f"part {n}" for n in range(6)])
    sends: list[datetime] = []
    original = gateway.send_message

    def timed(**kwargs: str | None) -> object:
        sends.append(clock.now)
        return original(**kwargs)  # type: ignore[arg-type]

    gateway.send_message = timed  # type: ignore[method-assign,assignment]
    send = dispatcher(engine, gateway, clock, rate=2.0)
    for _ in range(20):
        if not send.run_once():
            clock.now += timedelta(milliseconds=100)
    assert len(sends) == 6
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(sends)]
    assert gaps == [0.5] * 5


@pytest.mark.parametrize(
    "callbacks",
    [
        ["sent", "delivered"],
        ["delivered", "sent"],
        ["sent", "sent", "delivered", "delivered", "queued"],
        ["queued", "delivered", "undelivered", "sent"],
    ],
)
def test_status_callbacks_in_any_order_end_in_the_right_state(
    engine: Engine, keyring: Keyring, gateway: FakeGateway, clock: Clock, callbacks: list[str]
) -> None:
    enqueue(engine, keyring, parts=["hola"])
    dispatcher(engine, gateway, clock).run_once()
    (row,) = rows(engine)
    for status in callbacks:
        with Session(engine) as session:
            service.apply_status(
                session,
                message_id=row.id,
                ref=row.carrier_ref or "",
                status=status,
                error_code=None,
                now=clock.now,
            )
            session.commit()
    (after,) = rows(engine)
    assert after.status == "delivered"


def test_a_callback_for_an_unknown_message_changes_nothing(engine: Engine) -> None:
    with Session(engine) as session:
        known = service.apply_status(
            session, message_id=999, ref="f" * 32, status="delivered", error_code=None,
            now=START,
        )  # fmt: skip
    assert known is False


def test_a_callback_that_overtakes_the_dispatcher_still_lands(
    engine: Engine, keyring: Keyring, clock: Clock
) -> None:
    enqueue(engine, keyring, parts=["hola"])
    gateway = FakeGateway()
    send = dispatcher(engine, gateway, clock)
    original = gateway.send_message

    def callback_first(**kwargs: str | None) -> object:
        sent = original(**kwargs)  # type: ignore[arg-type]
        (row,) = rows(engine)
        with Session(engine) as session:
            service.apply_status(
                session, message_id=row.id, ref=service.carrier_ref(VAULT, sent.sid),
                status="delivered", error_code=None,
                now=clock.now,
            )  # fmt: skip
            session.commit()
        return sent

    gateway.send_message = callback_first  # type: ignore[method-assign,assignment]
    send.run_once()
    (row,) = rows(engine)
    assert row.status == "delivered"
    assert row.carrier_ref == service.carrier_ref(VAULT, gateway.messages[0]["sid"] or "")
    assert row.body_sealed is None


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_two_dispatchers_at_once_never_send_the_same_row(engine: Engine, keyring: Keyring) -> None:
    now = datetime.now(UTC)
    enqueue(engine, keyring, parts=[f"part {n}" for n in range(120)], now=now)
    gateway = FakeGateway()
    workers = [
        Dispatcher(
            engine=engine,
            gateway=gateway,
            vault=VAULT,
            keyring=KEYRING,
            settings=DispatchSettings(rate_per_second=None, batch=7),
        )
        for _ in range(2)
    ]
    done = threading.Barrier(2)

    def drain(worker: Dispatcher) -> None:
        done.wait()
        while worker.run_once():
            pass

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    bodies = [m["body"] for m in gateway.messages]
    assert sorted(bodies) == sorted(f"part {n}" for n in range(120))
    assert {r.status for r in rows(engine)} == {"queued"}


def test_a_number_that_opted_out_after_queueing_is_not_texted(
    engine: Engine, keyring: Keyring, gateway: FakeGateway, clock: Clock
) -> None:
    enqueue(engine, keyring, parts=["hola"])
    (row,) = rows(engine)
    with Session(engine) as session:
        session.add(OptOut(contact_key=row.recipient_key, key_epoch=row.key_epoch, at=START))
        session.commit()
    dispatcher(engine, gateway, clock).run_once()
    (after,) = rows(engine)
    assert (after.status, after.body_sealed) == ("canceled", None)
    assert gateway.messages == []
