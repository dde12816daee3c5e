"""Every query the Now and Calls pages run: urgent calls, callbacks, text cases, and the
incidents waiting for verification with the responders dispatched to them.

Kept in one module, plain and read-only, so that a change in how calls, callbacks and
text cases are stored is answered here and nowhere else in the console. Nothing here
reads a sealed column: the console never holds a caller's number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from hotline.db import aware
from hotline.models import (
    Callback,
    CallEvent,
    CallRecord,
    Claim,
    ClaimHolder,
    ClaimStatus,
    Disposition,
    Incident,
    SmsCase,
    Volunteer,
    Zone,
)

# Incidents still being verified: a call-out out, or a responder on the way.
VERIFYING = ("reported", "dispatched")
# An urgent call that has rung nobody for this long is over, whatever Twilio said.
IN_PROGRESS_WINDOW = timedelta(minutes=15)
ENDED_STATUSES = ("completed", "busy", "failed", "no-answer", "canceled")
OPEN = tuple(ClaimStatus.open_statuses())
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


# A claim's status as the console words it.
_SHOWN = {ClaimStatus.HELD: "claimed", ClaimStatus.CANCELED: "closed"}


def _status(claim: Claim) -> str:
    return _SHOWN.get(ClaimStatus(claim.status), str(claim.status))


def _holder(holder: ClaimHolder | None) -> int | None:
    """Who holds it: a volunteer's id, BACKUP_VOLUNTEER for the backup number, or None."""
    if holder is None:
        return None
    return BACKUP_VOLUNTEER if holder.backup else holder.volunteer_id


def _callback(
    row: Callback, claim: Claim, holder: ClaimHolder | None, disposition: str | None = None
) -> Waiting:
    return Waiting(
        kind="callback",
        id=row.id or 0,
        language=row.language,
        status=_status(claim),
        opened_at=aware(row.created_at),
        last_at=aware(row.updated_at),
        volunteer_id=_holder(holder),
        code=claim.code,
        disposition=disposition,
    )


def _case(
    row: SmsCase, claim: Claim, holder: ClaimHolder | None, disposition: str | None = None
) -> Waiting:
    return Waiting(
        kind="text",
        id=row.id or 0,
        language=row.language,
        status=_status(claim),
        opened_at=aware(row.created_at),
        last_at=aware(row.last_activity_at),
        volunteer_id=_holder(holder),
        code=claim.code,
        disposition=disposition,
    )


def _with_claim(subject: Any, volunteer_id: int | None) -> Any:
    """`subject` (Callback or SmsCase) joined to its claim and its first holder; only
    those `volunteer_id` held, when given."""
    query = (
        select(subject, Claim, ClaimHolder)
        .join(Claim, col(Claim.id) == subject.claim_id)
        .join(ClaimHolder, col(ClaimHolder.claim_id) == col(Claim.id), isouter=True)
    )
    if volunteer_id is not None:
        query = query.where(ClaimHolder.volunteer_id == volunteer_id)
    return query


def _first_holders(rows: Any) -> list[tuple[Any, Claim, ClaimHolder | None]]:
    """One row per subject: a claim with two holders shows its first."""
    seen: dict[int, tuple[Any, Claim, ClaimHolder | None]] = {}
    for subject, claim, holder in rows:
        known = seen.get(subject.id)
        if known is None or (
            holder is not None and known[2] is not None and holder.id < known[2].id
        ):
            seen[subject.id] = (subject, claim, holder)
    return list(seen.values())


def open_callbacks(session: Session, *, volunteer_id: int | None = None) -> list[Waiting]:
    """Callbacks waiting or claimed, oldest first; of one volunteer if given."""
    query = _with_claim(Callback, volunteer_id).where(col(Claim.status).in_(OPEN))
    rows = session.exec(query.order_by(col(Callback.created_at))).all()
    return [_callback(*row) for row in _first_holders(rows)]


def open_cases(session: Session, *, volunteer_id: int | None = None) -> list[Waiting]:
    """Text cases waiting or held, oldest first; of one volunteer if given."""
    query = _with_claim(SmsCase, volunteer_id).where(col(Claim.status).in_(OPEN))
    rows = session.exec(query.order_by(col(SmsCase.created_at))).all()
    return [_case(*row) for row in _first_holders(rows)]


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
        claimed = (
            select(Callback.call_ref)
            .join(ClaimHolder, col(ClaimHolder.claim_id) == col(Callback.claim_id))
            .where(ClaimHolder.volunteer_id == filters.volunteer_id)
        )
        query = query.where(
            (col(CallRecord.accepted_by) == filters.volunteer_id)
            | col(CallRecord.call_ref).in_(claimed)
        )
    query = query.order_by(col(CallRecord.started_at).desc(), col(CallRecord.id).desc())
    return [_urgent(row, kind) for row, kind in session.exec(query).all()]


def callbacks(session: Session, *, filters: Filters) -> list[Waiting]:
    """Callbacks opened in the stretch, newest first."""
    query = (
        _with_claim(Callback, filters.volunteer_id)
        .where(col(Callback.created_at) >= filters.start)
        .where(col(Callback.created_at) < filters.end)
    )
    if filters.language:
        query = query.where(Callback.language == filters.language)
    rows = session.exec(query.order_by(col(Callback.created_at).desc())).all()
    return [_callback(*row) for row in _first_holders(rows)]


def cases(session: Session, *, filters: Filters) -> list[Waiting]:
    """Text cases opened in the stretch, newest first, with their dispositions."""
    query = (
        _with_claim(SmsCase, filters.volunteer_id)
        .where(col(SmsCase.created_at) >= filters.start)
        .where(col(SmsCase.created_at) < filters.end)
    )
    if filters.language:
        query = query.where(SmsCase.language == filters.language)
    rows = session.exec(query.order_by(col(SmsCase.created_at).desc())).all()
    kinds = _case_dispositions(session, [case.id for case, _, _ in rows])
    return [
        _case(case, claim, holder, kinds.get(case.id or 0))
        for case, claim, holder in _first_holders(rows)
    ]


def _case_dispositions(session: Session, ids: list[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i]
    if not wanted:
        return {}
    rows = session.exec(
        select(Disposition.sms_case_id, Disposition.kind).where(
            col(Disposition.sms_case_id).in_(wanted)
        )
    ).all()
    return {case_id: kind for case_id, kind in rows if case_id is not None}


def names(session: Session, ids: set[int]) -> dict[int, str]:
    """Volunteers' names by id, for the ids given."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = session.exec(select(Volunteer.id, Volunteer.name).where(col(Volunteer.id).in_(wanted)))
    return {int(vid): name for vid, name in rows.all() if vid is not None}


@dataclass(frozen=True, slots=True)
class Verifying:
    """An incident waiting for verification: where, what, how many reports, since when,
    and the responders who took its call-out (none yet while it is only reported)."""

    id: int
    zone: str | None
    kind: str
    status: str
    reports: int
    opened_at: datetime
    responders: tuple[int, ...]


def incidents_waiting(session: Session, *, volunteer_id: int | None = None) -> list[Verifying]:
    """Open incidents, oldest first; for one volunteer, those they were dispatched to."""
    rows = session.exec(
        select(Incident, Zone.name)
        .join(Zone, col(Zone.id) == col(Incident.zone_id), isouter=True)
        .where(col(Incident.status).in_(VERIFYING))
        .order_by(col(Incident.opened_at))
    ).all()
    claims = [incident.claim_id for incident, _ in rows if incident.claim_id is not None]
    held: dict[int, list[int]] = {}
    query = select(ClaimHolder).where(col(ClaimHolder.claim_id).in_(claims))
    for holder in session.exec(query.order_by(col(ClaimHolder.id))).all() if claims else ():
        if holder.volunteer_id is not None:
            held.setdefault(holder.claim_id, []).append(holder.volunteer_id)
    found = [
        Verifying(incident.id or 0, zone, incident.kind, incident.status, incident.reports,
                  aware(incident.opened_at), tuple(held.get(incident.claim_id or 0, ())))
        for incident, zone in rows
    ]  # fmt: skip
    return [v for v in found if volunteer_id is None or volunteer_id in v.responders]
