"""The roster API under /api/v1: JSON for coordinators, and for volunteers about themselves.

Every route needs a bearer token. A coordinator may do everything; a volunteer may read
their own volunteer, list, add and remove their own shifts, and set their own
availability. After a change the routing cache is refreshed in the background, so an
urgent call sees the new roster within the request's lifetime.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, FastAPI, Path, Query, Request, status
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session

from hotline.auth import service as auth_service
from hotline.auth.schemas import ErrorPublic, ValidationProblem
from hotline.auth.service import InvalidField, Unauthorized
from hotline.deps import Coordinator, CurrentUser, Runtime, RuntimeDep, SessionDep, tick_claims
from hotline.models import Shift, ShiftOverride, Volunteer
from hotline.roster import service
from hotline.roster.schemas import (
    MAX_ID,
    AvailabilityUpdate,
    CallPublic,
    CoveragePublic,
    GapPublic,
    LanguageCoveragePublic,
    Moment,
    OnCallPublic,
    OverrideCreate,
    OverridePublic,
    ShiftCreate,
    ShiftPublic,
    VolunteerCreate,
    VolunteerPublic,
    VolunteerUpdate,
)

API_PREFIX = "/api/"
MAX_DIGITS_IN_NAME = 3
VOLUNTEERS = "volunteers"
SHIFTS = "shifts"
OVERRIDES = "overrides"
ON_CALL = "on call"
CALLS = "calls"

_refusal: dict[str, Any] = {"model": ErrorPublic}
router = APIRouter(
    prefix="/api/v1",
    responses={
        401: {**_refusal, "description": "No API token, or one that is not valid."},
        403: {**_refusal, "description": "The token's role may not do this."},
        422: {"model": ValidationProblem, "description": "A field that cannot be accepted."},
    },
)
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {**_refusal, "description": "No such id."},
}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {**_refusal, "description": "Another volunteer has this phone number."},
}
# Routes with a body: one that is not UTF-8 text is refused before it is validated.
BAD_BODY: dict[int | str, dict[str, Any]] = {
    400: {"description": "A body that cannot be read."},
}


def _load_volunteer(
    volunteer_id: Annotated[int, Path(ge=1, le=MAX_ID)], _user: Coordinator, session: SessionDep
) -> Volunteer:
    return service.get_volunteer(session=session, volunteer_id=volunteer_id)


def _load_own_volunteer(
    volunteer_id: Annotated[int, Path(ge=1, le=MAX_ID)], user: CurrentUser, session: SessionDep
) -> Volunteer:
    auth_service.require_volunteer_access(user=user, volunteer_id=volunteer_id)
    return service.get_volunteer(session=session, volunteer_id=volunteer_id)


def _load_own_shift(
    shift_id: Annotated[int, Path(ge=1, le=MAX_ID)], user: CurrentUser, session: SessionDep
) -> Shift:
    shift = service.get_shift(session=session, shift_id=shift_id)
    auth_service.require_volunteer_access(user=user, volunteer_id=shift.volunteer_id)
    return shift


def _load_override(
    override_id: Annotated[int, Path(ge=1, le=MAX_ID)], _user: Coordinator, session: SessionDep
) -> ShiftOverride:
    return service.get_override(session=session, override_id=override_id)


# 403 before 404 where the id alone says who may act; a shift is loaded to learn whose it is.
VolunteerDep = Annotated[Volunteer, Depends(_load_volunteer)]
OwnVolunteerDep = Annotated[Volunteer, Depends(_load_own_volunteer)]
OwnShiftDep = Annotated[Shift, Depends(_load_own_shift)]
OverrideDep = Annotated[ShiftOverride, Depends(_load_override)]


def _refresh_later(runtime: Runtime, background: BackgroundTasks) -> None:
    # Runs after the commit, so routing's snapshot includes the change; then what a
    # volunteer who left held is offered to the others at once.
    background.add_task(runtime.roster.refresh)
    background.add_task(tick_claims, runtime)


def _public(
    session: Session, runtime: Runtime, volunteers: list[Volunteer]
) -> list[VolunteerPublic]:
    """`volunteers` as the API shows them, with the zones they respond in."""
    zones = service.zone_names(session, [v.id for v in volunteers if v.id is not None])
    tz = runtime.settings.zone
    return [VolunteerPublic.of(v, tz, zones.get(v.id or 0, [])) for v in volunteers]


def _enabled(runtime: Runtime, language: str | None, *, loc: tuple[str, str]) -> None:
    if language is not None and language not in runtime.catalogs.languages:
        enabled = ", ".join(sorted(runtime.catalogs.languages))
        raise InvalidField(f"language must be one of the enabled: {enabled}", loc=loc)


@router.post(
    "/volunteers",
    status_code=status.HTTP_201_CREATED,
    response_model=VolunteerPublic,
    tags=[VOLUNTEERS],
    responses={**CONFLICT, **BAD_BODY},
)
def create_volunteer(
    volunteer_in: VolunteerCreate,
    user: Coordinator,
    session: SessionDep,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> VolunteerPublic:
    """Add a volunteer. Their number is sealed; answers show only a hint of it."""
    volunteer = service.create_volunteer(
        session=session,
        vault=runtime.vault,
        country=runtime.settings.country,
        enabled=runtime.catalogs.languages,
        volunteer_in=volunteer_in,
        user=user,
    )
    _refresh_later(runtime, background)
    return _public(session, runtime, [volunteer])[0]


@router.get("/volunteers", response_model=list[VolunteerPublic], tags=[VOLUNTEERS])
def list_volunteers(
    _user: Coordinator, session: SessionDep, runtime: RuntimeDep
) -> list[VolunteerPublic]:
    """Every volunteer, oldest first."""
    return _public(session, runtime, service.list_volunteers(session=session))


@router.get(
    "/volunteers/{volunteer_id}",
    response_model=VolunteerPublic,
    tags=[VOLUNTEERS],
    responses=NOT_FOUND,
)
def get_volunteer(
    volunteer: OwnVolunteerDep, session: SessionDep, runtime: RuntimeDep
) -> VolunteerPublic:
    """One volunteer; a volunteer may read only themself."""
    return _public(session, runtime, [volunteer])[0]


@router.patch(
    "/volunteers/{volunteer_id}",
    response_model=VolunteerPublic,
    tags=[VOLUNTEERS],
    responses={**NOT_FOUND, **CONFLICT, **BAD_BODY},
)
def update_volunteer(
    user: Coordinator,
    volunteer: VolunteerDep,
    volunteer_in: VolunteerUpdate,
    session: SessionDep,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> VolunteerPublic:
    """Change a volunteer's name, phone, languages, role, zones or whether they are active."""
    volunteer = service.update_volunteer(
        session=session,
        vault=runtime.vault,
        country=runtime.settings.country,
        enabled=runtime.catalogs.languages,
        volunteer=volunteer,
        volunteer_in=volunteer_in,
        user=user,
    )
    _refresh_later(runtime, background)
    return _public(session, runtime, [volunteer])[0]


@router.delete(
    "/volunteers/{volunteer_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=[VOLUNTEERS],
    responses=NOT_FOUND,
)
def delete_volunteer(
    user: Coordinator,
    volunteer: VolunteerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> None:
    """Remove a volunteer with their shifts and the covers they took on."""
    service.delete_volunteer(session=session, volunteer=volunteer, user=user)
    _refresh_later(runtime, background)


@router.put(
    "/volunteers/{volunteer_id}/availability",
    response_model=VolunteerPublic,
    tags=[VOLUNTEERS],
    responses={**NOT_FOUND, **BAD_BODY},
)
def set_availability(
    volunteer: OwnVolunteerDep,
    availability_in: AvailabilityUpdate,
    user: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> VolunteerPublic:
    """On call, off, or on a break of 1 to 720 minutes that ends by itself."""
    volunteer = service.set_availability(
        session=session, volunteer=volunteer, availability_in=availability_in, user=user
    )
    _refresh_later(runtime, background)
    return _public(session, runtime, [volunteer])[0]


@router.post(
    "/shifts",
    status_code=status.HTTP_201_CREATED,
    response_model=ShiftPublic,
    tags=[SHIFTS],
    responses={**NOT_FOUND, **BAD_BODY},
)
def create_shift(
    shift_in: ShiftCreate,
    user: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> ShiftPublic:
    """Add a shift; times need their UTC offset. A volunteer may add only their own."""
    auth_service.require_volunteer_access(user=user, volunteer_id=shift_in.volunteer_id)
    shift = service.create_shift(session=session, shift_in=shift_in, user=user)
    _refresh_later(runtime, background)
    return ShiftPublic.of(shift, runtime.settings.zone)


@router.get("/shifts", response_model=list[ShiftPublic], tags=[SHIFTS])
def list_shifts(
    user: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    volunteer_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    start: Annotated[
        Moment | None, Query(alias="from", description="On call at some time after this.")
    ] = None,
    end: Annotated[
        Moment | None, Query(alias="to", description="On call at some time before this.")
    ] = None,
) -> list[ShiftPublic]:
    """Shifts with time on call between `from` and `to`; a volunteer sees only their own."""
    if not auth_service.is_coordinator(user):
        volunteer_id = volunteer_id or user.volunteer_id
        auth_service.require_volunteer_access(user=user, volunteer_id=volunteer_id or 0)
    if start is not None and end is not None and end <= start:
        raise InvalidField("to must be after from", loc=("query", "to"))
    zone = runtime.settings.zone
    shifts = service.list_shifts(
        session=session, timezone=zone, volunteer_id=volunteer_id, start=start, end=end
    )
    return [ShiftPublic.of(shift, zone) for shift in shifts]


@router.delete(
    "/shifts/{shift_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=[SHIFTS],
    responses=NOT_FOUND,
)
def delete_shift(
    shift: OwnShiftDep,
    user: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> None:
    """Remove a shift and its covers. A volunteer may remove only their own."""
    service.delete_shift(session=session, shift=shift, user=user)
    _refresh_later(runtime, background)


@router.post(
    "/overrides",
    status_code=status.HTTP_201_CREATED,
    response_model=OverridePublic,
    tags=[OVERRIDES],
    responses={**NOT_FOUND, **BAD_BODY},
)
def create_override(
    override_in: OverrideCreate,
    user: Coordinator,
    session: SessionDep,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> OverridePublic:
    """Have another volunteer cover a shift for a while."""
    override = service.create_override(session=session, override_in=override_in, user=user)
    _refresh_later(runtime, background)
    return OverridePublic.of(override, runtime.settings.zone)


@router.get("/overrides", response_model=list[OverridePublic], tags=[OVERRIDES])
def list_overrides(
    _user: Coordinator,
    session: SessionDep,
    runtime: RuntimeDep,
    shift_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[OverridePublic]:
    """Covers, of one shift if given, earliest first."""
    zone = runtime.settings.zone
    overrides = service.list_overrides(session=session, shift_id=shift_id)
    return [OverridePublic.of(override, zone) for override in overrides]


@router.delete(
    "/overrides/{override_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=[OVERRIDES],
    responses=NOT_FOUND,
)
def delete_override(
    user: Coordinator,
    override: OverrideDep,
    session: SessionDep,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> None:
    """Remove a cover: the shift's own volunteer is on call again."""
    service.delete_override(session=session, override=override, user=user)
    _refresh_later(runtime, background)


@router.get("/on-call", response_model=OnCallPublic, tags=[ON_CALL])
def on_call(
    _user: Coordinator,
    session: SessionDep,
    runtime: RuntimeDep,
    language: Annotated[str | None, Query(max_length=16)] = None,
) -> OnCallPublic:
    """Who is on call and available now; for a language, its first-language speakers first."""
    _enabled(runtime, language, loc=("query", "language"))
    now = datetime.now(UTC)
    zone = runtime.settings.zone
    volunteers = service.on_call(session=session, timezone=zone, at=now, language=language)
    return OnCallPublic(
        at=now.astimezone(zone),
        language=language,
        volunteers=_public(session, runtime, volunteers),
    )


@router.get("/coverage", response_model=CoveragePublic, tags=[ON_CALL])
def coverage(
    _user: Coordinator,
    session: SessionDep,
    runtime: RuntimeDep,
    days: Annotated[int, Query(ge=1, le=28)] = 7,
    language: Annotated[str | None, Query(max_length=16)] = None,
) -> CoveragePublic:
    """The gaps of the next `days`: when no active volunteer on a shift speaks a language."""
    _enabled(runtime, language, loc=("query", "language"))
    zone = runtime.settings.zone
    start = datetime.now(UTC)
    end = start + timedelta(days=days)
    languages = [language] if language else list(runtime.catalogs.languages)
    found = service.coverage(
        session=session, timezone=zone, languages=languages, start=start, end=end
    )
    return CoveragePublic(
        start=start.astimezone(zone),
        end=end.astimezone(zone),
        days=days,
        languages=[
            LanguageCoveragePublic(
                language=code,
                uncovered_hours=_hours(sum((b - a for a, b in gaps), timedelta())),
                gaps=[
                    GapPublic(start=a.astimezone(zone), end=b.astimezone(zone), hours=_hours(b - a))
                    for a, b in gaps
                ],
            )
            for code, gaps in found.items()
        ],
    )


def _hours(span: timedelta) -> float:
    return round(span.total_seconds() / 3600, 2)


@router.get("/calls", response_model=list[CallPublic], tags=[CALLS])
def recent_calls(
    _user: Coordinator,
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[CallPublic]:
    """The latest urgent calls with their waits, newest first. No numbers, no names."""
    zone = runtime.settings.zone
    return [CallPublic.of(row, zone) for row in service.recent_calls(session=session, limit=limit)]


def _loc_part(part: str | int) -> str | int:
    # An unknown field is named by its key, and a key can be a number someone typed.
    if isinstance(part, str) and sum(ch.isdigit() for ch in part) > MAX_DIGITS_IN_NAME:
        return "(withheld)"
    return part


def _problem(loc: tuple[str | int, ...] | list[str | int], msg: str, kind: str) -> dict[str, Any]:
    parts = [_loc_part(part) for part in loc]
    if kind == "extra_forbidden" and parts:
        # The name of a field we do not know is something the client typed.
        parts[-1] = "(unknown field)"
    return {
        "loc": parts,
        "msg": msg.removeprefix("Value error, "),
        "type": kind,
    }


def install(app: FastAPI) -> None:
    """Serve the roster API on `app`, with its answers to invalid and unauthorized requests."""
    app.include_router(router)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        # FastAPI's own body echoes the submitted value (`input`): it could be a number.
        if not request.url.path.startswith(API_PREFIX):
            return await request_validation_exception_handler(request, error)
        detail = [_problem(e["loc"], e["msg"], e["type"]) for e in error.errors()]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(InvalidField)
    async def invalid_field(_request: Request, error: InvalidField) -> Response:
        detail = [_problem(error.loc, error.message, "value_error")]
        return JSONResponse({"detail": detail}, status_code=error.status_code)

    @app.exception_handler(Unauthorized)
    async def unauthorized(_request: Request, error: Unauthorized) -> Response:
        return JSONResponse(
            {"error": error.code, "message": error.message},
            status_code=error.status_code,
            headers={"WWW-Authenticate": "Bearer"},
        )
