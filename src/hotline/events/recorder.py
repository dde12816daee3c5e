"""Call events buffered in memory and written in batches, never on the caller's path.

A webhook only appends to a queue. A background task writes the queue in one
transaction every fraction of a second; when the database is down or locked, the
batch stays queued and is tried again, and the caller hears nothing of it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from anyio import to_thread
from sqlalchemy import Engine, insert
from sqlalchemy.exc import SQLAlchemyError

from hotline.models import CallEvent

log = logging.getLogger(__name__)

MAX_PENDING = 100_000
BATCH = 1_000


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """A call event not yet written."""

    call_ref: str
    caller_key: str | None
    key_epoch: int
    kind: str
    language: str | None
    detail: str | None
    occurred_at: datetime


class EventRecorder:
    """Queues call events and writes them in batches."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._pending: deque[PendingEvent] = deque()
        self._lock = threading.Lock()
        self.dropped = 0
        self.failures = 0

    @property
    def pending(self) -> int:
        return len(self._pending)

    def record(self, events: Iterable[PendingEvent]) -> None:
        """Queue `events`; never blocks, never raises."""
        for event in events:
            if len(self._pending) >= MAX_PENDING:
                # Losing the oldest bookkeeping is better than running out of memory.
                self._pending.popleft()
                self.dropped += 1
            self._pending.append(event)

    def flush(self) -> int:
        """Write what is queued; on failure keep it queued. Returns the rows written."""
        written = 0
        with self._lock:
            while self._pending:
                batch = [self._pending[i] for i in range(min(BATCH, len(self._pending)))]
                try:
                    with self._engine.begin() as connection:
                        connection.execute(insert(CallEvent), [_row(event) for event in batch])
                except SQLAlchemyError as error:
                    self.failures += 1
                    log.warning(
                        "call events not written, will retry",
                        extra={"pending": len(self._pending), "error": type(error).__name__},
                    )
                    return written
                for _ in batch:
                    self._pending.popleft()
                written += len(batch)
        return written

    async def run(self, interval: float) -> None:
        """Flush every `interval` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval)
            if self._pending:
                await to_thread.run_sync(self.flush)


def _row(event: PendingEvent) -> dict[str, object]:
    return {
        "call_ref": event.call_ref,
        "caller_key": event.caller_key,
        "key_epoch": event.key_epoch,
        "kind": event.kind,
        "language": event.language,
        "detail": event.detail,
        "occurred_at": event.occurred_at,
    }
