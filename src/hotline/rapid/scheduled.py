"""The periodic work of rapid response, for whichever process runs the schedule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from hotline.db import aware, transaction
from hotline.models import Incident
from hotline.rapid import alerts, callouts, incidents
from hotline.rapid.dispatch import Stage
from hotline.rapid.kinds import IncidentStatus
from hotline.rapid.service import RapidResponse

# Alerts are queued by this tick (and straight after a confirmation), so it runs often;
# when nothing is due it costs three small indexed queries.
TICK_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Ticked:
    """What one tick did."""

    incidents: int
    alerts_dropped: int
    texts_queued: int


def tick(engine: Engine, *, rapid: RapidResponse, now: datetime) -> Ticked:
    """Call out again what a leaving responder held, escalate call-outs nobody took,
    expire what nobody verified, queue alerts' texts."""
    with transaction(engine) as session:
        handled = tick_incidents(session, rapid=rapid, now=now)
        dropped = alerts.drop_expired(session, now=now)
    queued = alerts.fan_out(engine, rapid=rapid, now=now)
    return Ticked(handled, dropped, queued)


def due(session: Session, *, now: datetime) -> list[Incident]:
    """Open incidents whose next call-out stage or expiry has come, held by this process."""
    query = (
        select(Incident).where(col(Incident.status).in_(incidents.OPEN)).order_by(col(Incident.id))
    )
    if session.get_bind().dialect.name == "postgresql":
        # Two workers ticking at once: each incident is escalated by one of them.
        query = query.with_for_update(skip_locked=True)
    rows = session.exec(query).all()
    return [
        incident
        for incident in rows
        if aware(incident.expires_at) <= now
        or (
            incident.status == IncidentStatus.REPORTED
            and incident.next_step_at is not None
            and aware(incident.next_step_at) <= now
        )
    ]


def call_out_again(
    session: Session, *, rapid: RapidResponse, incident: Incident, now: datetime
) -> None:
    """Every responder who took `incident` left: it goes back to being called out, from
    its zone's responders on, with the same code."""
    incident.stage = Stage.NONE
    incidents.set_status(
        session, rapid=rapid, incident=incident, status=IncidentStatus.REPORTED, now=now
    )
    incidents.record(session, incident, step="responder-left", at=now)
    incidents.escalate(session, rapid=rapid, incident=incident, now=now)


def tick_incidents(session: Session, *, rapid: RapidResponse, now: datetime) -> int:
    """Call out again what a leaving responder held, escalate the call-outs nobody took,
    expire what nobody verified. Returns how many."""
    returned = callouts.left(session, now=now)
    for incident, _claim in returned:
        call_out_again(session, rapid=rapid, incident=incident, now=now)
    handled = due(session, now=now)
    for incident in handled:
        if aware(incident.expires_at) <= now:
            incidents.set_status(
                session, rapid=rapid, incident=incident, status=IncidentStatus.EXPIRED, now=now
            )
        else:
            incidents.escalate(session, rapid=rapid, incident=incident, now=now)
    return len(returned) + len(handled)
