"""Writes from webhooks, queued in memory and applied in batches off the caller's path.

A webhook only appends to a queue. A background task applies the queue in one
transaction every fraction of a second. When the database does not take a batch
(down, locked, full), the queue goes to the spool on disk, which the service replays
once the database answers again, so a restart in the meantime loses none of it. A
write the database refuses outright (a constraint) is dropped alone, never the batch.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from anyio import to_thread
from sqlalchemy import Engine, Table, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session

from hotline.events.spool import Spool, SpoolError
from hotline.models import CallerPreference, CallEvent, SmsInbound
from hotline.news import announce

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
    """Queues writes and applies them in batches; spills them to `spool` when it must."""

    def __init__(self, engine: Engine, spool: Spool | None = None) -> None:
        self._engine = engine
        self._spool = spool
        self._pending: deque[Write] = deque()
        # Held by one flush at a time, through its database and disk work.
        self._lock = threading.Lock()
        # Held a moment by whoever changes the queue: webhooks add to it while a flush
        # is writing out what it took.
        self._queue = threading.Lock()
        self.dropped = 0
        self.failures = 0
        # Whether the last attempt to write to the database succeeded.
        self.writing = True

    @property
    def pending(self) -> int:
        return len(self._pending)

    def record(self, writes: Iterable[Write]) -> None:
        """Queue `writes`; never waits on the database or the disk, never raises."""
        with self._queue:
            for write in writes:
                if len(self._pending) >= MAX_PENDING:
                    # Losing the oldest bookkeeping is better than running out of memory.
                    self._pending.popleft()
                    self.dropped += 1
                self._pending.append(write)

    def flush(self) -> int:
        """Apply what the spool holds, then what is queued; what the database does not
        take goes to the spool. Returns the queued writes applied."""
        written = 0
        with self._lock:
            if self._spool is not None and self._spool.wanted.is_set():
                self._spool.replay()
                if self._spool.wanted.is_set():
                    # Entries still wait on disk: what is queued goes behind them, in order.
                    self.writing = False
                    self._spill()
                    return 0
                self.writing = True
            while self._pending:
                with self._queue:
                    batch = [self._pending[i] for i in range(min(BATCH, len(self._pending)))]
                try:
                    try:
                        self._apply(batch)
                    except IntegrityError:
                        self._apply_one_by_one(batch)
                except SQLAlchemyError as error:
                    self.failures += 1
                    self.writing = False
                    log.warning(
                        "writes not applied, will retry",
                        extra={"pending": len(self._pending), "error": type(error).__name__},
                    )
                    self._spill()
                    return written
                with self._queue:
                    self._take(len(batch))
                written += len(batch)
                self.writing = True
        return written

    def _spill(self) -> None:
        """Move what is queued to the spool on disk, where a restart finds it; keep it
        queued if the spool cannot take it either. What is queued meanwhile stays queued,
        for the next flush."""
        if self._spool is None or not self._pending:
            return
        with self._queue:
            taken = list(self._pending)
        spoolable = [w for w in taken if self._spool.codec.knows(w)]
        try:
            self._spool.append(spoolable)
        except SpoolError:
            log.error("writes could be neither applied nor spooled; they stay in memory")
            return
        kept = [w for w in taken if not self._spool.codec.knows(w)]
        with self._queue:
            self._take(len(taken))
            self._pending.extendleft(reversed(kept))

    def _take(self, count: int) -> None:
        """Drop the first `count` queued writes (a flush has them now); the caller holds
        the queue's lock."""
        for _ in range(min(count, len(self._pending))):
            self._pending.popleft()

    def _apply(self, batch: list[Write]) -> None:
        with Session(self._engine) as session:
            apply_writes(session, batch)
            session.commit()

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
            if self._pending or (self._spool is not None and self._spool.wanted.is_set()):
                await to_thread.run_sync(self.flush)


def apply_writes(session: Session, batch: Sequence[object]) -> None:
    """Apply `batch` in `session`. Plain inserts (call events, texts received: most of
    what webhooks write) go in one multi-row statement per table; upserts likewise,
    the newest of each key winning; writes of a kind that applies many at once
    (`apply_many`) together; other writes one by one."""
    bulk: dict[Table, list[dict[str, object]]] = {}
    upserts: dict[Table, list[dict[str, object]]] = {}
    together: dict[type, list[object]] = {}
    for write in batch:
        if isinstance(write, PendingEvent):
            bulk.setdefault(CallEvent.__table__, []).append(_row(write))  # type: ignore[attr-defined]
        elif (table := getattr(write, "upsert_table", None)) is not None:
            upserts.setdefault(table, []).append(write.bulk_row())  # type: ignore[attr-defined]
        elif (table := getattr(write, "bulk_table", None)) is not None:
            bulk.setdefault(table, []).append(write.bulk_row())  # type: ignore[attr-defined]
        elif hasattr(type(write), "apply_many"):
            together.setdefault(type(write), []).append(write)
        else:
            write.apply(session)  # type: ignore[attr-defined]
    for kind, writes in together.items():
        kind.apply_many(session, writes)  # type: ignore[attr-defined]
    for table, rows in bulk.items():
        session.execute(insert(table), rows)
    for table, rows in upserts.items():
        _upsert(session, table, rows)
    _announce(session, bulk, upserts)


def _announce(
    session: Session,
    bulk: dict[Table, list[dict[str, object]]],
    upserts: dict[Table, list[dict[str, object]]],
) -> None:
    """Tell the other processes of texts received and languages chosen."""
    texted = bulk.get(SmsInbound.__table__, [])  # type: ignore[attr-defined]
    if texted:
        announce(session, "texted", [str(row["contact_key"]) for row in texted])
    chosen = upserts.get(CallerPreference.__table__, [])  # type: ignore[attr-defined]
    if chosen:
        announce(session, "language", [f"{row['caller_key']}={row['language']}" for row in chosen])


def _upsert(session: Session, table: Table, rows: list[dict[str, object]]) -> None:
    """Insert `rows`, the newest of each key winning over what is there already."""
    latest: dict[object, dict[str, object]] = {}
    key = table.primary_key.columns.keys()[0]
    for row in rows:
        latest[row[key]] = row
    bind = session.get_bind()
    dialect = sqlite if bind.dialect.name == "sqlite" else postgresql
    statement = dialect.insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[key],
        set_={name: statement.excluded[name] for name in rows[0] if name != key},
    )
    session.execute(statement, list(latest.values()))


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
