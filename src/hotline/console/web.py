"""The console's HTTP plumbing: templates, cookies, sessions, CSRF, security headers."""

from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from fastapi import BackgroundTasks, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel, ValidationError

from hotline.auth import console as console_auth
from hotline.auth import service as auth_service
from hotline.console import formats
from hotline.console.service import BadInput
from hotline.console.words import ENDONYMS, ConsoleWords, Words
from hotline.deps import Runtime, SessionDep, runtime_of
from hotline.errors import Forbidden
from hotline.models import User

HERE = Path(__file__).parent
SESSION_COOKIE = "hotline_console"
LOGIN_COOKIE = "hotline_console_login"
COOKIE_PATH = "/console"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class SignInRequired(Exception):
    """The request needs a signed-in user; the answer is the sign-in page."""


class FailureLimiter:
    """Failed sign-ins per client address in a sliding window, in this process."""

    def __init__(self, *, limit: int = 30, window: float = 900.0) -> None:
        self.limit, self.window = limit, window
        self._seen: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        seen = self._seen[address]
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        return seen

    def blocked(self, address: str) -> bool:
        with self._lock:
            return len(self._recent(address, time.monotonic())) >= self.limit

    def failed(self, address: str) -> None:
        with self._lock:
            self._recent(address, time.monotonic()).append(time.monotonic())


@dataclass
class Console:
    """What the console builds once at start-up."""

    templates: Environment
    words: ConsoleWords
    policy: console_auth.Policy
    secret: bytes
    limiter: FailureLimiter


def build(runtime: Runtime, words: ConsoleWords) -> Console:
    settings = runtime.settings
    templates = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    templates.globals.update(formats.helpers(settings.zone, runtime.catalogs.registry))
    return Console(
        templates=templates,
        words=words,
        policy=console_auth.Policy(
            session=timedelta(hours=settings.console_session_hours),
            idle=timedelta(minutes=settings.console_idle_minutes),
            failures=settings.console_lockout_failures,
            lockout=timedelta(minutes=settings.console_lockout_minutes),
        ),
        secret=settings.require_secrets()[1],
        limiter=FailureLimiter(),
    )


def console_of(request: Request) -> Console:
    found: Console = request.app.state.console
    return found


@dataclass(frozen=True)
class Viewer:
    """The signed-in user of a request, with their session's CSRF token and words."""

    user: User
    token: str
    csrf: str
    t: Words

    @property
    def coordinator(self) -> bool:
        return auth_service.is_coordinator(self.user)

    def require_coordinator(self) -> None:
        auth_service.require_coordinator(user=self.user)


def words_for(request: Request, user: User | None) -> Words:
    console = console_of(request)
    chosen = user.console_language if user is not None else None
    code = console.words.choose(chosen, request.headers.get("accept-language"))
    return console.words.get(code)


def maybe_viewer(request: Request, session: SessionDep) -> Viewer | None:
    """The signed-in user, if the session cookie names a live session."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 100:
        return None
    console = console_of(request)
    found = console_auth.resume(session=session, token=token, policy=console.policy)
    if found is None:
        return None
    user = found[0]
    csrf = console_auth.csrf_token(console.secret, token)
    return Viewer(user, token, csrf, words_for(request, user))


MaybeViewer = Annotated[Viewer | None, Depends(maybe_viewer)]


def viewer(request: Request, found: MaybeViewer) -> Viewer:
    """The signed-in user; the sign-in page for anyone else."""
    if found is None:
        raise SignInRequired
    return found


Seen = Annotated[Viewer, Depends(viewer)]


def _origins(request: Request, runtime: Runtime) -> set[str]:
    own = f"{request.url.scheme}://{request.url.netloc}"
    public = urlsplit(runtime.settings.public_url)
    return {own, f"{public.scheme}://{public.netloc}"}


def same_origin(request: Request) -> bool:
    """False when the browser says the form came from another site."""
    allowed = _origins(request, runtime_of(request))
    origin = request.headers.get("origin")
    if origin is not None:
        return origin in allowed
    referer = request.headers.get("referer")
    if referer is not None:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}" in allowed
    return True


async def posted(request: Request, found: MaybeViewer) -> Viewer:
    """The signed-in user of a form post whose CSRF token and origin check out."""
    if found is None:
        raise SignInRequired
    form = await request.form()
    submitted = form.get("csrf")
    console = console_of(request)
    if not same_origin(request) or not isinstance(submitted, str):
        raise Forbidden("this form did not come from the console")
    if not console_auth.csrf_ok(console.secret, found.token, submitted):
        raise Forbidden("this form did not come from the console")
    return found


Posted = Annotated[Viewer, Depends(posted)]


def secure(request: Request) -> bool:
    """Cookies are Secure everywhere but on a loopback address (the local demo)."""
    return request.url.hostname not in LOOPBACK


def set_cookie(
    response: Response, request: Request, name: str, value: str, *, max_age: int | None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        secure=secure(request),
        httponly=True,
        samesite="strict",
    )


def forget_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(
        name, path=COOKIE_PATH, secure=secure(request), httponly=True, samesite="strict"
    )


def login_token(request: Request) -> tuple[str, bool]:
    """The sign-in form's cookie value, and whether it is new (and must be set)."""
    value = request.cookies.get(LOGIN_COOKIE, "")
    if 20 <= len(value) <= 100:
        return value, False
    return secrets.token_urlsafe(32), True


def render(
    request: Request,
    template: str,
    *,
    viewer: Viewer | None,
    status_code: int = 200,
    t: Words | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page, with the headers every console page carries."""
    console = console_of(request)
    words = t or (viewer.t if viewer else words_for(request, None))
    runtime = runtime_of(request)
    html = console.templates.get_template(template).render(
        _=words,
        t=words,
        ngettext=words.n,
        viewer=viewer,
        lang=words.code,
        path=request.url.path,
        endonyms={code: ENDONYMS.get(code, code) for code in console.words.languages},
        refresh_seconds=runtime.settings.console_refresh_seconds,
        **context,
    )
    return HTMLResponse(html, status_code=status_code, headers=HEADERS)


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a console page, never another site."""
    default = "/console/now"
    if not value or len(value) > 200:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or "\\" in value or not value.startswith("/console/"):
        return default
    if ".." in parts.path or value.startswith("/console/login"):
        return default
    return value


def see_other(url: str) -> RedirectResponse:
    """After a form: the page to show next (303, so the browser GETs it)."""
    return RedirectResponse(url, status_code=303, headers=HEADERS)


M = TypeVar("M", bound=BaseModel)


def form_model(model: type[M], **data: Any) -> M:
    """`model` from form data; BadInput naming the fields (never their values) otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        fields = sorted({str(e["loc"][0]) for e in error.errors() if e["loc"]})
        raise BadInput(f"check these fields: {', '.join(fields) or 'the form'}") from None


def refresh_roster(runtime: Runtime, background: BackgroundTasks) -> None:
    """Refresh routing's roster snapshot once the change is committed."""
    background.add_task(runtime.roster.refresh)
