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

from hotline.auth import console as console_auth
from hotline.console import charts, indicators, queries, roster_pages, web
from hotline.console import service as console_service
from hotline.console.words import _l
from hotline.console.words import load as load_words
from hotline.deps import RuntimeDep, SessionDep, runtime_of
from hotline.dispositions import service as dispositions
from hotline.errors import Forbidden, HotlineError
from hotline.i18n import audio
from hotline.i18n import tools as i18n_tools

router = APIRouter(prefix="/console", include_in_schema=False)
router.include_router(roster_pages.router)


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=web.HEADERS)


@router.get("")
def console_root() -> RedirectResponse:
    return _see_other("/console/now")


@router.get("/login")
def login_page(
    request: Request, found: web.MaybeViewer, next: Annotated[str | None, Query()] = None
) -> Response:
    """The sign-in form: name, password and the form's CSRF token."""
    if found is not None:
        return _see_other(web.safe_next(next))
    return _login_form(request, next=next)


def _login_form(
    request: Request, *, next: str | None, error: str | None = None, status_code: int = 200
) -> Response:
    console = web.console_of(request)
    value, new = web.login_token(request)
    response = web.render(
        request,
        "login.html",
        viewer=None,
        status_code=status_code,
        csrf=console_auth.csrf_token(console.secret, value, login=True),
        next=web.safe_next(next),
        error=error,
    )
    if new:
        web.set_cookie(response, request, web.LOGIN_COOKIE, value, max_age=3600)
    return response


@router.post("/login")
def sign_in(
    request: Request,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    """Sign in: a new session, then the Now page (or the console page asked for)."""
    console = web.console_of(request)
    login_value = request.cookies.get(web.LOGIN_COOKIE, "")
    if (
        not login_value
        or not web.same_origin(request)
        or not console_auth.csrf_ok(console.secret, login_value, csrf, login=True)
    ):
        raise Forbidden("this form did not come from the console")
    address = request.client.host if request.client else "unknown"
    t = web.words_for(request, None)
    if console.limiter.blocked(address):
        error = t("Too many failed sign-ins from here. Wait a few minutes and try again.")
        return _login_form(request, next=next, error=error, status_code=429)
    result = console_auth.sign_in(
        session=session, name=name, password=password, policy=console.policy
    )
    if result.token is None:
        console.limiter.failed(address)
        error = t("That name and password did not work, or the account is locked for a while.")
        return _login_form(request, next=next, error=error, status_code=401)
    old = request.cookies.get(web.SESSION_COOKIE)
    if old:
        console_auth.sign_out(session=session, token=old)
    response = _see_other(web.safe_next(next))
    max_age = int(console.policy.session.total_seconds())
    web.set_cookie(response, request, web.SESSION_COOKIE, result.token, max_age=max_age)
    web.forget_cookie(response, request, web.LOGIN_COOKIE)
    return response


@router.post("/logout")
def sign_out(request: Request, session: SessionDep, viewer: web.Posted) -> Response:
    """End this session."""
    console_auth.sign_out(session=session, token=viewer.token)
    response = _see_other("/console/login")
    web.forget_cookie(response, request, web.SESSION_COOKIE)
    return response


@router.post("/language")
def choose_language(
    request: Request,
    session: SessionDep,
    viewer: web.Posted,
    language: Annotated[str, Form(max_length=16)] = "",
    back: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    """Keep the user's choice of console language."""
    console = web.console_of(request)
    if language not in console.words.languages:
        raise console_service.BadInput("language is not one the console speaks")
    viewer.user.console_language = language
    session.add(viewer.user)
    return _see_other(web.safe_next(back))


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
        ids = {c.volunteer_id or 0 for c in [*callbacks, *cases]}
        return {
            "now": now,
            "urgent": urgent,
            "callbacks": callbacks,
            "cases": cases,
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
        "volunteer": person,
        "names": queries.names(session, {own}),
    }


@router.get("/now")
def now_page(request: Request, session: SessionDep, viewer: web.Seen) -> Response:
    """Who is on call, the gaps of the next day, calls ringing, callbacks and text cases."""
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
    return _see_other(web.safe_next(back or "/console/calls"))


def _indicator_lines(session: SessionDep, runtime: RuntimeDep) -> list[indicators.Line]:
    return indicators.lines(session, languages=list(runtime.catalogs.languages))


@router.get("/indicators")
def indicators_page(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    viewer: web.Seen,
    month: Annotated[str | None, Query(max_length=7)] = None,
) -> Response:
    """Per month: calls, texts, urgent calls and their waits, callbacks, dispositions."""
    viewer.require_coordinator()
    months = indicators.months_back(datetime.now(UTC), 12)
    chosen = month if month in months[1:] else months[-1]
    previous = months[months.index(chosen) - 1]
    found = _indicator_lines(session, runtime)
    answered = indicators.answered_of(found)
    six = months[-6:]

    def chart(metric: str, title: str) -> Any:
        line = next(item for item in found if item.metric == metric and not item.key)
        columns = []
        for m in six:
            value = indicators.shown(line, m, answered)
            number = None if value == indicators.HIDDEN else float(value)
            columns.append(charts.Column(m[2:], number, value))
        return charts.bar_chart(columns, title=title)

    t = viewer.t
    return web.render(
        request,
        "indicators.html",
        viewer=viewer,
        months=months,
        month=chosen,
        previous=previous,
        lines=found,
        answered=answered,
        shown=indicators.shown,
        change=indicators.change,
        charts=[
            (title, chart(metric, title))
            for metric, title in (
                ("calls", t.plain("Calls")),
                ("urgent", t.plain("Urgent calls")),
                ("answer_median", t.plain("Seconds to answer, median")),
            )
        ],
    )


@router.get("/indicators.csv")
def indicators_csv(session: SessionDep, runtime: RuntimeDep, viewer: web.Seen) -> Response:
    """The Indicators table for the last twelve months, as CSV."""
    viewer.require_coordinator()
    months = indicators.months_back(datetime.now(UTC), 12)
    body = indicators.to_csv(_indicator_lines(session, runtime), months)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            **web.HEADERS,
            "Content-Disposition": 'attachment; filename="indicators.csv"',
        },
    )


@router.get("/languages")
def languages_page(request: Request, runtime: RuntimeDep, viewer: web.Seen) -> Response:
    """Each catalog: how complete, whether a lawyer reviewed it, recordings still missing."""
    viewer.require_coordinator()
    settings = runtime.settings
    recordings = audio.scan(settings.audio_dir, base_url=settings.recordings_url)
    reports = [
        (language, i18n_tools.check_catalog(settings.locales_dir, language, recordings=recordings))
        for language in runtime.catalogs.languages.values()
    ]
    return web.render(request, "languages.html", viewer=viewer, reports=reports)


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
        return _see_other("/console/login")
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return _see_other(f"/console/login?next={quote(web.safe_next(target))}")


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
