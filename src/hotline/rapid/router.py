"""The rapid-response API under /api/v1: zones, reports, incidents, subscriptions, alerts.

Coordinators do everything; a volunteer may enter a report a caller gave them by
phone. No answer holds a phone number: subscriptions are counts by zone and language.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, FastAPI, Path, Query, status

from hotline.auth.schemas import ErrorPublic, ValidationProblem
from hotline.db import aware
from hotline.deps import Coordinator, CurrentUser, Runtime, RuntimeDep, SessionDep
from hotline.models import Alert, Incident, Zone
from hotline.rapid import alerts, coordination, subscriptions, zones
from hotline.rapid.kinds import AlertStatus, IncidentStatus, ReportKind
from hotline.rapid.schemas import (
    AlertPublic,
    IncidentDetail,
    IncidentPublic,
    IncidentUpdate,
    ReportAccepted,
    ReportCreate,
    SubscriptionCounts,
    ZoneCreate,
    ZonePublic,
    ZoneUpdate,
)

MAX_ID = 2**31 - 1
ZONES, INCIDENTS, ALERTS = "zones", "incidents", "alerts"

_refusal: dict[str, Any] = {"model": ErrorPublic}
router = APIRouter(
    prefix="/api/v1",
    responses={
        401: {**_refusal, "description": "No API token, or one that is not valid."},
        403: {**_refusal, "description": "The token's role may not do this."},
        422: {"model": ValidationProblem, "description": "A field that cannot be accepted."},
    },
)
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {**_refusal, "description": "No such id."}}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {**_refusal, "description": "It clashes with what is there (a name, a ZIP code, a state)."}
}
BAD_BODY: dict[int | str, dict[str, Any]] = {400: {"description": "A body that cannot be read."}}
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


def _load_zone(zone_id: Id, _user: Coordinator, session: SessionDep) -> Zone:
    return zones.get_zone(session=session, zone_id=zone_id)


def _load_incident(incident_id: Id, _user: Coordinator, session: SessionDep) -> Incident:
    return coordination.get_incident(session=session, incident_id=incident_id)


def _load_alert(alert_id: Id, _user: Coordinator, session: SessionDep) -> Alert:
    return alerts.get_alert(session=session, alert_id=alert_id)


ZoneDep = Annotated[Zone, Depends(_load_zone)]
IncidentDep = Annotated[Incident, Depends(_load_incident)]
AlertDep = Annotated[Alert, Depends(_load_alert)]


def _zone_public(session: SessionDep, runtime: Runtime, found: list[Zone]) -> list[ZonePublic]:
    tz = runtime.settings.zone
    return [
        zone.model_copy(
            update={
                "created_at": aware(zone.created_at).astimezone(tz),
                "updated_at": aware(zone.updated_at).astimezone(tz),
            }
        )
        for zone in zones.public(session, found, zones.names(session))
    ]


def _after_roster_change(runtime: Runtime, background: BackgroundTasks) -> None:
    # Zones are part of the roster snapshot: responders of a deleted zone are no more.
    background.add_task(runtime.roster.refresh)


def _send_alerts(runtime: Runtime, background: BackgroundTasks) -> None:
    # After the commit: the alert's texts are queued now, not at the next tick.
    background.add_task(alerts.fan_out, runtime.engine, rapid=runtime.rapid, now=datetime.now(UTC))


@router.post(
    "/zones",
    status_code=status.HTTP_201_CREATED,
    response_model=ZonePublic,
    tags=[ZONES],
    responses={**CONFLICT, **BAD_BODY},
)
def create_zone(
    zone_in: ZoneCreate,
    user: Coordinator,
    session: SessionDep,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> ZonePublic:
    """Add a zone: a name and its ZIP codes (each ZIP code in one zone at most)."""
    zone = zones.create_zone(session=session, zone_in=zone_in, user=user)
    _after_roster_change(runtime, background)
    return _zone_public(session, runtime, [zone])[0]


@router.get("/zones", response_model=list[ZonePublic], tags=[ZONES])
def list_zones(_user: Coordinator, session: SessionDep, runtime: RuntimeDep) -> list[ZonePublic]:
    """Every zone, by name, with its ZIP codes, neighbours and responders."""
    return _zone_public(session, runtime, zones.list_zones(session=session))


@router.get("/zones/{zone_id}", response_model=ZonePublic, tags=[ZONES], responses=NOT_FOUND)
def get_zone(zone: ZoneDep, session: SessionDep, runtime: RuntimeDep) -> ZonePublic:
    """One zone."""
    return _zone_public(session, runtime, [zone])[0]


@router.patch(
    "/zones/{zone_id}",
    response_model=ZonePublic,
    tags=[ZONES],
    responses={**NOT_FOUND, **CONFLICT, **BAD_BODY},
)
def update_zone(
    zone: ZoneDep,
    zone_in: ZoneUpdate,
    user: Coordinator,
    session: SessionDep,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> ZonePublic:
    """Rename a zone, or replace its ZIP codes or neighbours."""
    zone = zones.update_zone(session=session, zone=zone, zone_in=zone_in, user=user)
    _after_roster_change(runtime, background)
    return _zone_public(session, runtime, [zone])[0]


@router.delete(
    "/zones/{zone_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=[ZONES],
    responses=NOT_FOUND,
)
def delete_zone(
    zone: ZoneDep,
    user: Coordinator,
    session: SessionDep,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> None:
    """Remove a zone; its incidents and reports stay, without a zone."""
    zones.delete_zone(session=session, zone=zone, user=user)
    _after_roster_change(runtime, background)


@router.post(
    "/reports",
    status_code=status.HTTP_201_CREATED,
    response_model=ReportAccepted,
    tags=[INCIDENTS],
    responses=BAD_BODY,
)
def create_report(
    report_in: ReportCreate, user: CurrentUser, session: SessionDep, runtime: RuntimeDep
) -> ReportAccepted:
    """A report a caller gave a volunteer or coordinator by phone; it calls responders out
    like any other report."""
    submitted = coordination.accept_report(
        session,
        rapid=runtime.rapid,
        report_in=report_in,
        country=runtime.settings.country,
        user=user,
        now=datetime.now(UTC),
    )
    return ReportAccepted(
        report_id=submitted.report_id,
        incident_id=submitted.incident_id,
        new_incident=submitted.new_incident,
    )


@router.get("/incidents", response_model=list[IncidentPublic], tags=[INCIDENTS])
def list_incidents(
    _user: Coordinator,
    session: SessionDep,
    runtime: RuntimeDep,
    status_: Annotated[IncidentStatus | None, Query(alias="status")] = None,
    kind: ReportKind | None = None,
    zone: Annotated[str | None, Query(max_length=80)] = None,
    open_: Annotated[bool, Query(alias="open", description="Only those still open.")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[IncidentPublic]:
    """Incidents, newest first: `{id, zone, kind, status, reports, opened_at}`."""
    zone_id = None
    if zone is not None:
        [zone_id] = zones.zone_ids(session=session, names=[zone], loc=("query", "zone"))
    found = coordination.list_incidents(
        session=session, status=status_, kind=kind, zone_id=zone_id, open_only=open_, limit=limit
    )
    names, tz = zones.names(session), runtime.settings.zone
    return [coordination.public(incident, names, tz) for incident in found]


@router.get(
    "/incidents/{incident_id}", response_model=IncidentDetail, tags=[INCIDENTS], responses=NOT_FOUND
)
def get_incident(incident: IncidentDep, session: SessionDep, runtime: RuntimeDep) -> IncidentDetail:
    """One incident, with its reports, responders and every step of its history."""
    return coordination.detail(session, rapid=runtime.rapid, incident=incident)


@router.patch(
    "/incidents/{incident_id}",
    response_model=IncidentDetail,
    tags=[INCIDENTS],
    responses={**NOT_FOUND, **CONFLICT, **BAD_BODY},
)
def update_incident(
    incident: IncidentDep,
    change: IncidentUpdate,
    user: Coordinator,
    session: SessionDep,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> IncidentDetail:
    """Close an incident by hand with a status, or give a zone to one that came without."""
    alerting = coordination.change_incident(
        session, rapid=runtime.rapid, incident=incident, change=change, user=user,
        now=datetime.now(UTC),
    )  # fmt: skip
    if alerting:
        _send_alerts(runtime, background)
    return coordination.detail(session, rapid=runtime.rapid, incident=incident)


@router.get("/subscriptions", response_model=SubscriptionCounts, tags=[ALERTS])
def subscription_counts(_user: Coordinator, session: SessionDep) -> SubscriptionCounts:
    """How many subscribers each zone and language has. Never a number."""
    return subscriptions.counts(session)


def _alert_public(session: SessionDep, runtime: Runtime, found: list[Alert]) -> list[AlertPublic]:
    names, tz = zones.names(session), runtime.settings.zone

    def local(moment: datetime | None) -> datetime | None:
        return aware(moment).astimezone(tz) if moment is not None else None

    return [
        AlertPublic(
            id=alert.id or 0,
            incident_id=alert.incident_id,
            zone=names.get(alert.zone_id) if alert.zone_id is not None else None,
            kind=alert.kind,
            status=alert.status,
            recipients=alert.recipients,
            created_at=aware(alert.created_at).astimezone(tz),
            approved_at=local(alert.approved_at),
            approved_by=alert.approved_by,
            finished_at=local(alert.finished_at),
            expires_at=aware(alert.expires_at).astimezone(tz),
        )
        for alert in found
    ]


@router.get("/alerts", response_model=list[AlertPublic], tags=[ALERTS])
def list_alerts(
    _user: Coordinator,
    session: SessionDep,
    runtime: RuntimeDep,
    status_: Annotated[AlertStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AlertPublic]:
    """Alerts and corrections, newest first."""
    return _alert_public(
        session, runtime, alerts.list_alerts(session=session, status=status_, limit=limit)
    )


@router.post(
    "/alerts/{alert_id}/approve",
    response_model=AlertPublic,
    tags=[ALERTS],
    responses={**NOT_FOUND, **CONFLICT},
)
def approve_alert(
    alert: AlertDep,
    user: Coordinator,
    session: SessionDep,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> AlertPublic:
    """Let an alert that waits for approval go out (HOTLINE_ALERT_APPROVAL)."""
    alerts.approve(session=session, alert=alert, user=user, now=datetime.now(UTC))
    _send_alerts(runtime, background)
    return _alert_public(session, runtime, [alert])[0]


def install(app: FastAPI) -> None:
    """Serve the rapid-response API on `app` (its errors are answered as the roster's are)."""
    app.include_router(router)
