"""A responder's question to the people who reported an incident by text, and their
answers, through the masked relay: `ASK <code> words`.

Only a responder holding the call-out may ask. The question goes from the hotline's
number to each reporter by text whose report is still open (their number is sealed on
the report only while it is open), and from then on their texts go to that responder,
after the code, until the report closes; then the number is deleted and nothing more
can be relayed. Voice reports are not asked: a caller's number may be spoofed, and
texting a question to it would tell its owner about a report they never made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from hotline.claims.service import text_key
from hotline.models import Incident, Report
from hotline.rapid import callouts, messages, reports
from hotline.rapid.kinds import Channel, ReportStatus
from hotline.rapid.responders import Answer, refused
from hotline.rapid.service import Outgoing, RapidResponse

MAX_QUESTION = 300


@dataclass(frozen=True, slots=True)
class Asked:
    """The answer to the responder, and the pseudonyms of the reporters now asked."""

    answer: Answer
    asked: tuple[str, ...] = field(default=())


def ask(
    session: Session,
    *,
    rapid: RapidResponse,
    volunteer_id: int,
    code: str,
    question: str,
    now: datetime,
) -> Asked:
    """`volunteer_id`'s question about call-out `code`, to its reporters by text."""
    if callouts.locked_out(session, volunteer_id=volunteer_id, now=now):
        return Asked(Answer(messages.GO_UNKNOWN, code))
    found = callouts.incident_of(session, code=code)
    if found is None:
        return Asked(refused(session, volunteer_id=volunteer_id, code=code, now=now))
    incident, _claim = found
    if volunteer_id not in callouts.holders(session, incident):
        if volunteer_id in callouts.alerted(session, incident):
            return Asked(Answer(messages.RESULT_NOT_YOURS, code))
        return Asked(refused(session, volunteer_id=volunteer_id, code=code, now=now))
    asked = []
    for report in _askable(session, incident):
        number = reports.reporter_number(report, rapid=rapid)
        if number is None or report.reporter_key is None:
            continue
        body = rapid.say(report.language, messages.ASK_RELAYED, question=question[:MAX_QUESTION])
        sender = report.line or incident.line
        key = f"ask:{incident.id}:{report.id}:{now.timestamp():.0f}"
        text = Outgoing(sender, number, body, key, report.language, purpose="relay")
        rapid.text(session, text=text, now=now)
        report.asked_by, report.asked_at = volunteer_id, now
        session.add(report)
        asked.append(report.reporter_key)
    session.flush()
    message = messages.ASK_SENT if asked else messages.ASK_NOBODY
    return Asked(Answer(message, code), tuple(asked))


def _askable(session: Session, incident: Incident) -> Sequence[Report]:
    return session.exec(
        select(Report)
        .where(Report.incident_id == incident.id)
        .where(Report.status == ReportStatus.OPEN)
        .where(Report.channel == Channel.SMS)
        .where(col(Report.reporter_sealed).is_not(None))
        .order_by(col(Report.id))
    ).all()


@dataclass(frozen=True, slots=True)
class Question:
    """An open report whose reporter a responder asked a question, and its incident."""

    report: Report
    incident: Incident


def asked_of(session: Session, *, keys: Sequence[str]) -> Question | None:
    """The latest open report of this texter that a responder asked about."""
    row = session.exec(
        select(Report, Incident)
        .join(Incident, col(Incident.id) == col(Report.incident_id))
        .where(col(Report.reporter_key).in_(keys))
        .where(Report.status == ReportStatus.OPEN)
        .where(col(Report.asked_by).is_not(None))
        .order_by(col(Report.asked_at).desc())
    ).first()
    return Question(*row) if row else None


def asked_keys(session: Session) -> set[str]:
    """The pseudonyms of every reporter whose texts go to a responder now."""
    rows = session.exec(
        select(Report.reporter_key)
        .where(Report.status == ReportStatus.OPEN)
        .where(col(Report.asked_by).is_not(None))
    ).all()
    return {key for key in rows if key}


def to_responder(
    session: Session,
    *,
    rapid: RapidResponse,
    question: Question,
    body: str,
    sid: str,
    now: datetime,
) -> bool:
    """A reporter's answer, to the responder who asked, after the call-out's code. False
    when it cannot be relayed (the responder let go of the call-out, or left)."""
    responder = question.report.asked_by
    incident = question.incident
    if responder is None or responder not in callouts.holders(session, incident):
        return False
    person = rapid.roster().people.get(responder)
    if person is None or not person.active or not body.strip() or not incident.line:
        return False
    relayed = f"[{incident.code}] {body.strip()}"
    key = text_key(responder, f"relay:{sid}")
    text = Outgoing(incident.line, rapid.phone(person), relayed, key, None, purpose="relay")
    rapid.text(session, text=text, now=now)
    return True
