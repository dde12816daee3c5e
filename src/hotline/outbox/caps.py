"""How often one number may be sent the rights by text: a few times a day at most,
across calls and texts, so a spoofed call cannot turn the hotline on someone's phone
(or on its own bill).

The database decides (`RightsText` counts there before it queues anything); the
ledger in memory lets a caller whose number the carrier vouches for be told at once
that the texts already went today.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar

from sqlalchemy import Engine, Table, func
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from hotline.db import aware
from hotline.models import RightsSent
from hotline.outbox.service import Enqueue

log = logging.getLogger(__name__)

DAY = timedelta(hours=24)


def sent_today(session: Session, *, keys: Sequence[str], now: datetime) -> int:
    """How many times the rights went by text to these pseudonyms in the last 24 hours."""
    query = (
        select(func.count())
        .select_from(RightsSent)
        .where(col(RightsSent.recipient_key).in_(keys))
        .where(col(RightsSent.at) > now - DAY)
    )
    return int(session.exec(query).one())


@dataclass(frozen=True, slots=True)
class RightsText:
    """Write: the rights by text to one number, unless it had its `per_day` already."""

    enqueue: Enqueue
    keys: tuple[str, ...]
    key_epoch: int
    per_day: int
    at: datetime

    def apply(self, session: Session) -> None:
        if sent_today(session, keys=self.keys, now=self.at) >= self.per_day:
            log.info("the rights were not texted again: the day's cap is reached")
            return
        self.enqueue.apply(session)
        RightsCounted(self.keys[0], self.key_epoch, self.at).apply(session)


@dataclass(frozen=True, slots=True)
class RightsCounted:
    """Write: the rights went to `recipient_key` in a text answer."""

    recipient_key: str
    key_epoch: int
    at: datetime

    bulk_table: ClassVar[Table] = RightsSent.__table__  # type: ignore[attr-defined]

    def bulk_row(self) -> dict[str, object]:
        return {"recipient_key": self.recipient_key, "key_epoch": self.key_epoch, "at": self.at}

    def apply(self, session: Session) -> None:
        session.add(RightsSent.model_validate(self.bulk_row()))
        session.flush()


@dataclass
class RightsLedger:
    """When the rights went to each pseudonym in the last day, as this process knows it."""

    _sent: dict[str, deque[datetime]] = field(default_factory=dict)
    _seen_until: datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, keys: Sequence[str], now: datetime) -> int:
        with self._lock:
            return sum(1 for key in keys for at in self._sent.get(key, ()) if at > now - DAY)

    def add(self, key: str, at: datetime) -> None:
        with self._lock:
            self._sent.setdefault(key, deque()).append(at)

    def forget(self, keys: Sequence[str]) -> None:
        with self._lock:
            for key in keys:
                self._sent.pop(key, None)

    def refresh(self, engine: Engine, *, now: datetime) -> int:
        """Read what other processes counted since the last refresh."""
        since = self._seen_until or now - DAY
        query = select(RightsSent).where(col(RightsSent.at) >= since - timedelta(seconds=30))
        try:
            with Session(engine) as session:
                rows = list(session.exec(query).all())
        except SQLAlchemyError as error:
            log.warning("rights ledger not refreshed", extra={"error": type(error).__name__})
            return 0
        with self._lock:
            for row in rows:
                known = self._sent.setdefault(row.recipient_key, deque())
                at = aware(row.at)
                if at not in known:
                    known.append(at)
            for key in [k for k, v in self._sent.items() if not v or v[-1] <= now - DAY]:
                del self._sent[key]
            self._seen_until = now
        return len(rows)
