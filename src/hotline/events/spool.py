"""The spool: what must be written, kept on local disk until the database has it.

Promises to a caller (the rights by text, a callback) are written here before the
caller hears them; the bookkeeping a webhook queues in memory comes here when the
database does not take it. Each entry is sealed with the vault (it can hold a caller's
number), appended to a segment file and fsync'd, then applied to the database in the
order written, exactly once: applying an entry records its id in the same
transaction, so an entry replayed after a crash or by another process changes
nothing. A segment whose entries are all applied is deleted.

Every process has its own active segment, locked while it lives; a process that starts
replays what a dead one left (any segment whose lock it can take).
"""

from __future__ import annotations

import base64
import dataclasses
import fcntl
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import (
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

from hotline.models import SpoolApplied
from hotline.privacy.vault import SealError, Vault

log = logging.getLogger(__name__)

SUFFIX = ".spool"
# Errors that say the database cannot be reached or waited on now (it may later).
TRANSIENT: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    DisconnectionError,
    PoolTimeout,
)


class SpoolError(Exception):
    """The spool cannot be written: the promise that needed it cannot be made."""


Apply = Callable[[Session, Sequence[Any]], None]


@dataclass
class _Segment:
    path: Path
    fd: int
    applied: int = 0


class Codec:
    """Writes to JSON and back, for the dataclasses registered with it."""

    def __init__(self) -> None:
        self._types: dict[str, type] = {}

    def register(self, *kinds: type) -> None:
        for kind in kinds:
            if not dataclasses.is_dataclass(kind):
                raise TypeError(f"{kind.__name__} is not a dataclass")
            self._types[kind.__name__] = kind

    def knows(self, write: object) -> bool:
        return type(write).__name__ in self._types

    def encode(self, write: object) -> dict[str, Any]:
        names = [f.name for f in dataclasses.fields(write)]  # type: ignore[arg-type]
        fields = {name: _plain(getattr(write, name)) for name in names}
        return {"type": type(write).__name__, "fields": fields}

    def decode(self, data: dict[str, Any]) -> object:
        kind = self._types[data["type"]]
        return kind(**{name: _value(value) for name, value in data["fields"].items()})


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, bytes):
        return {"$b": base64.b64encode(value).decode()}
    if isinstance(value, tuple | list):
        return {"$t": [_plain(v) for v in value]}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"{type(value).__name__} cannot be spooled")


def _value(value: object) -> object:
    if isinstance(value, dict):
        if "$dt" in value:
            return datetime.fromisoformat(value["$dt"])
        if "$b" in value:
            return base64.b64decode(value["$b"])
        if "$t" in value:
            return tuple(_value(v) for v in value["$t"])
    return value


class Spool:
    """Appends entries to this process's segment and applies every segment in order."""

    def __init__(
        self, *, directory: Path, vault: Vault, engine: Engine, codec: Codec, apply: Apply
    ) -> None:
        self._directory = directory
        self._vault = vault
        self._engine = engine
        self.codec = codec
        # Set by whoever knows how each write is applied (the composition root).
        self.apply = apply
        self._lock = threading.Lock()
        self._replaying = threading.Lock()
        self._active: _Segment | None = None
        self._cursors: dict[Path, int] = {}
        self.failures = 0
        # Set while entries may wait on disk: writes must then queue behind them.
        self.wanted = threading.Event()
        if self._segments():
            self.wanted.set()

    def check_writable(self) -> None:
        """SpoolError unless the folder can hold a segment (start-up asks first)."""
        try:
            self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            probe = self._directory / f".probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as error:
            raise SpoolError(
                f"the spool folder {self._directory} cannot be written: {error.strerror}"
            ) from None

    def append(self, writes: Iterable[object]) -> str:
        """Keep `writes` on disk as one entry; its id. SpoolError if that cannot be done."""
        entry_id = secrets.token_hex(16)
        body = json.dumps([self.codec.encode(w) for w in writes]).encode()
        sealed = self._vault.seal(body.decode(), place=_place(entry_id))
        line = entry_id.encode() + b" " + base64.b64encode(sealed) + b"\n"
        with self._lock:
            try:
                segment = self._active or self._open_segment()
            except OSError as error:
                self.failures += 1
                raise SpoolError(f"the spool cannot be written: {error.strerror}") from None
            size = os.fstat(segment.fd).st_size
            try:
                if os.write(segment.fd, line) != len(line):
                    raise OSError(28, "short write")
                os.fsync(segment.fd)
            except OSError as error:
                self.failures += 1
                self._abandon(segment, size)
                raise SpoolError(f"the spool cannot be written: {error.strerror}") from None
        self.wanted.set()
        return entry_id

    def close(self) -> None:
        """Let go of this process's segment: what it holds waits on disk for the next
        process to replay it."""
        with self._lock:
            if self._active is not None:
                os.close(self._active.fd)
                self._active = None

    def _abandon(self, segment: _Segment, size: int) -> None:
        """After a failed write: cut the torn line off and start a new segment next time."""
        try:
            os.ftruncate(segment.fd, size)
        except OSError:
            log.error("a torn spool line could not be cut off; it will be skipped")
        os.close(segment.fd)
        self._active = None

    @property
    def backlog(self) -> int:
        """Entries on disk not yet applied, as far as this process knows."""
        total = 0
        for path in self._segments():
            total += max(len(_read_lines(path)) - self._cursors.get(path, 0), 0)
        return total

    def replay(self) -> int:
        """Apply what is on disk and not yet applied, oldest segment first; how many
        entries were applied. Stops (keeping the rest) when the database does not answer."""
        # One replay at a time; a second caller waits, so that when it returns what was
        # on disk has been applied (or the database is down).
        with self._replaying:
            self.wanted.clear()
            applied = 0
            for path in self._segments():
                done, finished = self._replay_segment(path)
                applied += done
                if not finished:
                    self.wanted.set()
                    break
            return applied

    def _replay_segment(self, path: Path) -> tuple[int, bool]:
        with self._held(path) as mine:
            if not mine:
                return 0, True
            lines = _read_lines(path)
            start = self._cursors.get(path, 0)
            for number, line in enumerate(lines[start:], start=start):
                try:
                    self._apply_line(line)
                except TRANSIENT:
                    return number - start, False
                self._cursors[path] = number + 1
            self._retire(path, len(lines))
            return len(lines) - start, True

    def _apply_line(self, line: bytes) -> None:
        entry_id, _, payload = line.partition(b" ")
        entry = entry_id.decode()
        try:
            body = self._vault.open(base64.b64decode(payload), place=_place(entry))
            writes = [self.codec.decode(item) for item in json.loads(body)]
        except (SealError, ValueError, KeyError, TypeError):
            log.error("a spool entry does not open; it is skipped", extra={"entry": entry[:8]})
            return
        with Session(self._engine) as session:
            if session.get(SpoolApplied, entry) is not None:
                return
            try:
                self.apply(session, writes)
                # Marked last: a write may act through a transaction of its own first,
                # which this one must not be holding a lock against.
                session.add(SpoolApplied(entry_id=entry, applied_at=datetime.now(UTC)))
                session.commit()
                return
            except IntegrityError:
                session.rollback()
            except TRANSIENT:
                raise
            except Exception:
                # A write this code cannot apply would block every entry behind it.
                log.exception("a spool entry could not be applied; it is skipped")
                session.rollback()
                writes = []
        # One write broke a constraint: the entry is marked, the others applied alone.
        with Session(self._engine) as session:
            session.add(SpoolApplied(entry_id=entry, applied_at=datetime.now(UTC)))
            session.commit()
        for write in writes:
            try:
                with Session(self._engine) as session:
                    self.apply(session, [write])
                    session.commit()
            except IntegrityError:
                log.warning("a spooled write broke a constraint and was dropped")

    def _retire(self, path: Path, entries: int) -> None:
        """Delete a segment all of whose entries are applied; this process's own is
        closed first (its next entry starts a new one), unless more came meanwhile."""
        with self._lock:
            if self._active is not None and self._active.path == path:
                if len(_read_lines(path)) != entries:
                    return
                os.close(self._active.fd)
                self._active = None
            path.unlink(missing_ok=True)
            self._cursors.pop(path, None)

    def _segments(self) -> list[Path]:
        if not self._directory.is_dir():
            return []
        return sorted(self._directory.glob(f"*{SUFFIX}"))

    def _open_segment(self) -> _Segment:
        self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(4)}{SUFFIX}"
        path = self._directory / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_EXCL, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # The new name must survive a crash too.
        directory = os.open(self._directory, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        self._active = _Segment(path, fd)
        return self._active

    def _held(self, path: Path) -> _HeldSegment:
        return _HeldSegment(path, self._active.path if self._active else None)


class _HeldSegment:
    """A segment this process may replay: its own, or one no living process holds."""

    def __init__(self, path: Path, own: Path | None) -> None:
        self._path = path
        self._own = path == own
        self._fd: int | None = None

    def __enter__(self) -> bool:
        if self._own:
            return True
        try:
            self._fd = os.open(self._path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def __exit__(self, *_exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)


def _read_lines(path: Path) -> list[bytes]:
    """The whole lines of a segment; a last line torn by a crash is not one."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    lines = data.split(b"\n")
    return [line for line in lines[:-1] if line]


def _place(entry_id: str) -> str:
    return f"spool|entry|{entry_id}"
