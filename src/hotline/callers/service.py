"""Returning callers' languages, read from memory so a new call never waits on the database.

The cache is loaded at start-up and refreshed in the background with what other
processes wrote since; a language chosen here is in the cache at once and reaches
the database through the spool.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from sqlalchemy import Engine, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from hotline.db import aware
from hotline.models import CallerPreference
from hotline.news import announce

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Remember:
    """Write: `caller_key` chose `language` at `at`."""

    caller_key: str
    key_epoch: int
    language: str
    at: datetime

    # The spool writes these many at a time, the newest choice of each caller winning.
    upsert_table: ClassVar[Table] = CallerPreference.__table__  # type: ignore[attr-defined]

    def bulk_row(self) -> dict[str, object]:
        return {
            "caller_key": self.caller_key,
            "key_epoch": self.key_epoch,
            "language": self.language,
            "updated_at": self.at,
        }

    def apply(self, session: Session) -> None:
        # One statement, insert or update: two texts of a new texter acted on at once
        # must not collide on the key (the loser's transaction, and its text, would go).
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        statement = dialect.insert(self.upsert_table).values(**self.bulk_row())
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["caller_key"],
                set_={
                    "key_epoch": statement.excluded.key_epoch,
                    "language": statement.excluded.language,
                    "updated_at": statement.excluded.updated_at,
                },
            )
        )
        announce(session, "language", [f"{self.caller_key}={self.language}"])


class PreferenceCache:
    """Languages by caller pseudonym, for the last `keep` of time."""

    def __init__(self, *, keep: timedelta) -> None:
        self.keep = keep
        self._languages: dict[str, tuple[str, datetime]] = {}
        self._seen_until: datetime | None = None
        self._lock = threading.Lock()

    def language(self, caller_keys: Iterable[str], *, now: datetime | None = None) -> str | None:
        """The language remembered under any of `caller_keys`, if still fresh."""
        oldest = (now or datetime.now(UTC)) - self.keep
        for key in caller_keys:
            found = self._languages.get(key)
            if found is not None and found[1] >= oldest:
                return found[0]
        return None

    def remember(self, caller_key: str, language: str, at: datetime) -> None:
        with self._lock:
            self._languages[caller_key] = (language, at)

    def forget(self, caller_keys: Iterable[str]) -> None:
        with self._lock:
            for key in caller_keys:
                self._languages.pop(key, None)

    def reload(self, engine: Engine, *, now: datetime | None = None) -> int:
        """Read every remembered language again, dropping what the database no longer has."""
        now = now or datetime.now(UTC)
        query = select(CallerPreference).where(col(CallerPreference.updated_at) >= now - self.keep)
        try:
            with Session(engine) as session:
                rows = list(session.exec(query).all())
        except SQLAlchemyError as error:
            log.warning("preferences not reloaded", extra={"error": type(error).__name__})
            return 0
        fresh = {row.caller_key: (row.language, aware(row.updated_at)) for row in rows}
        with self._lock:
            self._languages, self._seen_until = fresh, now
        return len(rows)

    def refresh(self, engine: Engine, *, now: datetime | None = None) -> int:
        """Read what changed since the last refresh; keep what we have if the read fails."""
        now = now or datetime.now(UTC)
        since = self._seen_until or now - self.keep
        # Overlap a little: a row committed late with an earlier timestamp is still read.
        query = select(CallerPreference).where(
            col(CallerPreference.updated_at) >= since - timedelta(seconds=30)
        )
        try:
            with Session(engine) as session:
                rows = list(session.exec(query).all())
        except SQLAlchemyError as error:
            log.warning("preferences not refreshed", extra={"error": type(error).__name__})
            return 0
        with self._lock:
            for row in rows:
                at = aware(row.updated_at)
                known = self._languages.get(row.caller_key)
                if known is None or known[1] <= at:
                    self._languages[row.caller_key] = (row.language, at)
            oldest = now - self.keep
            for key in [k for k, (_, at) in self._languages.items() if at < oldest]:
                del self._languages[key]
            self._seen_until = now
        return len(rows)
