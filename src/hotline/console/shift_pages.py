"""Shifts and covers: add, move and remove them. A volunteer may do this for their own
shifts; covers are a coordinator's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import Response

from hotline.auth import service as auth_service
from hotline.console import service as console_service
from hotline.console import web
from hotline.console.web import form_model, refresh_roster, see_other
from hotline.deps import RuntimeDep, SessionDep
from hotline.models import Shift
from hotline.roster import service as roster
from hotline.roster.schemas import OverrideCreate, ShiftCreate

router = APIRouter(prefix="/roster")
Text = Annotated[str, Form(max_length=200)]


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
    shift_in = form_model(
        ShiftCreate,
        volunteer_id=volunteer_id,
        weekly=weekly == "on",
        starts_at=begins,
        ends_at=ends,
    )
    roster.create_shift(session=session, shift_in=shift_in, user=viewer.user)
    refresh_roster(runtime, background)
    return see_other(web.safe_next(back or f"/console/roster/volunteers/{volunteer_id}"))


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
    refresh_roster(runtime, background)
    return see_other(f"/console/roster/shifts/{shift_id}")


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
    refresh_roster(runtime, background)
    return see_other(f"/console/roster/volunteers/{volunteer_id}")


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
    override_in = form_model(
        OverrideCreate, shift_id=shift_id, volunteer_id=volunteer_id, starts_at=begins, ends_at=ends
    )
    roster.create_override(session=session, override_in=override_in, user=viewer.user)
    refresh_roster(runtime, background)
    return see_other(f"/console/roster/shifts/{shift_id}")


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
    refresh_roster(runtime, background)
    return see_other(f"/console/roster/shifts/{shift_id}")
