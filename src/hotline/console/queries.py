"""Every query the Now and Calls pages run: urgent calls, callbacks and text cases.

Kept in one module, plain and read-only, so that a change in how calls, callbacks and
text cases are stored is answered here and nowhere else in the console. Nothing here
reads a sealed column: the console never holds a caller's number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from hotline.db import aware
from hotline.models import Callback, CallEvent, CallRecord, Disposition, SmsCase, Volunteer

# An urgent call that has rung nobody for this long is over, whatever Twilio said.
IN_PROGRESS_WINDOW = timedelta(minutes=15)
ENDED_STATUSES = ("completed", "busy", "failed", "no-answer", "canceled")
OPEN = ("waiting", "claimed")
BACKUP_VOLUNTEER = 0


@dataclass(frozen=True, slots=True)
class UrgentCall:
    id: int
    call_ref: str
    language: str | None
    tier: int
    asked_at: datetime
    first_ring_at: datetime | None
    answered_at: datetime | None
    outcome: str
    volunteer_id: int | None
    disposition: str | None


@dataclass(frozen=True, slots=True)
class Waiting:
    """An open callback or text case: its age and who holds it (None: nobody yet)."""

    kind: str
    id: int
    language: str
    status: str
    opened_at: datetime
    last_at: datetime
    volunteer_id: int | None
    code: str
    disposition: str | None = None


def _urgent(row: CallRecord, disposition: str | None = None) -> UrgentCall:
    return UrgentCall(
        id=row.id or 0,
        call_ref=row.call_ref,
        language=row.language,
        tier=row.tier_reached,
        asked_at=aware(row.urgent_at or row.started_at),
        first_ring_at=aware(row.first_ring_at) if row.first_ring_at else None,
        answered_at=aware(row.answered_at) if row.answered_at else None,
        outcome=row.outcome,
        volunteer_id=row.accepted_by,
        disposition=disposition,
    )


def urgent_in_progress(session: Session, *, now: datetime) -> list[UrgentCall]:
    """Urgent calls ringing volunteers now, oldest first: asked for a person lately,
    answered by nobody yet, and not hung up."""
    ended = select(CallEvent.call_ref).where(
        CallEvent.kind == "call.status", col(CallEvent.detail).in_(ENDED_STATUSES)
    )
    rows = session.exec(
        select(CallRecord)
        .where(col(CallRecord.urgent_at) >= now - IN_PROGRESS_WINDOW)
        .where(col(CallRecord.answered_at).is_(None))
        .where(col(CallRecord.outcome).in_(("open", "ringing")))
        .where(col(CallRecord.call_ref).not_in(ended))
        .order_by(col(CallRecord.urgent_at))
    ).all()
    return [_urgent(row) for row in rows]


def _callback(row: Callback, disposition: str | None = None) -> Waiting:
    return Waiting(
        kind="callback",
        id=row.id or 0,
        language=row.language,
        status=row.status,
        opened_at=aware(row.created_at),
        last_at=aware(row.updated_at),
        volunteer_id=row.claimed_by,
        code=row.code,
        disposition=disposition,
    )


def _case(row: SmsCase, disposition: str | None = None) -> Waiting:
    return Waiting(
        kind="text",
        id=row.id or 0,
        language=row.language,
        status=row.status,
        opened_at=aware(row.created_at),
        last_at=aware(row.last_activity_at),
        volunteer_id=row.volunteer_id,
        code=row.code,
        disposition=disposition,
    )


def open_callbacks(session: Session, *, volunteer_id: int | None = None) -> list[Waiting]:
    """Callbacks waiting or claimed, oldest first; of one volunteer if given."""
    query = select(Callback).where(col(Callback.status).in_(OPEN))
    if volunteer_id is not None:
        query = query.where(Callback.claimed_by == volunteer_id)
    return [_callback(row) for row in session.exec(query.order_by(col(Callback.created_at)))]


def open_cases(session: Session, *, volunteer_id: int | None = None) -> list[Waiting]:
    """Text cases waiting or held, oldest first; of one volunteer if given."""
    query = select(SmsCase).where(col(SmsCase.status).in_(OPEN))
    if volunteer_id is not None:
        query = query.where(SmsCase.volunteer_id == volunteer_id)
    return [_case(row) for row in session.exec(query.order_by(col(SmsCase.created_at)))]


@dataclass(frozen=True, slots=True)
class Filters:
    """The Calls page's filters: a stretch of time (a local day), a language, a volunteer."""

    start: datetime
    end: datetime
    language: str | None = None
    volunteer_id: int | None = None


def calls(session: Session, *, filters: Filters) -> list[UrgentCall]:
    """Urgent calls that started in the stretch, newest first, with their dispositions.

    For one volunteer: the calls they answered and those whose callback they claimed.
    """
    query = (
        select(CallRecord, Disposition.kind)
        .join(Disposition, col(Disposition.call_record_id) == col(CallRecord.id), isouter=True)
        .where(col(CallRecord.urgent_at).is_not(None))
        .where(col(CallRecord.started_at) >= filters.start)
        .where(col(CallRecord.started_at) < filters.end)
    )
    if filters.language:
        query = query.where(CallRecord.language == filters.language)
    if filters.volunteer_id is not None:
        claimed = select(Callback.call_ref).where(Callback.claimed_by == filters.volunteer_id)
        query = query.where(
            (col(CallRecord.accepted_by) == filters.volunteer_id)
            | col(CallRecord.call_ref).in_(claimed)
        )
    query = query.order_by(col(CallRecord.started_at).desc(), col(CallRecord.id).desc())
    return [_urgent(row, kind) for row, kind in session.exec(query).all()]


def callbacks(session: Session, *, filters: Filters) -> list[Waiting]:
    """Callbacks opened in the stretch, newest first."""
    query = (
        select(Callback)
        .where(col(Callback.created_at) >= filters.start)
        .where(col(Callback.created_at) < filters.end)
    )
    if filters.language:
        query = query.where(Callback.language == filters.language)
    if filters.volunteer_id is not None:
        query = query.where(Callback.claimed_by == filters.volunteer_id)
    query = query.order_by(col(Callback.created_at).desc())
    return [_callback(row) for row in session.exec(query).all()]


def cases(session: Session, *, filters: Filters) -> list[Waiting]:
    """Text cases opened in the stretch, newest first, with their dispositions."""
    query = (
        select(SmsCase, Disposition.kind)
        .join(Disposition, col(Disposition.sms_case_id) == col(SmsCase.id), isouter=True)
        .where(col(SmsCase.created_at) >= filters.start)
        .where(col(SmsCase.created_at) < filters.end)
    )
    if filters.language:
        query = query.where(SmsCase.language == filters.language)
    if filters.volunteer_id is not None:
        query = query.where(SmsCase.volunteer_id == filters.volunteer_id)
    query = query.order_by(col(SmsCase.created_at).desc())
    return [_case(row, kind) for row, kind in session.exec(query).all()]


def names(session: Session, ids: set[int]) -> dict[int, str]:
    """Volunteers' names by id, for the ids given."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = session.exec(select(Volunteer.id, Volunteer.name).where(col(Volunteer.id).in_(wanted)))
    return {int(vid): name for vid, name in rows.all() if vid is not None}
