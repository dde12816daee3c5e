"""Claims by code: who was called out for something, and who took it.

`Claims` is the interface incidents need: open a claim for the volunteers called out,
with a capacity (one responder, or two); call more out as it escalates; let a volunteer
take it by its code; close it. `TableClaims` keeps claims in the `incident_claim` table
with a compare-and-set on the holders, so two responders replying `GO` at once never
both get the last place.

Only a volunteer who was called out can take a claim: to anyone else a real code looks
exactly like an unknown one, so guessing codes tells a hostile volunteer nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy import update
from sqlmodel import Session, col, select

from hotline.models import IncidentClaim

CODE_DIGITS = 4
OPEN = "open"
CLOSED = "closed"


class Outcome(StrEnum):
    """What a volunteer's claim came to."""

    WON = "won"
    # They hold it already (a repeated GO).
    YOURS = "yours"
    # Every place is taken.
    FULL = "full"
    # No open claim with this code that they were called out for.
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Claimed:
    """A claim's result; `full` is True when this claim took the last place."""

    outcome: Outcome
    subject_id: int | None = None
    holders: tuple[int, ...] = ()
    alerted: tuple[int, ...] = ()
    full: bool = False


class Claims(Protocol):
    """Claims by code for the things volunteers are called out for."""

    def open(
        self,
        session: Session,
        *,
        subject_id: int,
        alerted: Iterable[int],
        capacity: int,
        now: datetime,
    ) -> str:
        """A new claim on `subject_id`; its code."""
        ...

    def alert(
        self, session: Session, *, code: str, volunteers: Iterable[int], now: datetime
    ) -> None:
        """`volunteers` were called out too: they may take it."""
        ...

    def claim(self, session: Session, *, code: str, volunteer_id: int, now: datetime) -> Claimed:
        """`volunteer_id` takes the claim `code`, if there is a place for them."""
        ...

    def holders(self, session: Session, *, code: str) -> tuple[int, ...]:
        """Who holds the open claim `code`."""
        ...

    def alerted(self, session: Session, *, code: str) -> tuple[int, ...]:
        """Who was called out for the open claim `code`."""
        ...

    def close(self, session: Session, *, code: str, now: datetime) -> None:
        """No one can take `code` any more."""
        ...


def _ids(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part)


def _text(ids: Iterable[int]) -> str:
    return ",".join(str(i) for i in sorted(set(ids)))


class TableClaims:
    """Claims kept in the `incident_claim` table."""

    def _open_row(self, session: Session, code: str) -> IncidentClaim | None:
        return session.exec(
            select(IncidentClaim)
            .where(IncidentClaim.code == code)
            .where(IncidentClaim.status == OPEN)
            .order_by(col(IncidentClaim.id).desc())
        ).first()

    def open(
        self,
        session: Session,
        *,
        subject_id: int,
        alerted: Iterable[int],
        capacity: int,
        now: datetime,
    ) -> str:
        code = _new_code()
        while self._open_row(session, code) is not None:
            code = _new_code()
        session.add(
            IncidentClaim(
                incident_id=subject_id,
                code=code,
                capacity=capacity,
                alerted=_text(alerted),
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
        return code

    def alert(
        self, session: Session, *, code: str, volunteers: Iterable[int], now: datetime
    ) -> None:
        row = self._open_row(session, code)
        if row is None:
            return
        row.alerted = _text((*_ids(row.alerted), *volunteers))
        row.updated_at = now
        session.add(row)
        session.flush()

    def claim(self, session: Session, *, code: str, volunteer_id: int, now: datetime) -> Claimed:
        while True:
            row = self._open_row(session, code)
            if row is None or volunteer_id not in _ids(row.alerted):
                return Claimed(Outcome.UNKNOWN)
            holders = _ids(row.holders)
            found = (row.incident_id, holders, _ids(row.alerted))
            if volunteer_id in holders:
                return Claimed(Outcome.YOURS, *found)
            if len(holders) >= row.capacity:
                return Claimed(Outcome.FULL, *found)
            taken = (*holders, volunteer_id)
            # Compare-and-set: another GO that landed first makes us read again.
            moved = session.exec(
                update(IncidentClaim)
                .where(col(IncidentClaim.id) == row.id)
                .where(col(IncidentClaim.holders) == row.holders)
                .values(holders=",".join(str(i) for i in taken), updated_at=now)
            ).rowcount
            session.expire(row)
            if moved == 1:
                full = len(taken) >= row.capacity
                return Claimed(Outcome.WON, row.incident_id, taken, found[2], full)

    def holders(self, session: Session, *, code: str) -> tuple[int, ...]:
        row = self._open_row(session, code)
        return _ids(row.holders) if row is not None else ()

    def alerted(self, session: Session, *, code: str) -> tuple[int, ...]:
        row = self._open_row(session, code)
        return _ids(row.alerted) if row is not None else ()

    def close(self, session: Session, *, code: str, now: datetime) -> None:
        session.exec(
            update(IncidentClaim)
            .where(col(IncidentClaim.code) == code)
            .where(col(IncidentClaim.status) == OPEN)
            .values(status=CLOSED, updated_at=now)
        )


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
