"""A responder's reply to a call-out: `GO <code>`, then what they found.

The text channel parses the text, calls `answer_responder` inside its transaction,
renders the answer in the responder's language, tells the coordinators when
`locked_now` says the responder just locked themselves out, and after the commit has
the alerts fanned out when `alerts_pending` says so (`alerts.fan_out`).

A code that matches no open call-out the responder was called out for is answered
like an unknown one, whatever it is (another kind of claim, a call-out that is taken,
closed, or never was theirs), and counts towards the claims module's lockout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from hotline.claims import service as claims
from hotline.i18n.translator import Msg
from hotline.models import Claim, Incident, IncidentEvent
from hotline.rapid import callouts, incidents, messages
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
    """What to answer the responder (`message` with `code`); whether alerts wait to go;
    whether this reply locked the responder out (the coordinators are to hear of it)."""

    message: Msg
    code: str
    alerts_pending: bool = False
    locked_now: bool = False


def refused(session: Session, *, volunteer_id: int, code: str, now: datetime) -> Answer:
    """The one answer to a code that is not open for this responder; it counts as wrong."""
    locked = callouts.wrong_code(session, volunteer_id=volunteer_id, now=now)
    return Answer(messages.GO_UNKNOWN, code, locked_now=locked)


def answer_responder(
    session: Session, *, rapid: RapidResponse, volunteer_id: int, command: Command, now: datetime
) -> Answer:
    """Apply a responder's command; the answer to text back to them."""
    code = command.code
    if command.verb == Verb.GO:
        return _go(session, rapid=rapid, code=code, volunteer_id=volunteer_id, now=now)
    if callouts.locked_out(session, volunteer_id=volunteer_id, now=now):
        return Answer(messages.GO_UNKNOWN, code)
    found = callouts.incident_of(session, code=code)
    if found is None:
        return refused(session, volunteer_id=volunteer_id, code=code, now=now)
    incident, _claim = found
    if volunteer_id not in callouts.holders(session, incident):
        # Called out but not (yet) theirs: they may be told so; anyone else learns nothing.
        if volunteer_id in callouts.alerted(session, incident):
            return Answer(messages.RESULT_NOT_YOURS, code)
        return refused(session, volunteer_id=volunteer_id, code=code, now=now)
    status, message = RESULTS[command.verb]
    if command.verb == Verb.UNSURE and _others_still_out(session, incident, volunteer_id):
        incidents.record(session, incident, step="unsure", at=now, volunteer_id=volunteer_id)
        return Answer(message, code)
    incidents.set_status(
        session, rapid=rapid, incident=incident, status=status, now=now, volunteer_id=volunteer_id
    )
    return Answer(message, code, alerts_pending=command.verb in (Verb.CONFIRMED, Verb.NOTICE))


def _others_still_out(session: Session, incident: Incident, volunteer_id: int) -> bool:
    """Another responder holds the call-out and has not said yet that they are unsure."""
    holders = set(callouts.holders(session, incident))
    unsure = session.exec(
        select(IncidentEvent.volunteer_id)
        .where(IncidentEvent.incident_id == incident.id)
        .where(IncidentEvent.step == "unsure")
    ).all()
    return bool(holders - set(unsure) - {volunteer_id})


def _go(
    session: Session, *, rapid: RapidResponse, code: str, volunteer_id: int, now: datetime
) -> Answer:
    found = callouts.incident_of(session, code=code)
    if found is None:
        # Not a call-out (or not an open one): the same answer and the same count as a
        # code that means nothing, so GO tells nobody what kind of thing a code is.
        if callouts.locked_out(session, volunteer_id=volunteer_id, now=now):
            return Answer(messages.GO_UNKNOWN, code)
        return refused(session, volunteer_id=volunteer_id, code=code, now=now)
    incident, _claim = found
    outcome = claims.claim(session=session, code=code, volunteer_id=volunteer_id, now=now)
    if outcome.result == claims.Result.REFUSED or outcome.claim is None:
        # Unknown, not called out, taken by others, or locked out: one answer.
        return Answer(messages.GO_UNKNOWN, code, locked_now=outcome.locked_now)
    if outcome.result == claims.Result.WON:
        _taken(
            session,
            rapid=rapid,
            incident=incident,
            claim=outcome.claim,
            volunteer_id=volunteer_id,
            now=now,
        )
    return Answer(messages.GO_YOURS, code)


def _taken(
    session: Session,
    *,
    rapid: RapidResponse,
    incident: Incident,
    claim: Claim,
    volunteer_id: int,
    now: datetime,
) -> None:
    """`volunteer_id` took the call-out: it is dispatched, and when no place is left the
    others called out are told it is taken."""
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
    if claim.held >= claim.capacity:
        others = set(callouts.alerted(session, incident)) - set(callouts.holders(session, incident))
        _tell_taken(rapid, session, incident, others=others, now=now)


def _tell_taken(
    rapid: RapidResponse, session: Session, incident: Incident, *, others: set[int], now: datetime
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
        key=f"incident:{incident.id}:taken:{claim_round(session, incident)}",
        now=now,
    )


def claim_round(session: Session, incident: Incident) -> int:
    """How many rounds of call-outs `incident`'s claim has had (texts are keyed by it)."""
    claim = callouts.claim_of(session, incident)
    return claim.rounds if claim is not None else 0
