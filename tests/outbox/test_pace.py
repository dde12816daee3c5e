"""Each sender's pace, shared by every dispatcher: a backlog from one sender never holds
up another's, alerts to subscribers wait behind a caller's texts, and a slot another
dispatcher took sends the row back to the queue untried."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from hotline import db
from hotline.models import BULK, OutboxMessage
from hotline.outbox import service
from hotline.outbox.dispatcher import Dispatcher, DispatchSettings
from hotline.telephony.fake import FakeGateway
from tests.outbox.test_dispatcher import KEYRING, SENDER, VAULT, Clock, dispatcher

OTHER_SENDER = "+13125550111"


def enqueue(
    engine: Engine,
    *,
    recipient: str,
    key: str,
    now: datetime,
    sender: str = SENDER,
    purpose: str = "relay",
) -> None:
    write = service.texts(
        vault=VAULT,
        keyring=KEYRING,
        sender=sender,
        recipient=recipient,
        parts=[key],
        purpose=purpose,
        language="en",
        key=key,
        now=now,
        expires_in=timedelta(hours=1),
    )
    with db.transaction(engine) as session:
        write.apply(session)


def alerts(engine: Engine, count: int, now: datetime) -> None:
    """`count` alerts to subscribers, queued as a fan-out queues them: bulk."""
    for n in range(count):
        enqueue(engine, recipient=f"+1312555{2000 + n}", key=f"alert{n}", now=now, purpose="alert")
    with db.transaction(engine) as session:
        session.exec(
            update(OutboxMessage).where(col(OutboxMessage.purpose) == "alert").values(priority=BULK)
        )


@pytest.fixture
def clock() -> Clock:
    return Clock()


def timed(gateway: FakeGateway) -> list[tuple[float, str]]:
    """(monotonic time, body) of each text the gateway takes."""
    sends: list[tuple[float, str]] = []
    original = gateway.send_message

    def send(**kwargs: str | None) -> object:
        sends.append((time.monotonic(), kwargs["body"] or ""))
        return original(**kwargs)  # type: ignore[arg-type]

    gateway.send_message = send  # type: ignore[method-assign,assignment]
    return sends


def test_a_callers_text_goes_before_the_alerts_queued_ahead_of_it(
    engine: Engine, gateway: FakeGateway, clock: Clock
) -> None:
    alerts(engine, 30, clock.now)
    enqueue(engine, recipient="+13125550188", key="for the caller", now=clock.now)
    send = dispatcher(engine, gateway, clock, rate=1.0)
    while not send.run_once():
        clock.now += timedelta(milliseconds=100)
    assert [m["body"] for m in gateway.messages] == ["for the caller"]
    for _ in range(30):
        if not send.run_once():
            clock.now += timedelta(milliseconds=250)
    assert [m["body"] for m in gateway.messages[1:4]] == ["alert0", "alert1", "alert2"]


def test_a_backlog_on_one_sender_does_not_hold_up_another(engine: Engine) -> None:
    now = datetime.now(UTC)
    alerts(engine, 40, now)
    enqueue(engine, recipient="+13125550188", key="call-out", now=now, sender=OTHER_SENDER)
    with db.transaction(engine) as session:
        session.exec(update(OutboxMessage).values(priority=0))  # all alike but the sender
    gateway = FakeGateway()
    sends = timed(gateway)
    send = Dispatcher(
        engine=engine,
        gateway=gateway,
        vault=VAULT,
        keyring=KEYRING,
        settings=DispatchSettings(rate_per_second=1.0, workers=4),
    )
    stop = threading.Event()
    worker = threading.Thread(target=send.run, args=(stop,), kwargs={"idle": 0.1})
    started = time.monotonic()
    worker.start()
    try:
        while "call-out" not in [body for _, body in sends] and time.monotonic() - started < 10:
            time.sleep(0.02)
    finally:
        stop.set()
        worker.join(timeout=10)
    (at,) = [at for at, body in sends if body == "call-out"]
    assert at - started < 1.0, at - started
    # The busy sender kept its pace meanwhile: one text, perhaps two, not four at once.
    assert len(sends) <= 3


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_two_dispatchers_share_one_pace_and_send_each_row_once(engine: Engine) -> None:
    now = datetime.now(UTC)
    for n in range(10):
        enqueue(engine, recipient=f"+1312555{3000 + n}", key=f"row{n}", now=now)
    gateway = FakeGateway()
    sends = timed(gateway)
    settings = DispatchSettings(rate_per_second=5.0, workers=3)
    dispatchers = [
        Dispatcher(engine=engine, gateway=gateway, vault=VAULT, keyring=KEYRING, settings=settings)
        for _ in range(2)
    ]
    stop = threading.Event()
    threads = [
        threading.Thread(target=d.run, args=(stop,), kwargs={"idle": 0.02}) for d in dispatchers
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 15
    try:
        while len(sends) < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    assert sorted(body for _, body in sends) == sorted(f"row{n}" for n in range(10))
    times = sorted(at for at, _ in sends)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # Each send starts at its slot, 0.2 s after the one before whichever dispatcher sent
    # it; the gateway sees it after a round trip to the database, which a loaded machine
    # may stretch for one send and not the next. Two paces would send pairs at once.
    assert min(gaps) >= 0.1, gaps
    assert times[-1] - times[0] >= 9 * 0.2 * 0.95, gaps
    with Session(engine) as session:
        tried = session.exec(select(OutboxMessage.attempts)).all()
    # A row sent back because the other dispatcher had the slot was not counted as tried.
    assert set(tried) == {1}
