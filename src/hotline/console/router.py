"""The console at /console: sign-in, the Now, Calls, Indicators and Languages pages.

Pages are server-rendered HTML. Every form carries the session's CSRF token and is
refused from another origin; every page needs a signed-in user, and a volunteer sees
only what is theirs. The roster's pages and forms are in roster_pages.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Form, Query, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from hotline.console import account_pages, queries, report_pages, roster_pages, shift_pages, web
from hotline.console import service as console_service
from hotline.console.web import see_other
from hotline.console.words import _l
from hotline.console.words import load as load_words
from hotline.deps import RuntimeDep, SessionDep, runtime_of
from hotline.dispositions import service as dispositions
from hotline.errors import Forbidden, HotlineError

router = APIRouter(prefix="/console", include_in_schema=False)
for pages in (account_pages, roster_pages, shift_pages, report_pages):
    router.include_router(pages.router)


@router.get("")
def console_root() -> RedirectResponse:
    return see_other("/console/now")


def _now_context(request: Request, session: SessionDep, viewer: web.Viewer) -> dict[str, Any]:
    runtime = runtime_of(request)
    now = datetime.now(UTC)
    snapshot = runtime.roster.snapshot
    if viewer.coordinator:
        urgent = queries.urgent_in_progress(session, now=now)
        callbacks = queries.open_callbacks(session)
        cases = queries.open_cases(session)
        languages = console_service.now_by_language(
            snapshot, now=now, languages=list(runtime.catalogs.languages)
        )
        incidents = queries.incidents_waiting(session)
        ids = {c.volunteer_id or 0 for c in [*callbacks, *cases]}
        ids |= {v for item in incidents for v in item.responders}
        return {
            "now": now,
            "urgent": urgent,
            "callbacks": callbacks,
            "cases": cases,
            "incidents": incidents,
            "languages": languages,
            "names": queries.names(session, ids),
        }
    own = viewer.user.volunteer_id or 0
    person = snapshot.people.get(own)
    return {
        "now": now,
        "on_call_now": person is not None and any(p.id == own for p in snapshot.on_call(now)),
        "stretches": console_service.next_stretches(snapshot, volunteer_id=own, now=now),
        "callbacks": queries.open_callbacks(session, volunteer_id=own),
        "cases": queries.open_cases(session, volunteer_id=own),
        "to_note": [
            call
            for call in queries.calls(
                session,
                filters=queries.Filters(now - dispositions.WINDOW, now, volunteer_id=own),
            )
            if call.disposition is None
        ],
        "incidents": queries.incidents_waiting(session, volunteer_id=own),
        "volunteer": person,
        "names": queries.names(session, {own}),
    }


@router.get("/now")
def now_page(request: Request, session: SessionDep, viewer: web.Seen) -> Response:
    """Who is on call, the gaps of the next day, calls ringing, callbacks, text cases, and
    incidents waiting for verification."""
    return web.render(request, "now.html", viewer=viewer, **_now_context(request, session, viewer))


@router.get("/now/live")
def now_live(request: Request, session: SessionDep, viewer: web.Seen) -> Response:
    """The Now page's changing part, fetched again every few seconds."""
    return web.render(
        request, "now_live.html", viewer=viewer, **_now_context(request, session, viewer)
    )


def _day(value: str | None, runtime: RuntimeDep) -> date:
    if value:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise console_service.BadInput("day is not a date like 2026-11-30") from None
    return datetime.now(UTC).astimezone(runtime.settings.zone).date()


@router.get("/calls")
def calls_page(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    viewer: web.Seen,
    day: Annotated[str | None, Query(max_length=10)] = None,
    language: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    """Urgent calls, callbacks and text cases of a day; a volunteer's own only."""
    chosen = _day(day, runtime)
    zone = runtime.settings.zone
    start = datetime.combine(chosen, time(0), tzinfo=zone)
    language = language if language in runtime.catalogs.languages else None
    own = None if viewer.coordinator else (viewer.user.volunteer_id or 0)
    filters = queries.Filters(start, start + timedelta(days=1), language, own)
    urgent = queries.calls(session, filters=filters)
    callbacks = queries.callbacks(session, filters=filters)
    cases = queries.cases(session, filters=filters)
    ids = {c.volunteer_id or 0 for c in urgent} | {c.volunteer_id or 0 for c in callbacks + cases}
    return web.render(
        request,
        "calls.html",
        viewer=viewer,
        day=chosen,
        previous_day=chosen - timedelta(days=1),
        next_day=chosen + timedelta(days=1),
        chosen_language=language,
        enabled=list(runtime.catalogs.languages),
        urgent=urgent,
        callbacks=callbacks,
        cases=cases,
        names=queries.names(session, ids),
        codes={call.id: dispositions.call_code(call.call_ref) for call in urgent},
        callback_codes={c.code for c in callbacks},
    )


@router.post("/calls/{subject}/{subject_id}/note")
def note_call(
    request: Request,
    session: SessionDep,
    viewer: web.Posted,
    subject: str,
    subject_id: int,
    kind: Annotated[str, Form(max_length=24)] = "",
    back: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    """Note what a call or text case was about: who took it, or a coordinator."""
    if subject not in ("call", "text") or not 1 <= subject_id < 2**31:
        raise Forbidden("there is nothing to note there")
    dispositions.note_as(
        session=session,
        user=viewer.user,
        subject="call" if subject == "call" else "text",
        subject_id=subject_id,
        kind=kind,
    )
    return see_other(web.safe_next(back or "/console/calls"))


def install(app: FastAPI) -> None:
    """Serve the console on `app`: its pages, its static files, its error pages.

    Install it last: its error pages wrap the handlers already there, for /console only.
    """
    runtime = app.state.runtime
    console = web.build(runtime, load_words(runtime.settings.locales_dir))
    app.state.console = console
    app.include_router(router)
    app.mount(
        "/console/static",
        StaticFiles(directory=Path(__file__).parent / "static"),
        name="console-static",
    )
    app.add_exception_handler(web.SignInRequired, _to_sign_in)
    handlers = dict(app.exception_handlers)
    handlers.setdefault(StarletteHTTPException, http_exception_handler)
    handlers.setdefault(RequestValidationError, request_validation_exception_handler)
    for kind, handler in handlers.items():
        if isinstance(kind, type) and kind is not Exception and kind is not web.SignInRequired:
            app.add_exception_handler(kind, _for_console(handler))


def _for_console(handler: Any) -> Any:
    async def handle(request: Request, error: Exception) -> Response:
        if request.url.path.startswith("/console"):
            return error_page(request, error)
        return await handler(request, error)  # type: ignore[no-any-return]

    return handle


async def _to_sign_in(request: Request, _error: Exception) -> Response:
    if request.method != "GET":
        return see_other("/console/login")
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return see_other(f"/console/login?next={quote(web.safe_next(target))}")


ERRORS = {
    400: _l("The console could not read this request."),
    403: _l("You may not do this."),
    404: _l("There is no such page."),
    405: _l("There is no such page."),
    409: _l("This cannot be done: something else stands in the way."),
    422: _l("Something in the form cannot be used."),
}


def error_page(request: Request, error: Exception) -> Response:
    """A refusal as a console page. The detail is the service's message, which never
    repeats what was submitted; a malformed request's own detail is never shown."""
    status = getattr(error, "status_code", 500)
    if isinstance(error, RequestValidationError):
        status = 422
    detail = error.message if isinstance(error, HotlineError) and status < 500 else None
    return web.render(
        request,
        "error.html",
        viewer=None,
        status_code=status,
        message=ERRORS.get(status, _l("Something went wrong.")),
        detail=detail,
    )
