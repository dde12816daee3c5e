"""The database goes away while the dispatcher holds rows: what it did with them is
written down once the database is back, so nothing is sent twice or held for a lease."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError

from hotline.telephony.fake import FakeGateway
from hotline.telephony.gateway import Sent
from tests.outbox.test_dispatcher import KEYRING, Clock, clock, dispatcher, enqueue, rows

__all__ = ["clock"]  # the fixture, shared


class DatabaseAway:
    """While `down`, every statement on the engine fails as on a database that went away."""

    def __init__(self, engine: Engine) -> None:
        self.down = False
        self._engine = engine
        event.listen(engine, "before_cursor_execute", self._check)

    def _check(self, *_args: Any) -> None:
        if self.down:
            raise OperationalError("statement", {}, Exception("the server closed the connection"))

    def remove(self) -> None:
        event.remove(self._engine, "before_cursor_execute", self._check)


@pytest.fixture
def away(engine: Engine) -> Iterator[DatabaseAway]:
    database = DatabaseAway(engine)
    yield database
    database.remove()


class GoneAfterSending(FakeGateway):
    """Twilio takes the message; the database is gone before the dispatcher notes it."""

    away: DatabaseAway | None = None

    def send_message(self, **request: Any) -> Sent:
        sent = super().send_message(**request)
        assert self.away is not None
        self.away.down = True
        return sent


def test_a_text_sent_as_the_database_went_away_is_noted_when_it_is_back_never_sent_again(
    engine: Engine, clock: Clock, away: DatabaseAway
) -> None:
    enqueue(engine, KEYRING, parts=["Your rights, part 1"])
    gateway = GoneAfterSending()
    gateway.away = away
    sender = dispatcher(engine, gateway, clock)
    with pytest.raises(OperationalError):
        sender.run_once()
    assert len(gateway.messages) == 1
    assert len(sender.unsettled) == 1
    away.down = False
    # Back long after the row's lease would have run out: it was sent, it stays sent.
    clock.now += timedelta(minutes=10)
    sender.run_once()
    sender.run_once()
    assert len(gateway.messages) == 1
    (row,) = rows(engine)
    assert row.status == "queued"
    assert row.carrier_ref is not None
    assert row.body_sealed is None
    assert len(sender.unsettled) == 0


def test_a_row_claimed_as_the_database_went_away_goes_back_as_soon_as_it_is_back(
    engine: Engine, gateway: FakeGateway, clock: Clock, away: DatabaseAway
) -> None:
    enqueue(engine, KEYRING, parts=["Your rights, part 1"])
    claimed = []

    def gone_after_the_claim(*_args: Any) -> None:
        if not claimed:
            claimed.append(True)
            away.down = True

    event.listen(engine, "commit", gone_after_the_claim)
    try:
        sender = dispatcher(engine, gateway, clock, rate=1.0)
        with pytest.raises(OperationalError):
            sender.run_once()
    finally:
        event.remove(engine, "commit", gone_after_the_claim)
    assert gateway.messages == []
    away.down = False
    assert [row.status for row in rows(engine)] == ["sending"]
    # Well within the lease: the row is not left waiting for it to run out.
    clock.now += timedelta(seconds=1)
    sender.run_once()
    assert len(gateway.messages) == 1
    (row,) = rows(engine)
    assert (row.status, row.attempts) == ("queued", 1)
