"""Writes from webhooks, spooled in memory and applied in batches off the caller's path.

A webhook only appends to a queue. A background task applies the queue in one
transaction every fraction of a second; when the database is down or locked the
batch stays queued and is tried again, and the caller hears nothing of it. A write
the database refuses outright (a constraint) is dropped alone, never the batch.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from anyio import to_thread
from sqlalchemy import Engine, Table, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session

from hotline.models import CallEvent

log = logging.getLogger(__name__)

MAX_PENDING = 100_000
BATCH = 1_000


class Write(Protocol):
    """A change to apply to the database, inside the spool's transaction."""

    def apply(self, session: Session) -> None: ...


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

    def apply(self, session: Session) -> None:
        session.add(CallEvent.model_validate(_row(self)))


class Recorder:
    """Queues writes and applies them in batches."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._pending: deque[Write] = deque()
        self._lock = threading.Lock()
        self.dropped = 0
        self.failures = 0

    @property
    def pending(self) -> int:
        return len(self._pending)

    def record(self, writes: Iterable[Write]) -> None:
        """Queue `writes`; never blocks, never raises."""
        for write in writes:
            if len(self._pending) >= MAX_PENDING:
                # Losing the oldest bookkeeping is better than running out of memory.
                self._pending.popleft()
                self.dropped += 1
            self._pending.append(write)

    def flush(self) -> int:
        """Apply what is queued; on failure keep it queued. Returns the writes applied."""
        written = 0
        with self._lock:
            while self._pending:
                batch = [self._pending[i] for i in range(min(BATCH, len(self._pending)))]
                try:
                    try:
                        self._apply(batch)
                    except IntegrityError:
                        self._apply_one_by_one(batch)
                except SQLAlchemyError as error:
                    self.failures += 1
                    log.warning(
                        "writes not applied, will retry",
                        extra={"pending": len(self._pending), "error": type(error).__name__},
                    )
                    return written
                for _ in batch:
                    self._pending.popleft()
                written += len(batch)
        return written

    def _apply(self, batch: list[Write]) -> None:
        # Plain inserts (call events, texts received: most of what webhooks write) go
        # in one multi-row statement per table; other writes apply one by one.
        bulk: dict[Table, list[dict[str, object]]] = {}
        events = [_row(write) for write in batch if isinstance(write, PendingEvent)]
        if events:
            bulk[CallEvent.__table__] = events  # type: ignore[attr-defined]
        with Session(self._engine) as session:
            upserts: dict[Table, list[dict[str, object]]] = {}
            for write in batch:
                if isinstance(write, PendingEvent):
                    continue
                table = getattr(write, "upsert_table", None)
                if table is not None:
                    upserts.setdefault(table, []).append(write.bulk_row())  # type: ignore[attr-defined]
                    continue
                table = getattr(write, "bulk_table", None)
                if table is not None:
                    bulk.setdefault(table, []).append(write.bulk_row())  # type: ignore[attr-defined]
                else:
                    write.apply(session)
            for table, rows in bulk.items():
                session.execute(insert(table), rows)
            for table, rows in upserts.items():
                self._upsert(session, table, rows)
            session.commit()

    def _upsert(self, session: Session, table: Table, rows: list[dict[str, object]]) -> None:
        """Insert `rows`, the newest of each key winning over what is there already."""
        latest: dict[object, dict[str, object]] = {}
        key = table.primary_key.columns.keys()[0]
        for row in rows:
            latest[row[key]] = row
        dialect = sqlite if self._engine.dialect.name == "sqlite" else postgresql
        statement = dialect.insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=[key],
            set_={name: statement.excluded[name] for name in rows[0] if name != key},
        )
        session.execute(statement, list(latest.values()))

    def _apply_one_by_one(self, batch: list[Write]) -> None:
        for write in batch:
            try:
                with Session(self._engine) as session:
                    write.apply(session)
                    session.commit()
            except IntegrityError:
                self.dropped += 1
                log.warning(
                    "a write broke a constraint and was dropped",
                    extra={"write": type(write).__name__},
                )

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
