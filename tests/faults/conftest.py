"""Fixtures of the fault tests: a PostgreSQL server of the module's own, a stand-in for
Twilio's REST API, and a deployment of real `hotline` processes on loopback ports.

These are PostgreSQL tests (each module is marked so): without HOTLINE_TEST_POSTGRES_URL
they are skipped like the others (and CI refuses to run without it); with it, missing
PostgreSQL server programs fail them, never skip them.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from hotline import db
from hotline.models import OutboxMessage
from hotline.privacy.pseudonym import Keyring, load_keyring
from hotline.privacy.vault import Vault
from tests.faults import traffic
from tests.faults.postgres import Cluster, PostgresMissing
from tests.faults.services import Ports, Service
from tests.faults.twilio import Ledger, fake_twilio

SECRET_KEY = "faults-" + "s" * 40
EPOCH_DAYS = 30
OPEN = ("pending", "sending")


@pytest.fixture(scope="module")
def ports() -> Iterator[Ports]:
    held = Ports()
    yield held
    held.release()


@pytest.fixture(scope="module")
def cluster(ports: Ports) -> Iterator[Cluster]:
    """A PostgreSQL server for this module alone, with a migrated template database."""
    try:
        server = Cluster(ports.take())
    except PostgresMissing as missing:
        pytest.fail(f"the fault tests need the PostgreSQL server programs: {missing}")
    try:
        server.init()
        yield server
    finally:
        server.destroy()


class Deployment:
    """One hotline deployment: its database, its keys, its processes, Twilio's API."""

    def __init__(
        self, *, cluster: Cluster, root: Path, ports: Ports, twilio_url: str, twilio: Ledger
    ) -> None:
        self.cluster = cluster
        self.database_url = cluster.new_database()
        self.root = root
        self.twilio = twilio
        self._twilio_url = twilio_url
        self._ports = ports
        self._key_file = root / "keys" / "pseudonym.json"
        self.keyring: Keyring = load_keyring(self._key_file, epoch_days=EPOCH_DAYS, create=True)
        self.vault = Vault(SECRET_KEY.encode())
        self.engine: Engine = db.make_engine(self.database_url)
        self.services: list[Service] = []
        self.phones: list[traffic.Phone] = []

    def environment(self, data_dir: Path, **settings: str) -> dict[str, str]:
        """A production start's settings, nothing of the developer's own."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "TWILIO_"))}
        env.update(
            TWILIO_ACCOUNT_SID=traffic.ACCOUNT_SID,
            TWILIO_AUTH_TOKEN=traffic.TOKEN,
            HOTLINE_PUBLIC_URL=traffic.PUBLIC_URL,
            HOTLINE_SECRET_KEY=SECRET_KEY,
            HOTLINE_BACKUP_NUMBER=traffic.BACKUP,
            HOTLINE_DATABASE_URL=self.database_url,
            HOTLINE_TWILIO_API_URL=self._twilio_url,
            HOTLINE_DATA_DIR=str(data_dir),
            HOTLINE_SMS_RATE_PER_SECOND="off",
            HOTLINE_DATABASE_DEADLINE_MS="500",
            # A process the test finds stuck prints every thread's stack (dump_threads).
            PYTHONFAULTHANDLER="1",
        )
        env.update({f"HOTLINE_{name.upper()}": value for name, value in settings.items()})
        return env

    def _data_dir(self, name: str) -> Path:
        """A data folder of the process's own, holding the deployment's key file."""
        data = self.root / name
        (data / "keys").mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copy2(self._key_file, data / "keys" / "pseudonym.json")
        return data

    def serve(self, name: str = "web", **settings: str) -> Service:
        port = self._ports.take()
        env = self.environment(self._data_dir(name), **settings)
        command = ["serve", "--host", "127.0.0.1", "--port", str(port)]
        service = Service(name, command, env, self.root / "logs", port)
        self.services.append(service)
        return service.start()

    def worker(self, name: str = "worker", **settings: str) -> Service:
        env = self.environment(self._data_dir(name), **settings)
        service = Service(name, ["worker"], env, self.root / "logs", None)
        self.services.append(service)
        return service.start()

    def phone(self, service: Service) -> traffic.Phone:
        phone = traffic.Phone(service.url)
        self.phones.append(phone)
        return phone

    @staticmethod
    def ready(service: Service) -> bool:
        """/readyz of a web process says ready, with nothing left in its spool."""
        answer = httpx.get(f"{service.url}/readyz", timeout=5)
        return answer.status_code == 200 and answer.json()["spooled"] == 0

    def logs(self) -> str:
        return "\n".join(service.output() for service in self.services)

    def session(self) -> Session:
        return Session(self.engine)

    def unfinished(self) -> int:
        """Outbox rows still waiting to be sent, or being sent."""
        with self.session() as session:
            query = select(func.count()).where(col(OutboxMessage.status).in_(OPEN))
            return int(session.exec(query).one())

    def describe(self) -> str:
        """The outbox by status, the database's busy sessions, and what each web process
        says of itself: what a test that waited in vain prints."""
        try:
            with self.engine.connect() as connection:
                rows = connection.execute(
                    text("SELECT status, count(*) FROM outbox_message GROUP BY status")
                ).all()
                busy = connection.execute(
                    text(
                        "SELECT state, wait_event_type, wait_event, left(query, 200) "
                        "FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid() AND state <> 'idle'"
                    )
                ).all()
            database = f"outbox {dict(tuple(row) for row in rows)}, busy {list(map(tuple, busy))}"
        except SQLAlchemyError as error:
            database = f"the database does not answer ({type(error).__name__})"
        ready = {}
        for service in self.services:
            if service.port is not None:
                try:
                    ready[service.name] = httpx.get(f"{service.url}/readyz", timeout=5).json()
                except httpx.HTTPError as error:
                    ready[service.name] = repr(error)
        return f"{database}; readiness {ready}"

    def wait_for(self, what: str, done: Callable[[], bool], *, seconds: float) -> float:
        """Wait until `done()`; how long it took. Fails naming `what` after `seconds`."""
        started = time.monotonic()
        while not done():
            if time.monotonic() - started > seconds:
                state = self.describe()
                for service in self.services:
                    service.dump_threads()
                raise AssertionError(
                    f"{what}: not within {seconds} s; {state}\n{self.logs()[-6000:]}"
                )
            time.sleep(0.1)
        return time.monotonic() - started

    def close(self) -> None:
        for phone in self.phones:
            phone.close()
        for service in self.services:
            service.kill()
        self.engine.dispose()
        if not self.cluster.running():
            self.cluster.start()
        self.cluster.drop(self.database_url)


@contextmanager
def deployed(cluster: Cluster, ports: Ports, root: Path) -> Iterator[Deployment]:
    """A new database on `cluster` and a stand-in for Twilio; whatever processes the
    test starts are killed afterwards, and the database dropped."""
    with fake_twilio(account_sid=traffic.ACCOUNT_SID, auth_token=traffic.TOKEN) as (url, ledger):
        deployment = Deployment(
            cluster=cluster, root=root, ports=ports, twilio_url=url, twilio=ledger
        )
        try:
            yield deployment
        finally:
            deployment.close()


@pytest.fixture
def deployment(cluster: Cluster, ports: Ports, tmp_path: Path) -> Iterator[Deployment]:
    """A deployment for one test."""
    with deployed(cluster, ports, tmp_path) as made:
        yield made


@pytest.fixture(scope="module")
def shared_deployment(
    cluster: Cluster, ports: Ports, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    """A deployment the tests of a module share (each with callers of its own)."""
    with deployed(cluster, ports, tmp_path_factory.mktemp("deployment")) as made:
        yield made


def count(deployment: Deployment, statement: str, **params: Any) -> int:
    """The one number `statement` selects, read from the deployment's database."""
    with deployment.engine.connect() as connection:
        return int(connection.execute(text(statement), params).scalar_one())
