"""Signing in and out of the console, and choosing its language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from hotline.auth import console as console_auth
from hotline.console import service as console_service
from hotline.console import web
from hotline.console.web import see_other
from hotline.deps import SessionDep
from hotline.errors import Forbidden

router = APIRouter()


@router.get("/login")
def login_page(
    request: Request, found: web.MaybeViewer, next: Annotated[str | None, Query()] = None
) -> Response:
    """The sign-in form: name, password and the form's CSRF token."""
    if found is not None:
        return see_other(web.safe_next(next))
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
    response = see_other(web.safe_next(next))
    max_age = int(console.policy.session.total_seconds())
    web.set_cookie(response, request, web.SESSION_COOKIE, result.token, max_age=max_age)
    web.forget_cookie(response, request, web.LOGIN_COOKIE)
    return response


@router.post("/logout")
def sign_out(request: Request, session: SessionDep, viewer: web.Posted) -> Response:
    """End this session."""
    console_auth.sign_out(session=session, token=viewer.token)
    response = see_other("/console/login")
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
    return see_other(web.safe_next(back))
