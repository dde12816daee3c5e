"""Dispositions: one word on what an urgent call or a text case was about.

The volunteer who took it notes it, from the console or by text (`NOTE <code> <kind>`).
The code is the one they already have: a text case's, a callback's, or for a call
answered live the four digits the console shows beside it. A code is looked up only
among what this volunteer took in the last week, so guessing one finds nothing of
anyone else's. A coordinator may note anything.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlmodel import Session, col, select

from hotline.auth import service as auth_service
from hotline.auth.service import InvalidField
from hotline.db import aware
from hotline.dispositions import messages
from hotline.errors import Forbidden, NotFound
from hotline.i18n.translator import Translator
from hotline.models import (
    DISPOSITION_KINDS,
    Callback,
    CallRecord,
    Claim,
    ClaimHolder,
    Disposition,
    SmsCase,
    User,
)

Subject = Literal["call", "text"]
WINDOW = timedelta(days=7)
# The words a volunteer may text, and the kind each stands for.
WORDS = {
    "RIGHTS": "rights",
    "SIGHTING": "sighting",
    "DETENTION": "detention",
    "CLINIC": "clinic",
    "REFERRAL": "clinic",
    "NOTIMM": "not_immigration",
    "NOT": "not_immigration",
    "OTHER": "other",
}
WORD_OF = {
    "rights": "RIGHTS",
    "sighting": "SIGHTING",
    "detention": "DETENTION",
    "clinic": "CLINIC",
    "not_immigration": "NOTIMM",
    "other": "OTHER",
}
NOTE = re.compile(r"\s*note\b\s*(.*)", re.IGNORECASE | re.DOTALL)
NOTE_ARGS = re.compile(r"(\d{4,6})\s+([A-Za-z]+)\s*")


@dataclass(frozen=True, slots=True)
class Taken:
    """A call or text case a volunteer took, and the code they know it by."""

    subject: Subject
    id: int
    code: str
    at: datetime


def call_code(call_ref: str) -> str:
    """The four digits a call answered live is known by (its pseudonym, shortened)."""
    return f"{int(hashlib.sha256(call_ref.encode()).hexdigest()[:8], 16) % 10_000:04d}"


def taken_by(*, session: Session, volunteer_id: int, since: datetime) -> list[Taken]:
    """What `volunteer_id` took since `since`, newest first: calls they answered, calls
    whose callback they claimed, text cases they held."""
    found: list[Taken] = []
    answered = session.exec(
        select(CallRecord)
        .where(CallRecord.accepted_by == volunteer_id)
        .where(col(CallRecord.started_at) >= since)
    ).all()
    found += [
        Taken("call", r.id or 0, call_code(r.call_ref), aware(r.started_at)) for r in answered
    ]
    claimed = session.exec(
        _held(select(Callback, CallRecord, Claim.code), Callback, volunteer_id)
        .join(CallRecord, col(CallRecord.call_ref) == col(Callback.call_ref))
        .where(col(Callback.created_at) >= since)
    ).all()
    # A call whose callback they claimed: known by the callback's code, or the call's.
    for c, r, code in claimed:
        found.append(Taken("call", r.id or 0, code, aware(c.created_at)))
        found.append(Taken("call", r.id or 0, call_code(r.call_ref), aware(c.created_at)))
    cases = session.exec(
        _held(select(SmsCase, Claim.code), SmsCase, volunteer_id).where(
            col(SmsCase.created_at) >= since
        )
    ).all()
    found += [Taken("text", c.id or 0, code, aware(c.created_at)) for c, code in cases]
    return sorted(found, key=lambda taken: taken.at, reverse=True)


def may_note(*, session: Session, user: User, subject: Subject, subject_id: int) -> bool:
    """True when `user` may note this call or case: a coordinator, or who took it."""
    if auth_service.is_coordinator(user):
        return True
    if user.volunteer_id is None:
        return False
    if subject == "text":
        held = _held(select(SmsCase.id), SmsCase, user.volunteer_id)
        return session.exec(held.where(SmsCase.id == subject_id)).first() is not None
    record = session.get(CallRecord, subject_id)
    if record is None:
        return False
    if record.accepted_by == user.volunteer_id:
        return True
    claimed = session.exec(
        _held(select(Callback.id), Callback, user.volunteer_id).where(
            Callback.call_ref == record.call_ref
        )
    ).first()
    return claimed is not None


def _held(query: Any, subject: Any, volunteer_id: int) -> Any:
    """`query` over `subject` (Callback or SmsCase) narrowed to those `volunteer_id` held."""
    return (
        query.join(Claim, col(Claim.id) == subject.claim_id)
        .join(ClaimHolder, col(ClaimHolder.claim_id) == col(Claim.id))
        .where(ClaimHolder.volunteer_id == volunteer_id)
    )


def note(
    *,
    session: Session,
    subject: Subject,
    subject_id: int,
    kind: str,
    volunteer_id: int | None,
    user: User | None,
    now: datetime | None = None,
) -> Disposition:
    """Record (or correct) what a call or case was about."""
    if kind not in DISPOSITION_KINDS:
        raise InvalidField(f"kind is one of {', '.join(DISPOSITION_KINDS)}", loc=("kind",))
    table = CallRecord if subject == "call" else SmsCase
    if session.get(table, subject_id) is None:
        raise NotFound(f"that {subject} does not exist")
    column = Disposition.call_record_id if subject == "call" else Disposition.sms_case_id
    row = session.exec(select(Disposition).where(column == subject_id)).first()
    row = row or Disposition(
        call_record_id=subject_id if subject == "call" else None,
        sms_case_id=subject_id if subject == "text" else None,
        kind=kind,
        at=now or datetime.now(UTC),
    )
    row.kind = kind
    row.volunteer_id = volunteer_id if volunteer_id is not None else row.volunteer_id
    session.add(row)
    session.flush()
    auth_service.record(
        session=session,
        user=user,
        action="update",
        entity="disposition",
        entity_id=row.id,
        fields=["kind"],
        now=now,
    )
    return row


def note_as(
    *, session: Session, user: User, subject: Subject, subject_id: int, kind: str
) -> Disposition:
    """`user` notes a call or case from the console; Forbidden unless they may."""
    if not may_note(session=session, user=user, subject=subject, subject_id=subject_id):
        raise Forbidden("only the volunteer who took it, or a coordinator, may note this")
    return note(
        session=session,
        subject=subject,
        subject_id=subject_id,
        kind=kind,
        volunteer_id=user.volunteer_id,
        user=user,
    )


def answer_text(
    *, session: Session, volunteer_id: int, body: str, t: Translator, now: datetime
) -> str | None:
    """The reply to a volunteer's `NOTE <code> <kind>`; None when `body` is no NOTE."""
    found = NOTE.fullmatch(body)
    if found is None:
        return None
    args = NOTE_ARGS.fullmatch(found.group(1))
    kind = WORDS.get(args.group(2).upper()) if args else None
    if args is None or kind is None:
        return t(messages.NOTE_HOW)
    code = args.group(1)
    taken = taken_by(session=session, volunteer_id=volunteer_id, since=now - WINDOW)
    match = next((item for item in taken if item.code == code), None)
    if match is None:
        return t(messages.NOTE_UNKNOWN, code=code)
    note(
        session=session,
        subject=match.subject,
        subject_id=match.id,
        kind=kind,
        volunteer_id=volunteer_id,
        user=None,
        now=now,
    )
    return t(messages.NOTED, code=code, kind=WORD_OF[kind])
