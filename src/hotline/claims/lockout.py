"""Guessing codes does not pay: after `MAX_WRONG` codes in `WINDOW` that match nothing a
volunteer may take, their codes are not read for `LOCKED_FOR`, and the audit log says so
(the volunteer's id only: no number, no code). Coordinators are texted by the caller."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from hotline.db import aware
from hotline.models import AuditEntry, ClaimFailure, ClaimLockout

MAX_WRONG = 5
WINDOW = timedelta(hours=1)
LOCKED_FOR = timedelta(hours=1)


def locked_out(*, session: Session, volunteer_id: int, now: datetime) -> bool:
    """Whether `volunteer_id`'s codes are not being read at `now`."""
    row = session.get(ClaimLockout, volunteer_id)
    return row is not None and aware(row.until) > now


def wrong_code(*, session: Session, volunteer_id: int, now: datetime) -> bool:
    """Count a wrong code; True when this one locks the volunteer out."""
    session.exec(
        delete(ClaimFailure)
        .where(col(ClaimFailure.volunteer_id) == volunteer_id)
        .where(col(ClaimFailure.at) < now - WINDOW)
    )
    session.add(ClaimFailure(volunteer_id=volunteer_id, at=now))
    session.flush()
    wrong = session.exec(
        select(func.count())
        .select_from(ClaimFailure)
        .where(col(ClaimFailure.volunteer_id) == volunteer_id)
    ).one()
    if int(wrong) < MAX_WRONG:
        return False
    session.exec(delete(ClaimFailure).where(col(ClaimFailure.volunteer_id) == volunteer_id))
    row = session.get(ClaimLockout, volunteer_id) or ClaimLockout(
        volunteer_id=volunteer_id, until=now
    )
    row.until = now + LOCKED_FOR
    session.add(row)
    session.add(
        AuditEntry(
            user_id=None,
            action="lockout",
            entity="volunteer",
            entity_id=volunteer_id,
            fields="claim_codes",
            at=now,
        )
    )
    session.flush()
    return True
