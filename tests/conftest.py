"""Shared fixtures: settings, a migrated database (SQLite and PostgreSQL), the app."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from hotline import db, migrate
from hotline.app import create_app
from hotline.config import Settings
from hotline.models import metadata
from hotline.privacy.pseudonym import Keyring
from hotline.simulator.standin import StandinRecord, create_standin
from hotline.telephony.fake import FakeGateway
from tests.support import ACCOUNT_SID, PUBLIC_URL, TOKEN, served

POSTGRES_URL = os.environ.get("HOTLINE_TEST_POSTGRES_URL", "")
IN_CI = os.environ.get("CI") == "true"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if POSTGRES_URL:
        return
    if IN_CI and any(item.get_closest_marker("postgres") for item in items):
        raise pytest.UsageError(
            "CI must run the PostgreSQL tests: HOTLINE_TEST_POSTGRES_URL is not set"
        )
    skip = pytest.mark.skip(reason="HOTLINE_TEST_POSTGRES_URL is not set")
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file built by the migrations once, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "hotline.db"
    engine = db.make_engine(f"sqlite:///{path}")
    migrate.upgrade(f"sqlite:///{path}", engine)
    with engine.connect() as connection:
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    """A database of this test worker's own on the PostgreSQL server, migrated once."""
    admin = db.make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    name = f"hotline_test_{_worker()}_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    engine = db.make_engine(url)
    migrate.upgrade(url, engine)
    yield engine
    engine.dispose()
    _drop_database(admin, name)
    admin.dispose()


def _drop_database(admin: Engine, name: str) -> None:
    """Drop a worker's database. An autovacuum worker of the server's own role may be in
    it, which this role may not end: wait for it a few times, then leave the database."""
    for attempt in range(10):
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except ProgrammingError:
            time.sleep(0.2 * (attempt + 1))


@pytest.fixture(params=BACKENDS)
def engine(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Engine]:
    """A migrated, empty database: a fresh SQLite file, or the worker's PostgreSQL one."""
    if request.param == "sqlite":
        path = tmp_path / "hotline.db"
        shutil.copy(sqlite_template, path)
        engine = db.make_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
        return
    engine = request.getfixturevalue("postgres_engine")
    yield engine
    # The recorder commits from its own connections, so a rolled-back test transaction
    # would not isolate tests; emptying the tables does.
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        public_url=PUBLIC_URL,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=TOKEN,
        secret_key="k" * 40,
        backup_number="+13125550111",
        twilio_api_url="http://127.0.0.1:9/unused",
        # Tests drive the dispatcher themselves, one batch at a time.
        dispatch_in_web=False,
        # A loaded test machine must not send texts down the database-outage path; the
        # outage tests set a short deadline of their own.
        database_deadline_ms=5000,
        sms_rate_per_second=None,
    )


@pytest.fixture(scope="session")
def standin() -> Iterator[tuple[str, StandinRecord]]:
    """The local stand-in for Twilio's REST API, on a real socket for the real SDK."""
    app = create_standin(account_sid=ACCOUNT_SID, auth_token=TOKEN)
    with served(app) as url:
        yield url, app.state.standin


@pytest.fixture
def standin_record(standin: tuple[str, StandinRecord]) -> StandinRecord:
    standin[1].clear()
    return standin[1]


@pytest.fixture
def keyring() -> Keyring:
    return Keyring(base_epoch=0, base_key=b"\x01" * 32, epoch_days=30)


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def app(settings: Settings, engine: Engine, gateway: FakeGateway, keyring: Keyring) -> FastAPI:
    return create_app(settings, engine=engine, gateway=gateway, keyring=keyring)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client
