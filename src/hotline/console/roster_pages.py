"""The Roster pages: the week, volunteers, shifts and covers, and the CSV import.

A coordinator may change everything; a volunteer sees their own week, sets their own
availability, and adds, moves and removes their own shifts, as in the roster API. Each
change refreshes the routing snapshot once it is committed.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, BackgroundTasks, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from hotline.auth import service as auth_service
from hotline.console import service as console_service
from hotline.console import web
from hotline.console.service import BadInput, WeekQuery
from hotline.deps import Runtime, RuntimeDep, SessionDep
from hotline.models import Shift, Volunteer
from hotline.roster import importer
from hotline.roster import service as roster
from hotline.roster.schemas import (
    AvailabilityUpdate,
    OverrideCreate,
    ShiftCreate,
    VolunteerCreate,
    VolunteerUpdate,
)

router = APIRouter(prefix="/roster")
M = TypeVar("M", bound=BaseModel)
MAX_CSV_BYTES = 1_000_000
Text = Annotated[str, Form(max_length=200)]


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=web.HEADERS)


def _schema(model: type[M], **data: Any) -> M:
    """`model` from form data; BadInput naming the fields (never their values) otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        fields = sorted({str(e["loc"][0]) for e in error.errors() if e["loc"]})
        raise BadInput(f"check these fields: {', '.join(fields) or 'the form'}") from None


def _refresh(runtime: Runtime, background: BackgroundTasks) -> None:
    background.add_task(runtime.roster.refresh)


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
        volunteer_in=_schema(
            VolunteerCreate, name=name, phone=phone, languages=languages or [], role=role
        ),
        user=viewer.user,
    )
    _refresh(runtime, background)
    return _see_other(f"/console/roster/volunteers/{volunteer.id}")


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
        volunteer_in=_schema(
            VolunteerUpdate,
            name=name,
            languages=languages or [],
            role=role,
            active=active == "on",
            **({"phone": phone} if phone.strip() else {}),
        ),
        user=viewer.user,
    )
    _refresh(runtime, background)
    return _see_other(f"/console/roster/volunteers/{volunteer_id}")


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
    _refresh(runtime, background)
    return _see_other("/console/roster")


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
    change = _schema(
        AvailabilityUpdate,
        status=status,
        minutes=int(minutes) if status == "break" and minutes.strip().isdigit() else None,
    )
    roster.set_availability(
        session=session, volunteer=volunteer, availability_in=change, user=viewer.user
    )
    _refresh(runtime, background)
    return _see_other(f"/console/roster/volunteers/{volunteer_id}")


@router.post("/shifts")
def add_shift(
    session: SessionDep,
    runtime: RuntimeDep,
    viewer: web.Posted,
    background: BackgroundTasks,
    volunteer_id: Annotated[int, Form(ge=1, lt=2**31)],
    day: Text = "",
    start: Text = "",
    end: Text = "",
    weekly: Text = "",
    back: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    """A shift from `start` to `end` on `day` (overnight if the end is earlier), weekly or once."""
    auth_service.require_volunteer_access(user=viewer.user, volunteer_id=volunteer_id)
    begins, ends = console_service.stretch(day, start, end, runtime.settings.zone)
    shift_in = _schema(
        ShiftCreate,
        volunteer_id=volunteer_id,
        weekly=weekly == "on",
        starts_at=begins,
        ends_at=ends,
    )
    roster.create_shift(session=session, shift_in=shift_in, user=viewer.user)
    _refresh(runtime, background)
    return _see_other(web.safe_next(back or f"/console/roster/volunteers/{volunteer_id}"))


def _own_shift(session: SessionDep, viewer: web.Viewer, shift_id: int) -> Shift:
    shift = roster.get_shift(session=session, shift_id=shift_id)
    auth_service.require_volunteer_access(user=viewer.user, volunteer_id=shift.volunteer_id)
    return shift


@router.get("/shifts/{shift_id}")
def shift_page(
    request: Request, session: SessionDep, runtime: RuntimeDep, viewer: web.Seen, shift_id: int
) -> Response:
    """One shift: move it, remove it, and (a coordinator) have someone cover it."""
    shift = _own_shift(session, viewer, shift_id)
    covers = roster.list_overrides(session=session, shift_id=shift_id)
    volunteers = roster.list_volunteers(session=session) if viewer.coordinator else []
    owner = roster.get_volunteer(session=session, volunteer_id=shift.volunteer_id)
    return web.render(
        request,
        "shift.html",
        viewer=viewer,
        shift=shift,
        owner=owner,
        covers=covers,
        volunteers=volunteers,
        names={v.id: v.name for v in volunteers},
    )


@router.post("/shifts/{shift_id}/move")
def move_shift(
    session: SessionDep,
    runtime: RuntimeDep,
    viewer: web.Posted,
    background: BackgroundTasks,
    shift_id: int,
    day: Text = "",
    start: Text = "",
    end: Text = "",
) -> Response:
    """Move a shift to another day or time."""
    shift = _own_shift(session, viewer, shift_id)
    begins, ends = console_service.stretch(day, start, end, runtime.settings.zone)
    roster.move_shift(
        session=session, shift=shift, starts_at=begins, ends_at=ends, user=viewer.user
    )
    _refresh(runtime, background)
    return _see_other(f"/console/roster/shifts/{shift_id}")


@router.post("/shifts/{shift_id}/delete")
def remove_shift(
    session: SessionDep,
    runtime: RuntimeDep,
    viewer: web.Posted,
    background: BackgroundTasks,
    shift_id: int,
) -> Response:
    """Remove a shift and its covers."""
    shift = _own_shift(session, viewer, shift_id)
    volunteer_id = shift.volunteer_id
    roster.delete_shift(session=session, shift=shift, user=viewer.user)
    _refresh(runtime, background)
    return _see_other(f"/console/roster/volunteers/{volunteer_id}")


@router.post("/shifts/{shift_id}/covers")
def add_cover(
    session: SessionDep,
    runtime: RuntimeDep,
    viewer: web.Posted,
    background: BackgroundTasks,
    shift_id: int,
    volunteer_id: Annotated[int, Form(ge=1, lt=2**31)],
    day: Text = "",
    start: Text = "",
    end: Text = "",
) -> Response:
    """Have another volunteer cover part of a shift (a coordinator only)."""
    viewer.require_coordinator()
    begins, ends = console_service.stretch(day, start, end, runtime.settings.zone)
    override_in = _schema(
        OverrideCreate, shift_id=shift_id, volunteer_id=volunteer_id, starts_at=begins, ends_at=ends
    )
    roster.create_override(session=session, override_in=override_in, user=viewer.user)
    _refresh(runtime, background)
    return _see_other(f"/console/roster/shifts/{shift_id}")


@router.post("/covers/{override_id}/delete")
def remove_cover(
    session: SessionDep,
    runtime: RuntimeDep,
    viewer: web.Posted,
    background: BackgroundTasks,
    override_id: int,
) -> Response:
    """Remove a cover (a coordinator only)."""
    viewer.require_coordinator()
    override = roster.get_override(session=session, override_id=override_id)
    shift_id = override.shift_id
    roster.delete_override(session=session, override=override, user=viewer.user)
    _refresh(runtime, background)
    return _see_other(f"/console/roster/shifts/{shift_id}")


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
        _refresh(runtime, background)
    return _roster(
        request, session, runtime, viewer, report=report, status_code=200 if report.ok else 422
    )
