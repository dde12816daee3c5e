"""Sign-in, sessions and CSRF, attacked: fixation, forged forms, stuffing, open redirects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from hotline.auth import console as console_auth
from hotline.models import ConsoleSession, User
from tests.console.conftest import CSRF, PASSWORD, Browser, People
from tests.roster.factories import everything
from tests.support import served


def login_form(browser: Browser) -> str:
    page = browser.client.get("/console/login")
    assert page.status_code == 200
    found = CSRF.search(page.text)
    assert found is not None
    for field in ('name="name"', 'name="password"', 'name="csrf"'):
        assert field in page.text
    return found.group(1)


def attempt(browser: Browser, name: str, password: str, **extra: str) -> int:
    token = login_form(browser)
    data = {"name": name, "password": password, "csrf": token, **extra}
    return browser.client.post("/console/login", data=data, follow_redirects=False).status_code


def test_a_good_sign_in_lands_on_now_with_a_strict_http_only_secure_cookie(
    browser: Browser, people: People
) -> None:
    token = login_form(browser)
    answer = browser.client.post(
        "/console/login",
        data={"name": "Dana", "password": PASSWORD, "csrf": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/now"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if "hotline_console=" in c)
    for flag in ("HttpOnly", "Secure", "SameSite=strict", "Path=/console"):
        assert flag in cookie
    assert browser.client.get("/console/now").status_code == 200


def test_on_a_loopback_address_the_cookie_is_not_secure(
    console_app: FastAPI, people: People
) -> None:
    with served(console_app) as url, TestClient(console_app, base_url=url) as client:
        page = client.get("/console/login")
        token = CSRF.search(page.text)
        assert token is not None
        answer = client.post(
            "/console/login",
            data={"name": "Dana", "password": PASSWORD, "csrf": token.group(1)},
            follow_redirects=False,
        )
    cookie = next(c for c in answer.headers.get_list("set-cookie") if "hotline_console=" in c)
    assert "Secure" not in cookie
    assert "HttpOnly" in cookie


@pytest.mark.parametrize(
    ("name", "password"),
    [("Dana", "wrong password!!"), ("Nobody", PASSWORD), ("", ""), ("Dana", "")],
)
def test_a_failed_sign_in_says_the_same_whatever_was_wrong(
    browser: Browser, people: People, name: str, password: str
) -> None:
    token = login_form(browser)
    answer = browser.client.post(
        "/console/login", data={"name": name, "password": password, "csrf": token}
    )
    assert answer.status_code == 401
    assert "That name and password did not work" in answer.text
    assert "hotline_console=" not in answer.headers.get("set-cookie", "")


def test_session_fixation_a_planted_session_cookie_is_not_the_one_after_sign_in(
    browser: Browser, people: People, engine: Engine
) -> None:
    planted = "planted-by-the-attacker-0123456789"
    browser.client.cookies.set(
        "hotline_console", planted, domain="testserver.local", path="/console"
    )
    browser.sign_in("Dana")
    issued = browser.client.cookies.get("hotline_console")
    assert issued
    assert issued != planted
    with Session(engine) as session:
        hashes = {row.token_hash for row in session.exec(select(ConsoleSession))}
    assert console_auth._hash(planted) not in hashes
    assert hashes == {console_auth._hash(issued)}


def test_signing_in_again_ends_the_session_the_browser_had(
    browser: Browser, people: People, engine: Engine
) -> None:
    browser.sign_in("Dana")
    first = browser.client.cookies.get("hotline_console")
    assert first is not None
    browser.client.cookies.delete("hotline_console")
    token = login_form(browser)
    browser.client.cookies.set("hotline_console", first, domain="testserver.local", path="/console")
    answer = browser.client.post(
        "/console/login",
        data={"name": "Vera", "password": PASSWORD, "csrf": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    with Session(engine) as session:
        hashes = {row.token_hash for row in session.exec(select(ConsoleSession))}
    assert console_auth._hash(first) not in hashes
    assert len(hashes) == 1


def test_the_sign_in_form_needs_its_own_token(browser: Browser, people: People) -> None:
    login_form(browser)
    for token in ["", "0" * 64]:
        answer = browser.client.post(
            "/console/login", data={"name": "Dana", "password": PASSWORD, "csrf": token}
        )
        assert answer.status_code == 403
    # A token from another browser's sign-in form does not fit this browser's cookie.
    browser.client.cookies.set(
        "hotline_console_login", "x" * 43, domain="testserver.local", path="/console"
    )
    assert attempt(browser, "Dana", PASSWORD) == 303


def test_sign_out_ends_the_session_on_the_server(browser: Browser, people: People) -> None:
    browser.sign_in("Dana")
    token = browser.client.cookies.get("hotline_console")
    assert browser.post("/console/logout").status_code == 303
    assert browser.get("/console/now").status_code == 303
    browser.client.cookies.set(
        "hotline_console", token or "", domain="testserver.local", path="/console"
    )
    assert browser.get("/console/now").status_code == 303, "a copied cookie must not come back"


def test_credential_stuffing_locks_the_account_and_the_real_user_gets_in_after_the_window(
    browser: Browser, people: People, engine: Engine
) -> None:
    for _ in range(5):
        assert attempt(browser, "Vera", "guess number something") == 401
    # Locked: even the right password fails now, with the same words.
    assert attempt(browser, "Vera", PASSWORD) == 401
    with Session(engine) as session:
        vera = session.get(User, people.vera_user)
        assert vera is not None
        assert vera.locked_until is not None
        # The window passes.
        vera.locked_until = datetime.now(UTC) - timedelta(seconds=1)
        session.add(vera)
        session.commit()
    assert attempt(browser, "Vera", PASSWORD) == 303
    # Other accounts were never locked by Vera's attacker.
    browser.client.cookies.clear()
    assert attempt(browser, "Dana", PASSWORD) == 303


def test_many_failures_from_one_address_are_slowed_down(
    browser: Browser, people: People, console_app: FastAPI
) -> None:
    console_app.state.console.limiter.limit = 3
    for name in ("a", "b", "c"):
        assert attempt(browser, name, "stuffed password") == 401
    assert attempt(browser, "Dana", PASSWORD) == 429


def test_lockout_policy_unit(engine: Engine, people: People) -> None:
    policy = console_auth.Policy(failures=2, lockout=timedelta(minutes=10))
    start = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    with Session(engine) as session:
        for minute in range(2):
            result = console_auth.sign_in(
                session=session, name="Omar", password="nope nope nope", policy=policy,
                now=start + timedelta(minutes=minute),
            )  # fmt: skip
            assert result.token is None
        locked = console_auth.sign_in(
            session=session, name="Omar", password=PASSWORD, policy=policy,
            now=start + timedelta(minutes=9),
        )  # fmt: skip
        assert locked.token is None
        after = console_auth.sign_in(
            session=session, name="Omar", password=PASSWORD, policy=policy,
            now=start + timedelta(minutes=12),
        )  # fmt: skip
        assert after.token is not None


def test_sessions_end_when_idle_and_when_too_old(engine: Engine, people: People) -> None:
    policy = console_auth.Policy(session=timedelta(hours=12), idle=timedelta(hours=1))
    start = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    with Session(engine) as session:
        token = console_auth.sign_in(
            session=session, name="Dana", password=PASSWORD, policy=policy, now=start
        ).token
        assert token is not None
        for hours in range(1, 12):
            at = start + timedelta(minutes=55 * hours)
            assert console_auth.resume(session=session, token=token, policy=policy, now=at)
        assert (
            console_auth.resume(
                session=session, token=token, policy=policy, now=start + timedelta(hours=12)
            )
            is None
        )
        idle = console_auth.sign_in(
            session=session, name="Dana", password=PASSWORD, policy=policy, now=start
        ).token
        assert idle is not None
        assert (
            console_auth.resume(
                session=session, token=idle, policy=policy, now=start + timedelta(minutes=61)
            )
            is None
        )


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/console/now",
        "//evil.example/console/now",
        "/\\evil.example",
        "/console/../../evil",
        "javascript:alert(1)",
        "/api/v1/volunteers",
        "http:/console/now",
    ],
)
def test_no_open_redirect_after_sign_in(browser: Browser, people: People, target: str) -> None:
    token = login_form(browser)
    answer = browser.client.post(
        "/console/login",
        data={"name": "Dana", "password": PASSWORD, "csrf": token, "next": target},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/now"


def test_a_console_page_asked_for_is_where_sign_in_leads(browser: Browser, people: People) -> None:
    assert browser.get("/console/calls?day=2026-11-30").headers["location"] == (
        "/console/login?next=/console/calls%3Fday%3D2026-11-30"
    )
    status = attempt(browser, "Dana", PASSWORD, next="/console/calls?day=2026-11-30")
    assert status == 303


@pytest.mark.parametrize("attack", ["missing", "wrong", "other session", "foreign origin"])
def test_csrf_a_forged_form_is_refused_and_changes_nothing(
    browser: Browser, other_browser: Browser, people: People, engine: Engine, attack: str
) -> None:
    browser.sign_in("Dana")
    other_browser.sign_in("Dana")
    form = {"name": "Forged", "phone": "+13125550177", "languages": ["es"], "csrf": browser.csrf}
    headers = {}
    if attack == "missing":
        del form["csrf"]
    elif attack == "wrong":
        form["csrf"] = "f" * 64
    elif attack == "other session":
        form["csrf"] = other_browser.csrf
    else:
        headers["Origin"] = "https://evil.example"
    before = everything(engine)
    for path in ("/console/roster/volunteers", "/console/logout", "/console/language"):
        answer = browser.client.post(path, data=form, headers=headers, follow_redirects=False)
        assert answer.status_code == 403, path
    after = everything(engine)
    assert after == before
    # The same form from the console itself goes through.
    good = browser.post(
        "/console/roster/volunteers", {k: v for k, v in form.items() if k != "csrf"}
    )
    assert good.status_code == 303


def test_a_foreign_referer_without_origin_is_refused(browser: Browser, people: People) -> None:
    browser.sign_in("Dana")
    answer = browser.post(
        "/console/language", {"language": "es"}, headers={"Referer": "https://evil.example/x"}
    )
    assert answer.status_code == 403
