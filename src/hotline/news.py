"""What one process learns, every other process learns within a second (PostgreSQL).

Each process keeps some things in memory so a caller never waits on the database: who
opted out, who has an open case, languages chosen, texts lately received, the roster.
A change to any of them is announced with NOTIFY in the same transaction that makes it
(so it is heard only if it commits), and every process LISTENs and applies it. A
process that loses its listening connection reloads all of it when it reconnects; the
periodic refreshes stay as the safety net. On SQLite, one process does it all and
nothing needs announcing.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Literal

import psycopg
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

log = logging.getLogger(__name__)

CHANNEL = "hotline"
# NOTIFY takes up to 8000 bytes; items are 32-character pseudonyms (and a language).
CHUNK = 150
Kind = Literal[
    "opted_out", "opted_in", "forgotten", "case_opened", "case_closed", "language", "texted",
    "roster", "exchange_opened", "exchange_closed",
]  # fmt: skip
# Who this process is: its own announcements come back to it and are skipped.
ME = secrets.token_hex(6)
ROSTER_TABLES = frozenset({"volunteer", "shift", "shift_override"})


def announce(session: Session, kind: Kind, items: Iterable[str] = ()) -> None:
    """Tell every other process, when this transaction commits (PostgreSQL only)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    listed = list(items)
    chunks = [listed[i : i + CHUNK] for i in range(0, len(listed), CHUNK)] or [[]]
    for chunk in chunks:
        payload = f"{ME}|{kind}|{','.join(chunk)}"
        notify = text("SELECT pg_notify(:channel, :payload)")
        session.execute(notify, {"channel": CHANNEL, "payload": payload})


@event.listens_for(Session, "after_flush")
def _note_roster_change(session: Session, _context: object) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(getattr(row, "__tablename__", "") in ROSTER_TABLES for row in changed):
        session.info["roster_changed"] = True


@event.listens_for(Session, "before_commit")
def _announce_roster_change(session: Session) -> None:
    # Whatever changed the roster (the API, the console, a volunteer's ON or OFF).
    if session.info.pop("roster_changed", False):
        announce(session, "roster")


Handler = Callable[[Sequence[str]], None]


class Listener:
    """LISTENs on its own connection and hands each announcement to its handler."""

    def __init__(
        self,
        *,
        url: str,
        handlers: dict[str, Handler],
        reload: Callable[[], None],
        poll_seconds: float = 0.5,
    ) -> None:
        self._conninfo = (
            make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        self._handlers = handlers
        self._reload = reload
        self._poll = poll_seconds
        self.connected = threading.Event()

    def run(self, stop: threading.Event) -> None:
        """Listen until `stop` is set, reconnecting (and reloading) after any failure."""
        while not stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=3) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.connected.set()
                    self._reload()
                    while not stop.is_set():
                        for note in conn.notifies(timeout=self._poll, stop_after=100):
                            self.handle(note.payload)
            except psycopg.Error:
                self.connected.clear()
                log.warning("not listening for other processes' changes; retrying")
                stop.wait(2.0)

    def handle(self, payload: str) -> None:
        sender, _, rest = payload.partition("|")
        kind, _, items = rest.partition("|")
        if sender == ME:
            return
        handler = self._handlers.get(kind)
        if handler is None:
            return
        try:
            handler([item for item in items.split(",") if item])
        except Exception:
            log.exception("an announcement could not be applied")
