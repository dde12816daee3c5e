"""The Roster pages: the week, volunteers, shifts and covers, and the CSV import.

A coordinator may change everything; a volunteer sees their own week, sets their own
availability, and adds, moves and removes their own shifts, as in the roster API. Each
change refreshes the routing snapshot once it is committed.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Annotated, TypeVar

from fastapi import APIRouter, BackgroundTasks, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from hotline.auth import service as auth_service
from hotline.console import service as console_service
from hotline.console import web
from hotline.console.service import BadInput, WeekQuery
from hotline.console.web import form_model, refresh_roster, see_other
from hotline.deps import Runtime, RuntimeDep, SessionDep
from hotline.models import Volunteer
from hotline.roster import importer
from hotline.roster import service as roster
from hotline.roster.schemas import (
    AvailabilityUpdate,
    VolunteerCreate,
    VolunteerUpdate,
)

router = APIRouter(prefix="/roster")
M = TypeVar("M", bound=BaseModel)
MAX_CSV_BYTES = 1_000_000
Text = Annotated[str, Form(max_length=200)]


def _week(value: str | None, runtime: Runtime) -> date:
    if value:
        try:
            return console_service.monday(
                datetime.combine(
                    date.fromisoformat(value), datetime.min.time(), runtime.settings.zone
                ),
                runtime.settings.zone,
            )
        except ValueError:
            raise BadInput("week is not a date like 2026-11-30") from None
    return console_service.monday(datetime.now(UTC), runtime.settings.zone)


@router.get("")
def roster_page(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    viewer: web.Seen,
    week: Annotated[str | None, Query(max_length=10)] = None,
    language: Annotated[str | None, Query(max_length=16)] = None,
    q: Annotated[str, Query(max_length=120)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """The week: gaps per language, volunteers' shifts per day, and the forms."""
    return _roster(request, session, runtime, viewer, week=week, language=language, q=q, page=page)


def _roster(
    request: Request,
    session: SessionDep,
    runtime: Runtime,
    viewer: web.Viewer,
    *,
    week: str | None = None,
    language: str | None = None,
    q: str = "",
    page: int = 1,
    report: importer.ImportReport | None = None,
    status_code: int = 200,
) -> Response:
    start = _week(week, runtime)
    language = language if language in runtime.catalogs.languages else None
    own = None if viewer.coordinator else (viewer.user.volunteer_id or 0)
    query = WeekQuery(start, language, q.strip(), page, own)
    found = console_service.roster_week(
        session, zone=runtime.settings.zone, languages=list(runtime.catalogs.languages), query=query
    )
    return web.render(
        request,
        "roster.html",
        viewer=viewer,
        status_code=status_code,
        week=found,
        query=query,
        enabled=list(runtime.catalogs.languages),
        report=report,
        today=datetime.now(UTC).astimezone(runtime.settings.zone).date(),
    )


@router.post("/volunteers")
def add_volunteer(
    session: SessionDep,
    runtime: RuntimeDep,
    viewer: web.Posted,
    background: BackgroundTasks,
    name: Text = "",
    phone: Text = "",
    languages: Annotated[list[str] | None, Form()] = None,
    role: Text = "legal_volunteer",
) -> Response:
    """Add a volunteer (a coordinator only); then their page, to give them shifts."""
    viewer.require_coordinator()
    volunteer = roster.create_volunteer(
        session=session,
        vault=runtime.vault,
        country=runtime.settings.country,
        enabled=runtime.catalogs.languages,
        volunteer_in=form_model(
            VolunteerCreate, name=name, phone=phone, languages=languages or [], role=role
        ),
        user=viewer.user,
    )
    refresh_roster(runtime, background)
    return see_other(f"/console/roster/volunteers/{volunteer.id}")


def _own_volunteer(session: SessionDep, viewer: web.Viewer, volunteer_id: int) -> Volunteer:
    auth_service.require_volunteer_access(user=viewer.user, volunteer_id=volunteer_id)
    return roster.get_volunteer(session=session, volunteer_id=volunteer_id)


@router.get("/volunteers/{volunteer_id}")
def volunteer_page(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    viewer: web.Seen,
    volunteer_id: int,
) -> Response:
    """One volunteer: their details, availability and shifts; a volunteer sees only theirs."""
    volunteer = _own_volunteer(session, viewer, volunteer_id)
    shifts = roster.list_shifts(
        session=session, timezone=runtime.settings.zone, volunteer_id=volunteer_id
    )
    return web.render(
        request,
        "volunteer.html",
        viewer=viewer,
        volunteer=volunteer,
        shifts=shifts,
        enabled=list(runtime.catalogs.languages),
        today=datetime.now(UTC).astimezone(runtime.settings.zone).date(),
    )


@router.post("/volunteers/{volunteer_id}")
def change_volunteer(
    session: SessionDep,
    runtime: RuntimeDep,
    viewer: web.Posted,
    background: BackgroundTasks,
    volunteer_id: int,
    name: Text = "",
    phone: Text = "",
    languages: Annotated[list[str] | None, Form()] = None,
    role: Text = "legal_volunteer",
    active: Text = "",
) -> Response:
    """Change a volunteer's details (a coordinator only); an empty phone keeps the number."""
    viewer.require_coordinator()
    volunteer = roster.get_volunteer(session=session, volunteer_id=volunteer_id)
    roster.update_volunteer(
        session=session,
        vault=runtime.vault,
        country=runtime.settings.country,
        enabled=runtime.catalogs.languages,
        volunteer=volunteer,
        volunteer_in=form_model(
            VolunteerUpdate,
            name=name,
            languages=languages or [],
            role=role,
            active=active == "on",
            **({"phone": phone} if phone.strip() else {}),
        ),
        user=viewer.user,
    )
    refresh_roster(runtime, background)
    return see_other(f"/console/roster/volunteers/{volunteer_id}")


@router.post("/volunteers/{volunteer_id}/delete")
def remove_volunteer(
    session: SessionDep,
    runtime: RuntimeDep,
    viewer: web.Posted,
    background: BackgroundTasks,
    volunteer_id: int,
) -> Response:
    """Remove a volunteer with their shifts (a coordinator only)."""
    viewer.require_coordinator()
    volunteer = roster.get_volunteer(session=session, volunteer_id=volunteer_id)
    roster.delete_volunteer(session=session, volunteer=volunteer, user=viewer.user)
    refresh_roster(runtime, background)
    return see_other("/console/roster")


@router.post("/volunteers/{volunteer_id}/availability")
def set_availability(
    session: SessionDep,
    runtime: RuntimeDep,
    viewer: web.Posted,
    background: BackgroundTasks,
    volunteer_id: int,
    status: Text = "",
    minutes: Text = "",
) -> Response:
    """On call, off, or a break: the volunteer themself, or a coordinator."""
    volunteer = _own_volunteer(session, viewer, volunteer_id)
    change = form_model(
        AvailabilityUpdate,
        status=status,
        minutes=int(minutes) if status == "break" and minutes.strip().isdigit() else None,
    )
    roster.set_availability(
        session=session, volunteer=volunteer, availability_in=change, user=viewer.user
    )
    refresh_roster(runtime, background)
    return see_other(f"/console/roster/volunteers/{volunteer_id}")


@router.post("/import")
async def import_roster(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    viewer: web.Posted,
    background: BackgroundTasks,
    file: Annotated[UploadFile, File()],
) -> Response:
    """Volunteers and weekly shifts from a CSV file: all of it, or nothing and every bad
    row explained by its line."""
    viewer.require_coordinator()
    raw = await file.read(MAX_CSV_BYTES + 1)
    if len(raw) > MAX_CSV_BYTES:
        raise BadInput("the file is larger than 1 MB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput("the file is not UTF-8 text") from None
    report = importer.import_roster(
        session=session,
        vault=runtime.vault,
        settings=runtime.settings,
        languages=list(runtime.catalogs.languages),
        rows=io.StringIO(text, newline=""),
        user=viewer.user,
    )
    if report.ok:
        refresh_roster(runtime, background)
    return _roster(
        request, session, runtime, viewer, report=report, status_code=200 if report.ok else 422
    )
