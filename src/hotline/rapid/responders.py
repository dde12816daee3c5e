"""A responder's reply to a call-out: `GO <code>`, then what they found.

The text channel parses the text (`commands.parse_responder_command`), calls
`answer_responder` inside its transaction, renders the answer in the responder's
language, and after the commit calls `alerts.fan_out` when `alerts_pending` says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from hotline.i18n.translator import Msg
from hotline.models import Incident, IncidentEvent
from hotline.rapid import incidents, messages
from hotline.rapid.claims import Outcome
from hotline.rapid.commands import Command, Verb
from hotline.rapid.kinds import IncidentStatus
from hotline.rapid.service import RapidResponse

RESULTS: dict[Verb, tuple[IncidentStatus, Msg]] = {
    Verb.CONFIRMED: (IncidentStatus.CONFIRMED, messages.RESULT_CONFIRMED),
    Verb.NOTICE: (IncidentStatus.NOT_ENFORCEMENT, messages.RESULT_NOTICE),
    Verb.GONE: (IncidentStatus.GONE, messages.RESULT_GONE),
    Verb.UNSURE: (IncidentStatus.UNVERIFIABLE, messages.RESULT_UNSURE),
}


@dataclass(frozen=True, slots=True)
class Answer:
    """What to answer the responder (`message` with `code`), and whether alerts wait to go."""

    message: Msg
    code: str
    alerts_pending: bool = False


def answer_responder(
    session: Session, *, rapid: RapidResponse, volunteer_id: int, command: Command, now: datetime
) -> Answer:
    """Apply a responder's command; the answer to text back to them."""
    incident = session.exec(
        select(Incident)
        .where(Incident.code == command.code)
        .where(col(Incident.status).in_(incidents.OPEN))
        .order_by(col(Incident.id).desc())
    ).first()
    unknown = Answer(messages.GO_UNKNOWN, command.code)
    if incident is None:
        return unknown
    if command.verb == Verb.GO:
        return _go(session, rapid=rapid, incident=incident, volunteer_id=volunteer_id, now=now)
    code = command.code
    if volunteer_id not in rapid.claims.holders(session, code=code):
        # To someone never called out, a real code looks like an unknown one.
        alerted = volunteer_id in rapid.claims.alerted(session, code=code)
        return Answer(messages.RESULT_NOT_YOURS, code) if alerted else unknown
    status, message = RESULTS[command.verb]
    if command.verb == Verb.UNSURE and _others_still_out(session, rapid, incident, volunteer_id):
        incidents.record(session, incident, step="unsure", at=now, volunteer_id=volunteer_id)
        return Answer(message, code)
    incidents.set_status(
        session, rapid=rapid, incident=incident, status=status, now=now, volunteer_id=volunteer_id
    )
    return Answer(message, code, alerts_pending=command.verb in (Verb.CONFIRMED, Verb.NOTICE))


def _others_still_out(
    session: Session, rapid: RapidResponse, incident: Incident, volunteer_id: int
) -> bool:
    """Another responder holds the call-out and has not said yet that they are unsure."""
    holders = set(rapid.claims.holders(session, code=incident.code or ""))
    unsure = session.exec(
        select(IncidentEvent.volunteer_id)
        .where(IncidentEvent.incident_id == incident.id)
        .where(IncidentEvent.step == "unsure")
    ).all()
    return bool(holders - set(unsure) - {volunteer_id})


def _go(
    session: Session, *, rapid: RapidResponse, incident: Incident, volunteer_id: int, now: datetime
) -> Answer:
    code = incident.code or ""
    claimed = rapid.claims.claim(session, code=code, volunteer_id=volunteer_id, now=now)
    if claimed.outcome == Outcome.UNKNOWN:
        return Answer(messages.GO_UNKNOWN, code)
    if claimed.outcome == Outcome.FULL:
        return Answer(messages.GO_TAKEN, code)
    if claimed.outcome == Outcome.WON:
        incidents.record(session, incident, step="go", at=now, volunteer_id=volunteer_id)
        if incident.status == IncidentStatus.REPORTED:
            # Someone is on their way: the call-out stops escalating.
            incident.next_step_at = None
            incidents.set_status(
                session,
                rapid=rapid,
                incident=incident,
                status=IncidentStatus.DISPATCHED,
                now=now,
                volunteer_id=volunteer_id,
            )
        if claimed.full:
            others = set(claimed.alerted) - set(claimed.holders)
            _tell_taken(session, rapid, incident, others=others, now=now)
    return Answer(messages.GO_YOURS, code)


def _tell_taken(
    session: Session, rapid: RapidResponse, incident: Incident, *, others: set[int], now: datetime
) -> None:
    """The responders called out who did not take it are told it is taken."""
    people = [p for i, p in rapid.roster().people.items() if i in others]
    if not incident.line or not people:
        return
    rapid.text_people(
        session,
        people=people,
        sender=incident.line,
        render=lambda lang: rapid.say(lang, messages.GO_TAKEN, code=incident.code or ""),
        key=f"incident:{incident.id}:taken",
        now=now,
    )
