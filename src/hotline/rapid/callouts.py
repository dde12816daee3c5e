"""An incident's call-out as a claim of the shared claims module (`hotline.claims`).

A call-out is a claim of kind INCIDENT: its code is unique among everything open
(callbacks and text cases too), only the responders called out may take it (`GO`), up
to `HOTLINE_INCIDENT_RESPONDERS` of them, and five codes that match nothing a
responder may act on pause their codes for an hour. Everything about codes, holders
and lockouts is the claims module's; this module only ties a claim to its incident.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from hotline.claims import lockout
from hotline.claims import service as claims
from hotline.models import Claim, ClaimKind, ClaimStatus, Incident, Volunteer
from hotline.rapid.kinds import IncidentStatus


def open_callout(
    session: Session, *, incident: Incident, alerted: Iterable[int], capacity: int, now: datetime
) -> Claim:
    """The claim responders take `incident` by; its code is copied onto the incident."""
    claim = claims.open_claim(
        session=session, kind=ClaimKind.INCIDENT, alerted=alerted, now=now, capacity=capacity
    )
    incident.claim_id, incident.code = claim.id, claim.code
    session.add(incident)
    session.flush()
    return claim


def present(session: Session, ids: Iterable[int]) -> list[int]:
    """Those of `ids` who are still active volunteers (the roster in memory may lag a
    deactivation or a deletion by a few seconds)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    rows = session.exec(
        select(Volunteer.id).where(col(Volunteer.id).in_(wanted)).where(col(Volunteer.active))
    ).all()
    found = {row for row in rows if row is not None}
    return [i for i in wanted if i in found]


def claim_of(session: Session, incident: Incident) -> Claim | None:
    """The claim of `incident`'s call-out, if it has one."""
    return session.get(Claim, incident.claim_id) if incident.claim_id is not None else None


def call_out_more(
    session: Session, *, incident: Incident, volunteers: Iterable[int], now: datetime
) -> None:
    """`volunteers` are called out too: they may take it from now on."""
    claim = claim_of(session, incident)
    if claim is not None:
        claims.alert(
            session=session, claim=claim, volunteer_ids=volunteers, now=now, next_alert_at=None
        )


def incident_of(session: Session, *, code: str) -> tuple[Incident, Claim] | None:
    """The open incident whose call-out has `code`, with its claim."""
    claim = claims.find_open(session=session, code=code)
    if claim is None or claim.kind != ClaimKind.INCIDENT:
        return None
    incident = session.exec(select(Incident).where(Incident.claim_id == claim.id)).first()
    if incident is None or not IncidentStatus(incident.status).is_open:
        return None
    return incident, claim


def holders(session: Session, incident: Incident) -> list[int]:
    """The responders holding `incident`'s call-out, first taker first."""
    if incident.claim_id is None:
        return []
    held = claims.holders(session=session, claim_id=incident.claim_id)
    return [h.volunteer_id for h in held if h.volunteer_id is not None]


def alerted(session: Session, incident: Incident) -> list[int]:
    """The responders called out for `incident`."""
    if incident.claim_id is None:
        return []
    return claims.alerted(session=session, claim_id=incident.claim_id)


def wrong_code(session: Session, *, volunteer_id: int, now: datetime) -> bool:
    """A code that matched nothing this responder may act on; True when it locks them out."""
    return lockout.wrong_code(session=session, volunteer_id=volunteer_id, now=now)


def locked_out(session: Session, *, volunteer_id: int, now: datetime) -> bool:
    """Whether this responder's codes are not being read now."""
    return lockout.locked_out(session=session, volunteer_id=volunteer_id, now=now)


def close_callout(session: Session, *, incident: Incident, now: datetime) -> None:
    """Nobody can take or answer `incident`'s call-out any more; its code is free again."""
    claim = claim_of(session, incident)
    if claim is None or ClaimStatus(claim.status) not in claims.OPEN:
        return
    expired = incident.status == IncidentStatus.EXPIRED
    status = ClaimStatus.EXPIRED if expired else ClaimStatus.DONE
    claims.close(session=session, claim=claim, status=status, now=now)


def left(session: Session, *, now: datetime) -> list[tuple[Incident, Claim]]:
    """Dispatched incidents whose every responder left (deactivated or deleted): the
    claims module hands their claims back, waiting and due at once."""
    found = []
    for claim in claims.due(session=session, kind=ClaimKind.INCIDENT, now=now):
        incident = session.exec(
            select(Incident)
            .where(Incident.claim_id == claim.id)
            .where(col(Incident.status) == IncidentStatus.DISPATCHED)
        ).first()
        # Whoever asked for help is not a person to tell here; nor is it due any more.
        claim.next_alert_at, claim.returned = None, False
        session.add(claim)
        if incident is not None:
            found.append((incident, claim))
    session.flush()
    return found
