"""Incidents: reports grouped, responders called out, results recorded, every step in history.

Reports of one kind in one zone within the grouping window (30 minutes) of the
incident's last report join it, while it is open or confirmed; otherwise a report opens
a new incident, which calls out the zone's responders at once. When an incident closes,
however it closes, its reports close and their reporters' numbers are deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import text, update
from sqlmodel import Session, col, select

from hotline.db import aware
from hotline.models import Incident, IncidentEvent, Report, Zone
from hotline.rapid import alerts, callouts, messages, zones
from hotline.rapid.dispatch import Advance, Crowd, Stage, advance, coordinators
from hotline.rapid.kinds import AlertKind, IncidentStatus, ReportKind, ReportStatus
from hotline.rapid.service import Outgoing, RapidResponse
from hotline.rapid.sighting import Sighting
from hotline.routing.oncall import Person

OPEN = sorted(IncidentStatus.open_statuses())
# A report joins an incident that is still open, or confirmed (the same raid, seen again).
JOINABLE = [*OPEN, IncidentStatus.CONFIRMED]


def record(
    session: Session,
    incident: Incident,
    *,
    step: str,
    at: datetime,
    volunteer_id: int | None = None,
    user_id: int | None = None,
    detail: str = "",
) -> None:
    """One line of the incident's history."""
    assert incident.id is not None
    session.add(
        IncidentEvent(
            incident_id=incident.id,
            at=at,
            step=step,
            status=incident.status,
            volunteer_id=volunteer_id,
            user_id=user_id,
            detail=detail[:120],
        )
    )


# The PostgreSQL advisory lock that takes reports without a zone one at a time.
NO_ZONE_LOCK = 0x68_6F_74_6C_6E_7A


def joinable(
    session: Session, *, rapid: RapidResponse, zone_id: int | None, kind: ReportKind, at: datetime
) -> Incident | None:
    """The incident a report of `kind` in zone `zone_id` at `at` joins, if any. Reports by
    text without a zone (cross streets, no ZIP code) join one another the same way, so a
    flood of them from many numbers calls the coordinators out once per kind; the
    channel decides (`submit_report`)."""
    if session.get_bind().dialect.name == "postgresql":
        # One report at a time per zone, so two at once never open two incidents.
        if zone_id is None:
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": NO_ZONE_LOCK})
        else:
            session.exec(select(Zone.id).where(Zone.id == zone_id).with_for_update())
    zoned = col(Incident.zone_id).is_(None) if zone_id is None else Incident.zone_id == zone_id
    return session.exec(
        select(Incident)
        .where(zoned)
        .where(Incident.kind == kind)
        .where(col(Incident.status).in_(JOINABLE))
        .where(col(Incident.last_report_at) >= at - rapid.settings.window)
        .order_by(col(Incident.last_report_at).desc())
    ).first()


def join(session: Session, incident: Incident, *, ongoing: bool, at: datetime) -> None:
    """A report joins `incident`."""
    incident.reports += 1
    incident.ongoing = incident.ongoing or ongoing
    incident.last_report_at = max(aware(incident.last_report_at), at)
    incident.updated_at = at
    session.add(incident)
    session.flush()
    record(session, incident, step="report-added", at=at, detail=f"{incident.reports} reports")


def open_incident(
    session: Session, *, rapid: RapidResponse, sighting: Sighting, zone_id: int | None, at: datetime
) -> Incident:
    """A new incident for a first report; `escalate` then begins its call-out."""
    incident = Incident(
        zone_id=zone_id,
        kind=sighting.kind,
        ongoing=sighting.ongoing,
        # With a sender pool, call-outs go through it too, at its pace.
        line=rapid.settings.senders.default or sighting.line or "",
        opened_at=at,
        last_report_at=at,
        expires_at=at + rapid.settings.incident_expiry,
        updated_at=at,
    )
    session.add(incident)
    session.flush()
    record(session, incident, step="reported", at=at, detail="no zone" if zone_id is None else "")
    return incident


def crowd(session: Session, *, rapid: RapidResponse, incident: Incident, now: datetime) -> Crowd:
    """Who each stage of `incident`'s call-out would text now."""
    roster = rapid.roster()
    zone: list[Person] = []
    near: list[Person] = []
    if incident.zone_id is not None:
        zone = roster.responders(now, incident.zone_id)
        for other in zones.neighbours_of(session, incident.zone_id):
            near.extend(p for p in roster.responders(now, other) if p not in near)
    bosses = coordinators(roster.on_call(now), list(roster.people.values()), now)
    return Crowd(zone, near, bosses, rapid.settings.backup_number)


def escalate(session: Session, *, rapid: RapidResponse, incident: Incident, now: datetime) -> None:
    """Text the next stage of `incident`'s call-out that has someone in it."""
    assert incident.id is not None
    step = advance(
        stage=Stage(incident.stage),
        crowd=crowd(session, rapid=rapid, incident=incident, now=now),
        now=now,
        realert_after=rapid.settings.realert,
    )
    for skipped in step.skipped:
        record(session, incident, step="skipped", at=now, detail=f"{skipped.step}: nobody to text")
    incident.stage, incident.next_step_at, incident.updated_at = step.stage, step.next_at, now
    session.add(incident)
    if step.stage == Stage.DONE:
        record(session, incident, step="unanswered", at=now, detail="every stage texted")
        session.flush()
        return
    ids = callouts.present(session, [person.id for person in step.people])
    if incident.claim_id is None:
        callouts.open_callout(
            session, incident=incident, alerted=ids, capacity=rapid.settings.capacity, now=now
        )
    else:
        callouts.call_out_more(session, incident=incident, volunteers=ids, now=now)
    session.flush()
    people = [person for person in step.people if person.id in ids]
    texted = _call_out(session, rapid=rapid, incident=incident, step=step, people=people, now=now)
    record(session, incident, step=step.stage.step, at=now, detail=f"{texted} texted")
    session.flush()


def _call_out(
    session: Session,
    *,
    rapid: RapidResponse,
    incident: Incident,
    step: Advance,
    people: Sequence[Person],
    now: datetime,
) -> int:
    """Text `people` (and the backup number) at `step`; how many were texted."""
    if not incident.line:
        return 0
    render = _callout_text(session, rapid, incident, step.stage)
    claim = callouts.claim_of(session, incident)
    # A call-out's rounds number its texts: one called out again (its responder left)
    # goes through the same stages again.
    key = f"incident:{incident.id}:{int(step.stage)}:{claim.rounds if claim else 0}"
    rapid.text_people(session, people=people, sender=incident.line, render=render, key=key, now=now)
    if step.backup:
        lang = rapid.settings.default_language
        outgoing = Outgoing(incident.line, step.backup, render(lang), f"{key}:backup", lang)
        rapid.text(session, text=outgoing, now=now)  # fmt: skip
    return len(people) + (1 if step.backup else 0)


def _callout_text(
    session: Session, rapid: RapidResponse, incident: Incident, stage: Stage
) -> Callable[[str], str]:
    """How a call-out at `stage` reads, in a given language."""
    zone = session.get(Zone, incident.zone_id) if incident.zone_id is not None else None
    place = _first_place(session, rapid, incident)
    message = {
        Stage.REALERT: messages.CALLOUT_AGAIN,
        Stage.COORDINATORS: messages.CALLOUT_COORDINATOR,
    }.get(stage, messages.CALLOUT_NOW if incident.ongoing else messages.CALLOUT_ENDED)

    def render(lang: str) -> str:
        return rapid.say(
            lang,
            message,
            code=incident.code or "",
            what=rapid.say(lang, messages.KIND_PHRASE[ReportKind(incident.kind)]),
            area=zone.name if zone is not None else rapid.say(lang, messages.NO_AREA),
            place=place or "-",
            time=rapid.clock(aware(incident.opened_at), lang),
        )

    return render


def _first_place(session: Session, rapid: RapidResponse, incident: Incident) -> str:
    report = session.exec(
        select(Report)
        .where(Report.incident_id == incident.id)
        .where(col(Report.place_sealed).is_not(None))
        .order_by(col(Report.id))
    ).first()
    if report is None or report.place_sealed is None:
        return ""
    return rapid.vault.open(report.place_sealed, place=place_seal(report.id or 0))


def place_seal(report_id: int) -> str:
    """What a report's sealed place is bound to."""
    return f"report|place|{report_id}"


def set_status(
    session: Session,
    *,
    rapid: RapidResponse,
    incident: Incident,
    status: IncidentStatus,
    now: datetime,
    volunteer_id: int | None = None,
    user_id: int | None = None,
) -> None:
    """Move `incident` to `status`; closing it closes its reports and may alert its zone."""
    before = IncidentStatus(incident.status)
    incident.status, incident.updated_at = status, now
    if not status.is_open:
        incident.closed_at = incident.closed_at or now
        incident.next_step_at = None
        callouts.close_callout(session, incident=incident, now=now)
        close_reports(session, incident_id=incident.id or 0)
    session.add(incident)
    session.flush()
    step = "status" if user_id is not None else str(status)
    record(session, incident, step=step, at=now, volunteer_id=volunteer_id, user_id=user_id)
    if status == IncidentStatus.CONFIRMED and before != status:
        alerts.open_alert(
            session, rapid=rapid, incident=incident, kind=AlertKind.CONFIRMED, now=now
        )
    if status == IncidentStatus.NOT_ENFORCEMENT and before != status and rapid.settings.corrections:
        alerts.open_alert(
            session, rapid=rapid, incident=incident, kind=AlertKind.CORRECTION, now=now
        )
    session.flush()


def close_reports(session: Session, *, incident_id: int) -> None:
    """Close an incident's reports: their reporters' numbers are deleted."""
    session.exec(
        update(Report)
        .where(col(Report.incident_id) == incident_id)
        .values(
            status=ReportStatus.CLOSED,
            reporter_sealed=None,
            reporter_key=None,
            asked_by=None,
            asked_at=None,
        )
    )
