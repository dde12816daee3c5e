"""Each sender's pace: the next moment it may send, one row every dispatcher reserves from.

A slot is reserved only when it is close (within `HORIZON`): a dispatcher never holds
a row, or a worker, waiting seconds for a busy sender while other senders' rows wait
behind it. A sender whose next slot is further off is left out of the claim altogether.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from hotline.db import aware
from hotline.models import SenderPace

# How far ahead an idle sender's next slot is set, so committing the reservation and
# the dispatcher's last check of the row (a round trip each) never eat into the gap
# before the next one; how late a send may start before the pace is pushed back after
# it; how far ahead a slot may be reserved at all.
LEAD = timedelta(milliseconds=100)
LATE = timedelta(milliseconds=5)
HORIZON = timedelta(milliseconds=500)

Clock = Callable[[], datetime]


class Pace:
    """Reserves and pushes back each sender's slots."""

    def __init__(
        self,
        *,
        engine: Engine,
        clock: Clock,
        rate: Callable[[str], float | None],
    ) -> None:
        self._engine = engine
        self._clock = clock
        # Messages a second a sender may send; None for no limit.
        self.rate = rate

    def per_round(self, sender: str, batch: int) -> int:
        """How many of `sender`'s rows one claim may take: those whose slots are close."""
        rate = self.rate(sender)
        if rate is None:
            return batch
        return max(1, min(batch, int(rate * HORIZON.total_seconds())))

    def reserve(self, sender: str, count: int = 1) -> list[datetime]:
        """Up to `count` moments `sender` may send at next, now reserved, all within the
        horizon; fewer (none) when other dispatchers reserved the close ones. One round
        trip to the database for all of them."""
        rate = self.rate(sender)
        interval = timedelta(seconds=1 / rate) if rate is not None else timedelta(0)
        while True:
            now = self._clock() + LEAD
            horizon = self._clock() + HORIZON
            with Session(self._engine) as session:
                pace = session.get(SenderPace, sender)
                if pace is None:
                    if rate is None:
                        return [self._clock()] * count
                    taken = self._fits(now, horizon, interval, count)
                    session.add(SenderPace(sender=sender, next_slot_at=now + taken * interval))
                    try:
                        session.commit()
                    except IntegrityError:
                        continue
                    return [now + n * interval for n in range(taken)]
                previous = aware(pace.next_slot_at)
                slot = max(previous, now)
                if slot > horizon:
                    return []
                if rate is None:
                    # No pace of our own, but one Twilio asked for (Retry-After) stands.
                    return [slot if previous > now else self._clock()] * count
                taken = self._fits(slot, horizon, interval, count)
                # Compare-and-set: another dispatcher that reserved first makes us read again.
                moved = session.exec(
                    update(SenderPace)
                    .where(col(SenderPace.sender) == sender)
                    .where(col(SenderPace.next_slot_at) == pace.next_slot_at)
                    .values(next_slot_at=slot + taken * interval)
                )
                session.commit()
                if moved.rowcount == 1:
                    return [slot + n * interval for n in range(taken)]

    @staticmethod
    def _fits(first: datetime, horizon: datetime, interval: timedelta, count: int) -> int:
        """How many slots from `first`, `interval` apart, start within the horizon."""
        if first > horizon:
            return 0
        return min(count, int((horizon - first) / interval) + 1)

    def after_late_send(self, sender: str, slot: datetime, started: datetime) -> None:
        """A send that starts late pushes the next slot back: the gap never shrinks."""
        rate = self.rate(sender)
        if rate is None or started - slot <= LATE:
            return
        self.push(sender, started + timedelta(seconds=1 / rate))

    def push(self, sender: str, earliest: datetime) -> None:
        """No send from `sender` before `earliest`."""
        with Session(self._engine) as session:
            pushed = session.exec(
                update(SenderPace)
                .where(col(SenderPace.sender) == sender)
                .where(col(SenderPace.next_slot_at) < earliest)
                .values(next_slot_at=earliest)
            )
            if pushed.rowcount == 0 and session.get(SenderPace, sender) is None:
                session.add(SenderPace(sender=sender, next_slot_at=earliest))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
