"""The roster API on the test app, and users to call it with."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hotline import db
from hotline.app import create_app
from hotline.auth import service as auth_service
from hotline.config import Settings
from hotline.deps import Runtime
from hotline.privacy.pseudonym import Keyring
from hotline.telephony.fake import FakeGateway
from tests.roster.factories import add_volunteer


@pytest.fixture
def api(settings: Settings, engine: Engine, gateway: FakeGateway, keyring: Keyring) -> FastAPI:
    return create_app(settings, engine=engine, gateway=gateway, keyring=keyring)


@pytest.fixture
def runtime(api: FastAPI) -> Runtime:
    found: Runtime = api.state.runtime
    return found


@pytest.fixture
def http(api: FastAPI) -> Iterator[TestClient]:
    with TestClient(api, base_url="http://testserver") as test_client:
        yield test_client


@dataclass(frozen=True)
class Users:
    """Headers for a coordinator, and for a volunteer user linked to volunteer `own_id`."""

    coordinator: dict[str, str]
    volunteer: dict[str, str]
    own_id: int
    coordinator_id: int
    volunteer_user_id: int


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def users(engine: Engine, runtime: Runtime) -> Users:
    with db.transaction(engine) as session:
        own = add_volunteer(session, runtime.vault, name="Vera", number="+13125550161")
        assert own.id is not None
        boss, boss_token = auth_service.create_user(
            session=session, name="Coordinator", role="coordinator"
        )
        helper, helper_token = auth_service.create_user(
            session=session, name="Vera", role="volunteer", volunteer_id=own.id
        )
    assert boss.id is not None
    assert helper.id is not None
    return Users(
        coordinator=bearer(boss_token),
        volunteer=bearer(helper_token),
        own_id=own.id,
        coordinator_id=boss.id,
        volunteer_user_id=helper.id,
    )
