"""The console on the test app: users of both roles, and browsers that sign in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hotline import db
from hotline.app import create_app
from hotline.auth import console as console_auth
from hotline.auth import passwords
from hotline.auth import service as auth_service
from hotline.config import Settings
from hotline.deps import Runtime
from hotline.privacy.pseudonym import Keyring
from hotline.telephony.fake import FakeGateway
from tests.roster.factories import add_volunteer

PASSWORD = "correct horse battery"
BASE_URL = "https://testserver"
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
VERA_NUMBER = "+13125550161"
OMAR_NUMBER = "+13125550162"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id still, at a test's cost: the parameters travel in the hash."""
    cheap = passwords.Hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(passwords, "HASHER", cheap)


@pytest.fixture
def console_app(settings: Settings, engine: Engine, keyring: Keyring) -> FastAPI:
    return create_app(settings, engine=engine, gateway=FakeGateway(), keyring=keyring)


@pytest.fixture
def runtime(console_app: FastAPI) -> Runtime:
    found: Runtime = console_app.state.runtime
    return found


@dataclass(frozen=True)
class People:
    """A coordinator, and two volunteers (Vera and Omar), each with a console user."""

    coordinator_id: int
    vera: int
    omar: int
    vera_user: int
    omar_user: int


def make_user(engine: Engine, name: str, role: str, volunteer_id: int | None = None) -> int:
    with db.transaction(engine) as session:
        user, _ = auth_service.create_user(
            session=session, name=name, role=role, volunteer_id=volunteer_id
        )
        console_auth.set_password(session=session, user=user, password=PASSWORD)
    assert user.id is not None
    return user.id


@pytest.fixture
def people(engine: Engine, runtime: Runtime) -> People:
    with db.transaction(engine) as session:
        vera = add_volunteer(session, runtime.vault, name="Vera", number=VERA_NUMBER)
        omar = add_volunteer(
            session, runtime.vault, name="Omar", number=OMAR_NUMBER, languages=("ar", "fr")
        )
    assert vera.id is not None
    assert omar.id is not None
    return People(
        coordinator_id=make_user(engine, "Dana", "coordinator"),
        vera=vera.id,
        omar=omar.id,
        vera_user=make_user(engine, "Vera", "volunteer", vera.id),
        omar_user=make_user(engine, "Omar", "volunteer", omar.id),
    )


class Browser:
    """A test client that keeps cookies and knows the session's CSRF token."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.csrf = ""

    def sign_in(self, name: str, password: str = PASSWORD) -> Browser:
        page = self.client.get("/console/login")
        token = CSRF.search(page.text)
        assert token is not None
        answer = self.client.post(
            "/console/login",
            data={"name": name, "password": password, "csrf": token.group(1)},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        now = self.client.get("/console/now")
        found = CSRF.search(now.text)
        assert found is not None
        self.csrf = found.group(1)
        return self

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, follow_redirects=False, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        form = {"csrf": self.csrf, **(data or {})}
        return self.client.post(path, data=form, follow_redirects=False, **kwargs)


@pytest.fixture
def browser(console_app: FastAPI) -> Iterator[Browser]:
    with TestClient(console_app, base_url=BASE_URL) as client:
        yield Browser(client)


@pytest.fixture
def other_browser(console_app: FastAPI) -> Iterator[Browser]:
    with TestClient(console_app, base_url=BASE_URL) as client:
        yield Browser(client)
