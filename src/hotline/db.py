"""Engine and sessions; SQLite pragmas; the constraint naming convention."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, MetaData, event
from sqlmodel import Session, SQLModel, create_engine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Set before any table is declared, so every constraint has a stable name that
# migrations can refer to on both SQLite and PostgreSQL.
metadata: MetaData = SQLModel.metadata
metadata.naming_convention = NAMING_CONVENTION


# How long a SQLite write waits for another to finish, outside a webhook's deadline.
BUSY_MS = 5000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets webhooks read while the recorder writes; secure_delete overwrites
    # deleted rows so purged data does not linger in the file.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`, with SQLite set up for a single-host service."""
    if url.startswith("sqlite"):
        in_memory = url in ("sqlite://", "sqlite:///") or ":memory:" in url
        # A file is pooled: each new connection pays for opening it and its pragmas.
        pooling: dict[str, Any] = {} if in_memory else {"pool_size": 5, "max_overflow": 10}
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 5}, **pooling
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        connect_args={"connect_timeout": 3},
    )


def aware(moment: datetime) -> datetime:
    """`moment` with its UTC zone: SQLite hands back naive datetimes that were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@contextmanager
def transaction(engine: Engine, *, deadline_ms: int | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error.

    With `deadline_ms`, no statement waits longer than that for a lock or an answer:
    a webhook that cannot be served by the database in time answers from memory.
    """
    limited = deadline_ms is not None and engine.dialect.name == "sqlite"
    with Session(engine, expire_on_commit=False) as session:
        try:
            if deadline_ms is not None:
                _limit(session, deadline_ms)
            yield session
            if limited:
                _limit(session, BUSY_MS)
            session.commit()
        except BaseException:
            if limited:
                # The connection goes back to the pool with its usual patience.
                with suppress(Exception):
                    _limit(session, BUSY_MS)
            session.rollback()
            raise


def _limit(session: Session, deadline_ms: int) -> None:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(deadline_ms)}")
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {int(deadline_ms)}")
    else:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={int(deadline_ms)}")
