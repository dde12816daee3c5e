"""What coordinators do with incidents: list them, read one, close or correct one by hand,
and enter a report a caller gave them by phone. Every change is in the audit log and the
incident's history."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col, select

from hotline.auth import service as auth_service
from hotline.auth.service import InvalidField
from hotline.config import e164
from hotline.db import aware
from hotline.errors import HotlineError, NotFound
from hotline.models import Incident, IncidentEvent, Report, User
from hotline.rapid import callouts, incidents, reports, zones
from hotline.rapid.dispatch import Stage
from hotline.rapid.kinds import Channel, IncidentStatus, ReportKind
from hotline.rapid.reports import Sighting, Submitted
from hotline.rapid.schemas import (
    IncidentDetail,
    IncidentPublic,
    IncidentStep,
    IncidentUpdate,
    ReportCreate,
    ReportPublic,
)
from hotline.rapid.service import RapidResponse


class IncidentConflict(HotlineError):
    status_code = 409
    code = "conflict"


def get_incident(*, session: Session, incident_id: int) -> Incident:
    """The incident `incident_id`; NotFound if there is none."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"incident {incident_id} does not exist")
    return incident


def list_incidents(
    *,
    session: Session,
    status: IncidentStatus | None,
    kind: ReportKind | None,
    zone_id: int | None,
    open_only: bool,
    limit: int,
) -> list[Incident]:
    """Incidents, newest first, filtered."""
    query = select(Incident).order_by(col(Incident.opened_at).desc(), col(Incident.id).desc())
    if status is not None:
        query = query.where(Incident.status == status)
    if kind is not None:
        query = query.where(Incident.kind == kind)
    if zone_id is not None:
        query = query.where(Incident.zone_id == zone_id)
    if open_only:
        query = query.where(col(Incident.status).in_(incidents.OPEN))
    return list(session.exec(query.limit(limit)).all())


def public(incident: Incident, names: dict[int, str], tz: ZoneInfo) -> IncidentPublic:
    """One line of the incident list."""
    assert incident.id is not None
    return IncidentPublic(
        id=incident.id,
        zone=names.get(incident.zone_id) if incident.zone_id is not None else None,
        kind=ReportKind(incident.kind),
        status=IncidentStatus(incident.status),
        reports=incident.reports,
        opened_at=aware(incident.opened_at).astimezone(tz),
    )


def detail(session: Session, *, rapid: RapidResponse, incident: Incident) -> IncidentDetail:
    """An incident with its reports (their coarse places opened), responders and history."""
    tz = rapid.settings.timezone
    names = zones.names(session)
    history = session.exec(
        select(IncidentEvent)
        .where(IncidentEvent.incident_id == incident.id)
        .order_by(col(IncidentEvent.id))
    ).all()
    listed = reports.reports_of(session, incident_id=incident.id or 0)
    holders = callouts.holders(session, incident)
    return IncidentDetail(
        **public(incident, names, tz).model_dump(),
        ongoing=incident.ongoing,
        code=incident.code if IncidentStatus(incident.status).is_open else None,
        responders=list(holders),
        closed_at=aware(incident.closed_at).astimezone(tz) if incident.closed_at else None,
        expires_at=aware(incident.expires_at).astimezone(tz),
        report_list=[
            ReportPublic(
                id=report.id or 0,
                kind=ReportKind(report.kind),
                zone=names.get(report.zone_id) if report.zone_id is not None else None,
                place=reports.place_of(report, rapid=rapid),
                minute=aware(report.minute).astimezone(tz),
                ongoing=report.ongoing,
                language=report.language,
                channel=Channel(report.channel),
                status=report.status,
            )
            for report in listed
        ],
        history=[
            IncidentStep(
                at=aware(event.at).astimezone(tz),
                step=event.step,
                status=IncidentStatus(event.status),
                volunteer_id=event.volunteer_id,
                user_id=event.user_id,
                detail=event.detail,
            )
            for event in history
        ],
    )


def change_incident(
    session: Session,
    *,
    rapid: RapidResponse,
    incident: Incident,
    change: IncidentUpdate,
    user: User,
    now: datetime,
) -> bool:
    """A coordinator's change by hand; True when alerts may be waiting to go out."""
    changed: list[str] = []
    if change.zone is not None:
        _set_zone(session, rapid=rapid, incident=incident, name=change.zone, user=user, now=now)
        changed.append("zone")
    if change.status is not None and change.status != incident.status:
        if change.status.is_open:
            raise InvalidField(
                "a coordinator closes an incident: confirmed, not-enforcement, gone, "
                "unverifiable or expired",
                loc=("body", "status"),
            )
        incidents.set_status(
            session, rapid=rapid, incident=incident, status=change.status, now=now,
            user_id=user.id,
        )  # fmt: skip
        changed.append("status")
    if changed:
        auth_service.record(
            session=session, user=user, action="update", entity="incident",
            entity_id=incident.id, fields=changed, now=now,
        )  # fmt: skip
    return "status" in changed


def _set_zone(
    session: Session, *, rapid: RapidResponse, incident: Incident, name: str, user: User,
    now: datetime,
) -> None:  # fmt: skip
    """Place an incident that came in without a zone, and call that zone's responders out."""
    if incident.zone_id is not None or not IncidentStatus(incident.status).is_open:
        raise IncidentConflict("only an open incident without a zone can be given one")
    [zone_id] = zones.zone_ids(session=session, names=[name], loc=("body", "zone"))
    incident.zone_id, incident.stage, incident.updated_at = zone_id, Stage.NONE, now
    session.add(incident)
    session.exec(
        update(Report).where(col(Report.incident_id) == incident.id).values(zone_id=zone_id)
    )
    session.flush()
    incidents.record(session, incident, step="zone-set", at=now, user_id=user.id)
    incidents.escalate(session, rapid=rapid, incident=incident, now=now)


def accept_report(
    session: Session,
    *,
    rapid: RapidResponse,
    report_in: ReportCreate,
    country: str,
    user: User,
    now: datetime,
) -> Submitted:
    """A report a volunteer or coordinator took by phone, for the caller."""
    if report_in.language not in rapid.catalogs.languages:
        raise InvalidField("language is not one the hotline speaks", loc=("body", "language"))
    zone_id = None
    if report_in.zip is None and report_in.zone is not None:
        [zone_id] = zones.zone_ids(session=session, names=[report_in.zone], loc=("body", "zone"))
    caller = None
    if report_in.caller_phone:
        try:
            caller = e164(report_in.caller_phone, field="caller_phone", region=country)
        except ValueError as error:
            raise InvalidField(str(error), loc=("body", "caller_phone")) from None
    sighting = Sighting(
        kind=report_in.kind,
        place=report_in.place or (report_in.zip or ""),
        ongoing=report_in.ongoing,
        language=report_in.language,
        channel=Channel.API,
        reporter=caller,
        zip_code=report_in.zip,
        zone_id=zone_id,
    )
    submitted = reports.submit_report(session, rapid=rapid, sighting=sighting, now=now)
    fields = ["kind", "zip", "zone", "place", "ongoing", "language"]
    auth_service.record(
        session=session, user=user, action="create", entity="report",
        entity_id=submitted.report_id, fields=[*fields, *(["caller_phone"] if caller else [])],
        now=now,
    )  # fmt: skip
    return submitted
