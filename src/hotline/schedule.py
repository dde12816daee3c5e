"""Every periodic job, in one place, run by whichever processes are started.

`hotline serve` alone (the SQLite default) and any mix of `serve` and `worker`
processes on PostgreSQL run the same list. A job marked `one` runs in one process at
a time: it holds a PostgreSQL advisory lock (or, on SQLite, a file lock in the data
folder) while it runs, and a process that cannot take the lock skips that round. A job
marked `each` keeps one process's own memory fresh (the roster, opt-outs, languages)
or its own files (the spool), so every process runs it.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from anyio import to_thread
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from hotline.deps import Runtime, tick_claims
from hotline.news import Handler, Listener
from hotline.privacy import retention
from hotline.rapid import scheduled as rapid_scheduled
from hotline.startup import short_reason, unreachable

log = logging.getLogger(__name__)

Scope = Literal["each", "one"]
CALLBACK_TICK_SECONDS = 30.0
DATABASE_WATCH_SECONDS = 30.0
KEY_RATCHET_SECONDS = 60.0


@dataclass(frozen=True)
class Job:
    """A job, how often it runs, and whether every process runs it or one at a time."""

    name: str
    every: float
    run: Callable[[], object]
    scope: Scope


def jobs(runtime: Runtime) -> list[Job]:
    """Every periodic job of the hotline."""
    settings = runtime.settings
    return [
        Job("roster", settings.roster_refresh_seconds, runtime.roster.refresh, "each"),
        Job(
            "sms-memory",
            settings.preference_refresh_seconds,
            lambda: runtime.sms_memory.refresh(runtime.engine),
            "each",
        ),
        Job(
            "preferences",
            settings.preference_refresh_seconds,
            lambda: runtime.preferences.refresh(runtime.engine),
            "each",
        ),
        Job(
            "rights-ledger",
            settings.preference_refresh_seconds,
            lambda: runtime.rights_ledger.refresh(runtime.engine, now=datetime.now(UTC)),
            "each",
        ),
        Job("keys", KEY_RATCHET_SECONDS, runtime.keyring.ratchet, "each"),
        Job("database", DATABASE_WATCH_SECONDS, DatabaseWatch(runtime).check, "each"),
        Job("claims", CALLBACK_TICK_SECONDS, lambda: tick_callbacks(runtime), "one"),
        Job("rapid-response", rapid_scheduled.TICK_SECONDS, lambda: tick_rapid(runtime), "one"),
        Job(
            "purge",
            settings.purge_interval_minutes * 60,
            lambda: retention.purge(runtime.engine, settings),
            "one",
        ),
    ]


def tick_callbacks(runtime: Runtime) -> int:
    """Expire, announce again or hand to the backup number the claims that are due; close
    the text cases that went quiet. Returns how many were handled."""
    return tick_claims(runtime)


def tick_rapid(runtime: Runtime) -> rapid_scheduled.Ticked:
    """Escalate call-outs nobody took, expire incidents nobody verified, queue alerts."""
    return rapid_scheduled.tick(runtime.engine, rapid=runtime.rapid, now=datetime.now(UTC))


class DatabaseWatch:
    """One clear line while the database does not answer, and one when it is back."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self.down_since: datetime | None = None

    def check(self) -> bool:
        runtime = self._runtime
        reason = unreachable(runtime.engine)
        if reason is None:
            if self.down_since is not None:
                log.warning("the database answers again; catching up on what was spooled")
                self.down_since = None
            return True
        self.down_since = self.down_since or datetime.now(UTC)
        log.warning(
            "the database does not answer; callers are answered from memory and writes are spooled",
            extra={
                "database": runtime.settings.masked_database_url,
                "reason": reason,
                "since": self.down_since.isoformat(timespec="seconds"),
                "waiting": runtime.recorder.pending,
            },
        )
        return False


class Scheduler:
    """Runs jobs on their intervals: as asyncio tasks in the web process, as threads in
    the worker."""

    def __init__(self, jobs: list[Job], *, engine: Engine, lock_dir: Path) -> None:
        self._jobs = jobs
        self._engine = engine
        self._lock_dir = lock_dir

    def run_once(self, job: Job) -> bool:
        """Run `job` now if this process may (its lock is free); True when it ran."""
        with self._exclusive(job) as mine:
            if not mine:
                return False
            try:
                job.run()
            except SQLAlchemyError as error:
                log.warning(
                    "a periodic job could not reach the database; it runs again next time",
                    extra={"job": job.name, "reason": short_reason(error)},
                )
            except Exception:
                log.exception("a periodic job failed; it runs again next time")
            return True

    def tasks(self) -> list[asyncio.Task[None]]:
        """One asyncio task per job, each running it in a worker thread."""
        return [asyncio.create_task(self._loop(job)) for job in self._jobs]

    async def _loop(self, job: Job) -> None:
        while True:
            await asyncio.sleep(job.every)
            await to_thread.run_sync(self.run_once, job)

    def run_blocking(self, stop: threading.Event) -> list[threading.Thread]:
        """One thread per job, until `stop` is set; the threads, started."""
        threads = [
            threading.Thread(
                target=self._repeat, args=(job, stop), name=f"hotline-{job.name}", daemon=True
            )
            for job in self._jobs
        ]
        for thread in threads:
            thread.start()
        return threads

    def _repeat(self, job: Job, stop: threading.Event) -> None:
        while not stop.wait(job.every):
            self.run_once(job)

    @contextmanager
    def _exclusive(self, job: Job) -> Iterator[bool]:
        if job.scope == "each":
            yield True
        elif self._engine.dialect.name == "postgresql":
            with _advisory_lock(self._engine, job.name) as mine:
                yield mine
        else:
            with _file_lock(self._lock_dir / f"{job.name}.lock") as mine:
                yield mine


@contextmanager
def _advisory_lock(engine: Engine, name: str) -> Iterator[bool]:
    key = zlib.crc32(f"hotline job {name}".encode())
    try:
        connection = engine.connect()
        mine = bool(
            connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        )
        connection.commit()
    except SQLAlchemyError:
        yield False
        return
    try:
        yield mine
    finally:
        with suppress(SQLAlchemyError):
            if mine:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                connection.commit()
        connection.close()


@contextmanager
def _file_lock(path: Path) -> Iterator[bool]:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def news_listener(runtime: Runtime) -> Listener | None:
    """What keeps this process's memory in step with the others' changes (PostgreSQL)."""
    if runtime.engine.dialect.name != "postgresql":
        return None
    memory, preferences, ledger = runtime.sms_memory, runtime.preferences, runtime.rights_ledger

    def forgotten(keys: Sequence[str]) -> None:
        preferences.forget(keys)
        ledger.forget(keys)
        memory.change("close_case", keys)
        memory.change("close_exchange", keys)

    def languages(items: Sequence[str]) -> None:
        now = datetime.now(UTC)
        for item in items:
            key, _, lang = item.partition("=")
            preferences.remember(key, lang, now)

    def roster(_items: Sequence[str]) -> None:
        runtime.roster.refresh()

    def reload() -> None:
        memory.refresh(runtime.engine)
        preferences.reload(runtime.engine)
        runtime.roster.refresh()

    handlers: dict[str, Handler] = {
        "opted_out": lambda keys: memory.change("opt_out", keys),
        "opted_in": lambda keys: memory.change("opt_in", keys),
        "forgotten": forgotten,
        "case_opened": lambda keys: memory.change("open_case", keys),
        "case_closed": lambda keys: memory.change("close_case", keys),
        "exchange_opened": lambda keys: memory.change("open_exchange", keys),
        "exchange_closed": lambda keys: memory.change("close_exchange", keys),
        "language": languages,
        "texted": lambda keys: memory.sent_elsewhere(keys, datetime.now(UTC)),
        "roster": roster,
    }
    return Listener(url=runtime.settings.sqlalchemy_url, handlers=handlers, reload=reload)


def start_listening(runtime: Runtime, stop: threading.Event) -> threading.Thread | None:
    """A thread that listens for the other processes' changes, until `stop` is set."""
    listener = news_listener(runtime)
    if listener is None:
        return None
    thread = threading.Thread(target=listener.run, args=(stop,), name="hotline-news", daemon=True)
    thread.start()
    return thread
