"""A language remembered by two texts (or calls) of one new caller at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, delete, select

from hotline.callers.service import Remember
from hotline.models import CallerPreference

KEY = "c" * 32


@pytest.fixture
def engine(postgres_engine: Engine) -> Iterator[Engine]:
    """PostgreSQL only: SQLite lets one transaction write at a time, so they never meet."""
    yield postgres_engine
    with Session(postgres_engine) as session:
        session.exec(delete(CallerPreference))  # type: ignore[call-overload]
        session.commit()


@pytest.mark.postgres
def test_two_transactions_remembering_one_new_caller_at_once_both_commit(
    engine: Engine,
) -> None:
    first_wrote, failed = threading.Event(), []

    def second() -> None:
        first_wrote.wait(10)
        try:
            with Session(engine) as session:
                # Begun before the first commits: the row is not there yet for it.
                Remember(KEY, 1, "pl", datetime.now(UTC)).apply(session)
                session.commit()
        except Exception as error:
            failed.append(error)

    racer = threading.Thread(target=second)
    racer.start()
    with Session(engine) as session:
        Remember(KEY, 1, "es", datetime.now(UTC)).apply(session)
        first_wrote.set()
        racer.join(0.5)  # the second waits on this transaction's row
        session.commit()
    racer.join(10)
    assert failed == []
    with Session(engine) as session:
        (row,) = session.exec(select(CallerPreference)).all()
    assert (row.caller_key, row.language) == (KEY, "pl")
