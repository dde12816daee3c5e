"""Benchmark: how fast the outbox dispatcher drains, unpaced and at a sender's pace.

Starts the Twilio stand-in in a process of its own (uvicorn on 127.0.0.1), fills an
outbox with sealed texts, lets one or two dispatcher processes send them through the
real TwilioGateway, checks every message arrived exactly once, and prints messages per
second, then the pace achieved against the configured one. Run it with
`.venv/bin/python bench/outbox_drain.py` (see bench/README.md). It is a report, not a test.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import multiprocessing
import os
import platform
import queue
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnContext, SpawnProcess
from multiprocessing.synchronize import Event
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import uvicorn
from sqlalchemy import func, or_, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hotline.db import make_engine
from hotline.logging import redact
from hotline.migrate import upgrade
from hotline.models import OutboxMessage
from hotline.outbox.dispatcher import Dispatcher, DispatchSettings
from hotline.outbox.service import Enqueue, texts
from hotline.privacy.pseudonym import Keyring, epoch_of
from hotline.privacy.vault import Vault
from hotline.simulator.standin import StandinRecord, create_standin
from hotline.telephony.gateway import Gateway, Sent
from hotline.telephony.twilio_gateway import TwilioGateway

if __package__ in (None, ""):  # run as a script: make the bench package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_MISS,
    HOST,
    REPO,
    BenchError,
    Target,
    add_output_options,
    bounded,
    print_targets,
    progress,
    rerun_line,
    write_document,
)

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
POSTGRES_SCRIPT = REPO / "scripts" / "postgres-for-tests"

# The stand-in's own paths, outside Twilio's /2010-04-01 tree.
RECORD_PATH = "/_bench/record"
RESET_PATH = "/_bench/reset"

# Fictional numbers only: one sender, recipients +1312555xxxx.
SENDER = "+13125550100"
RECIPIENT_PREFIX = "+1312555"
# Never called: the stand-in only notes it, as Twilio would before calling back.
STATUS_CALLBACK = "http://127.0.0.1:9/twilio/sms/status"
EXPIRES_IN = timedelta(hours=1)
ENQUEUE_CHUNK = 500
EPOCH_DAYS = 30
BATCH = DispatchSettings().batch

START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
SCRIPT_TIMEOUT_SECONDS = 60.0
REPORT_GRACE_SECONDS = 30.0
IDLE_SECONDS = 0.002
# A drain is abandoned once it has taken longer than this floor rate allows.
SLOWEST_UNPACED_PER_SECOND = 20.0
PACED_SLACK = 1.5
MAX_MESSAGES = 20_000
MAX_PACED_MESSAGES = 2_000
MAX_PACED_SECONDS = 300.0

# The project's targets for a paced sender.
TARGET_SHORTFALL = 0.05
JITTER_ALLOWANCE = 0.01

QUIET_LOGGERS = ("hotline", "twilio", "uvicorn", "sqlalchemy", "alembic", "httpx", "httpcore")


class WorkerFailure(Exception):
    """A dispatcher process failed or did not report in time."""


# --- cases and results ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Case:
    """One drain: a backend, a number of dispatcher processes, messages, a pace or none."""

    key: str
    backend: str
    workers: int
    messages: int
    rate: float | None

    @property
    def label(self) -> str:
        plural = "s" if self.workers > 1 else ""
        return f"{self.backend}, {self.workers} dispatcher{plural}"

    @property
    def limit_seconds(self) -> float:
        if self.rate is None:
            return REPORT_GRACE_SECONDS + self.messages / SLOWEST_UNPACED_PER_SECOND
        return REPORT_GRACE_SECONDS + PACED_SLACK * self.messages / self.rate


@dataclass(slots=True)
class CaseResult:
    """What one drain measured, and what its checks found wrong."""

    case: Case
    seconds: float | None = None
    per_worker: list[int] = field(default_factory=list)
    gateway_errors: int = 0
    refused: int = 0
    arrivals: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        """Messages a second from the start signal to the last row sent."""
        if self.seconds is None or self.seconds <= 0:
            return None
        return self.case.messages / self.seconds

    @property
    def span(self) -> float | None:
        """Seconds from the first message the stand-in got to the last."""
        return self.arrivals[-1] - self.arrivals[0] if len(self.arrivals) > 1 else None

    @property
    def achieved(self) -> float | None:
        """Pace seen by the stand-in: (count - 1) / (last - first)."""
        span = self.span
        return (len(self.arrivals) - 1) / span if span else None

    @property
    def window(self) -> int:
        """Intervals in the sliding window: R + 1 consecutive messages span R of them."""
        return pace_window(self.case.rate or 1.0)

    @property
    def fastest_window(self) -> float | None:
        """The highest pace over any `window` + 1 consecutive messages (or all of them)."""
        times = self.arrivals
        if len(times) < 2:
            return None
        k = min(self.window, len(times) - 1)
        fastest = 0.0
        for start in range(len(times) - k):
            gap = times[start + k] - times[start]
            fastest = max(fastest, k / gap if gap > 0 else math.inf)
        return fastest


def pace_window(rate: float) -> int:
    return max(1, round(rate))


@dataclass(frozen=True, slots=True)
class WorkerJob:
    """Everything a dispatcher process needs; it builds its own engine and gateway."""

    index: int
    database_url: str
    api_url: str
    account_sid: str
    auth_token: str
    vault_secret: bytes
    rate: float | None
    limit_seconds: float


def build_cases(args: argparse.Namespace) -> list[Case]:
    n, paced, rate = args.messages, args.paced_messages, args.rate
    with_postgres = not args.skip_postgres
    cases = [Case("sqlite-unpaced", "sqlite", 1, n, None)]
    if with_postgres:
        cases.append(Case("postgres-unpaced", "postgres", 1, n, None))
        cases.append(Case("postgres-unpaced-2", "postgres", 2, n, None))
    cases.append(Case("sqlite-paced", "sqlite", 1, paced, rate))
    if with_postgres:
        cases.append(Case("postgres-paced-2", "postgres", 2, paced, rate))
    return cases


# --- logging -------------------------------------------------------------------------------


def quiet_logs() -> None:
    """WARNING and above only, so the output stays readable (no numbers are logged)."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


# --- the stand-in, in its own process ------------------------------------------------------


class Recorder:
    """The stand-in app, noting when each message request arrives (time.time()).

    The stand-in's own `date_created` has whole seconds only. The notes, the recorded
    messages and a reset are served at private paths outside Twilio's.
    """

    def __init__(self, app: ASGIApp, record: StandinRecord) -> None:
        self.app = app
        self.record = record
        self.arrivals: list[float] = []
        self.refused = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        if path == RECORD_PATH and method == "GET":
            await _json_reply(send, self.snapshot())
            return
        if path == RESET_PATH and method == "POST":
            self.record.clear()
            self.arrivals.clear()
            self.refused = 0
            await _json_reply(send, {"reset": True})
            return
        if method != "POST" or not path.endswith("/Messages.json"):
            await self.app(scope, receive, send)
            return
        arrived = time.time()

        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start":
                if message["status"] == 201:
                    self.arrivals.append(arrived)
                else:
                    self.refused += 1
            await send(message)

        await self.app(scope, receive, noting)

    def snapshot(self) -> dict[str, Any]:
        with self.record.lock:
            messages = [
                {"to": m["to"], "from": m["from"], "body": m["body"]} for m in self.record.messages
            ]
        return {"arrivals": sorted(self.arrivals), "refused": self.refused, "messages": messages}


async def _json_reply(send: Send, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def serve_standin(account_sid: str, auth_token: str, port_out: Connection, parent: int) -> None:
    """The stand-in process: uvicorn on a free loopback port, sent back through `port_out`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    quiet_logs()
    app = create_standin(account_sid=account_sid, auth_token=auth_token)
    recorder = Recorder(app, app.state.standin)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((HOST, 0))
    listener.listen(1024)
    port_out.send(listener.getsockname()[1])
    port_out.close()
    config = uvicorn.Config(
        recorder,
        lifespan="off",
        log_config=None,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)

    def orphaned() -> None:
        # Should the benchmark die without stopping us, we stop ourselves.
        while not server.should_exit:
            if os.getppid() != parent:
                server.should_exit = True
            time.sleep(1)

    threading.Thread(target=orphaned, daemon=True).start()
    server.run(sockets=[listener])


@dataclass
class Standin:
    """The running stand-in process and a client for its private paths."""

    url: str
    process: SpawnProcess
    client: httpx.Client

    def reset(self) -> None:
        self.client.post(self.url + RESET_PATH).raise_for_status()

    def snapshot(self) -> dict[str, Any]:
        reply = self.client.get(self.url + RECORD_PATH)
        reply.raise_for_status()
        document: dict[str, Any] = reply.json()
        return document


@contextmanager
def standin_server(ctx: SpawnContext, account_sid: str, auth_token: str) -> Iterator[Standin]:
    """The stand-in, ready; its process stopped on the way out, whatever happens."""
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(
        target=serve_standin,
        args=(account_sid, auth_token, sender, os.getpid()),
        name="twilio-standin",
        daemon=True,
    )
    process.start()
    sender.close()
    client = httpx.Client(timeout=10)
    try:
        if not receiver.poll(START_TIMEOUT_SECONDS):
            raise BenchError(f"the stand-in did not start within {START_TIMEOUT_SECONDS:.0f} s")
        try:
            port = int(receiver.recv())
        except EOFError:
            raise BenchError(f"the stand-in exited (status {process.exitcode})") from None
        standin = Standin(url=f"http://{HOST}:{port}", process=process, client=client)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                standin.snapshot()
                break
            except httpx.HTTPError as error:
                if not process.is_alive() or time.monotonic() > deadline:
                    raise BenchError(f"the stand-in does not answer: {error}") from None
                time.sleep(0.1)
        yield standin
    finally:
        client.close()
        receiver.close()
        stop_process(process)


def stop_process(process: SpawnProcess) -> None:
    if process.is_alive():
        process.terminate()
        process.join(STOP_TIMEOUT_SECONDS)
    if process.is_alive():
        process.kill()
    process.join(STOP_TIMEOUT_SECONDS)


# --- databases -----------------------------------------------------------------------------


def check_loopback(url: str) -> None:
    host = make_url(url).host
    if host is not None and host not in LOOPBACK_HOSTS:
        raise BenchError("the PostgreSQL server must be on a loopback address")


def find_postgres(args: argparse.Namespace) -> str:
    """--postgres-url, else HOTLINE_TEST_POSTGRES_URL, else scripts/postgres-for-tests."""
    url: str = args.postgres_url or os.environ.get("HOTLINE_TEST_POSTGRES_URL", "")
    if not url and POSTGRES_SCRIPT.exists():
        progress("asking scripts/postgres-for-tests for a PostgreSQL server")
        try:
            done = subprocess.run(
                [str(POSTGRES_SCRIPT)],
                capture_output=True,
                text=True,
                timeout=SCRIPT_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise BenchError("scripts/postgres-for-tests did not finish in time") from None
        url = done.stdout.strip()
    if not url:
        raise BenchError(
            "no PostgreSQL server: pass --postgres-url, set HOTLINE_TEST_POSTGRES_URL, "
            "run as root so scripts/postgres-for-tests can start one, or use --skip-postgres"
        )
    check_loopback(url)
    return url


@dataclass(frozen=True, slots=True)
class Postgres:
    url: str
    version: str


@contextmanager
def temporary_postgres(admin_url: str) -> Iterator[Postgres]:
    """A fresh, migrated database on the server, dropped on the way out."""
    admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    name = f"hotline_bench_{os.getpid()}_{secrets.token_hex(4)}"
    created = False
    try:
        with admin.connect() as connection:
            version = str(connection.execute(text("SHOW server_version")).scalar_one())
            connection.execute(text(f'CREATE DATABASE "{name}"'))
            created = True
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        engine = make_engine(url)
        try:
            upgrade(url, engine)
        finally:
            engine.dispose()
        yield Postgres(url=url, version=version)
    finally:
        if created:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fresh_sqlite(workdir: Path, name: str) -> str:
    url = f"sqlite:///{workdir / name}.db"
    engine = make_engine(url)
    try:
        upgrade(url, engine)
    finally:
        engine.dispose()
    return url


def empty_postgres(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("TRUNCATE outbox_message, sender_pace RESTART IDENTITY"))
    finally:
        engine.dispose()


def enqueue(url: str, case: Case, vault: Vault, keyring: Keyring) -> dict[str, str]:
    """Put the case's messages in the outbox, sealed. Returns each body's recipient."""
    now = datetime.now(UTC) - timedelta(seconds=1)
    expected: dict[str, str] = {}
    rows: list[OutboxMessage] = []
    for number in range(case.messages):
        recipient = f"{RECIPIENT_PREFIX}{number % 10_000:04d}"
        body = f"Hotline bench {case.key}, message {number:05d}."
        write = texts(
            vault=vault,
            keyring=keyring,
            sender=SENDER,
            recipient=recipient,
            parts=[body],
            purpose="bench",
            language="en",
            key=f"bench-{case.key}-{number:05d}",
            now=now,
            expires_in=EXPIRES_IN,
        )
        rows.extend(write.messages)
        expected[body] = recipient
    engine = make_engine(url)
    try:
        for start in range(0, len(rows), ENQUEUE_CHUNK):
            with Session(engine) as session:
                Enqueue(tuple(rows[start : start + ENQUEUE_CHUNK])).apply(session)
                session.commit()
        if case.backend == "postgres":
            with engine.begin() as connection:
                connection.execute(text("ANALYZE outbox_message"))
    finally:
        engine.dispose()
    return expected


# --- dispatcher processes ------------------------------------------------------------------


class CountingGateway:
    """The real gateway, counting what it sent and what failed."""

    def __init__(self, inner: Gateway) -> None:
        self._inner = inner
        self.sent = 0
        self.errors = 0

    def send_message(
        self, *, to: str, from_: str, body: str, status_callback: str | None = None
    ) -> Sent:
        try:
            sent = self._inner.send_message(
                to=to, from_=from_, body=body, status_callback=status_callback
            )
        except Exception:
            self.errors += 1
            raise
        self.sent += 1
        return sent

    def create_call(
        self, *, to: str, from_: str, url: str, status_callback: str | None = None
    ) -> Sent:
        return self._inner.create_call(to=to, from_=from_, url=url, status_callback=status_callback)


def pending_rows(engine: Engine) -> int:
    with Session(engine) as session:
        query = select(func.count()).where(col(OutboxMessage.status) == "pending")
        return int(session.exec(query).one())


def drain(
    dispatcher: Dispatcher, engine: Engine, gateway: CountingGateway, limit: float
) -> dict[str, Any]:
    """run_once() until no row is pending; bounded by `limit` seconds."""
    deadline = time.monotonic() + limit
    last_sent: float | None = None
    while time.monotonic() < deadline:
        if dispatcher.run_once():
            last_sent = time.time()
            continue
        # Nothing claimed: done, unless another dispatcher's claim had the rows locked
        # for a moment or a retry is not due yet.
        if pending_rows(engine) == 0:
            break
        time.sleep(IDLE_SECONDS)
    else:
        raise WorkerFailure(f"rows still pending after {limit:.0f} s")
    return {"sent": gateway.sent, "errors": gateway.errors, "last_sent": last_sent}


def drain_worker(job: WorkerJob, go: Event, results: Any) -> None:
    """A dispatcher process: set up, say ready, wait for the start, drain, report."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    quiet_logs()
    try:
        engine = make_engine(job.database_url)
        gateway = CountingGateway(
            TwilioGateway(
                account_sid=job.account_sid, auth_token=job.auth_token, api_url=job.api_url
            )
        )
        dispatcher = Dispatcher(
            engine=engine,
            gateway=gateway,
            vault=Vault(job.vault_secret),
            # Pseudonyms only look up opt-outs and daily caps here: any key will do.
            keyring=Keyring(base_epoch=0, base_key=secrets.token_bytes(32), epoch_days=EPOCH_DAYS),
            settings=DispatchSettings(rate_per_second=job.rate, status_callback=STATUS_CALLBACK),
        )
        pending_rows(engine)  # connects, so the timed drain does not pay for it
    except Exception as error:
        results.put(("error", job.index, f"setup: {describe(error)}"))
        return
    results.put(("ready", job.index, None))
    if not go.wait(START_TIMEOUT_SECONDS + REPORT_GRACE_SECONDS):
        engine.dispose()
        return
    try:
        outcome = drain(dispatcher, engine, gateway, job.limit_seconds)
    except Exception as error:
        results.put(("error", job.index, describe(error)))
        return
    finally:
        engine.dispose()
    results.put(("done", job.index, outcome))


def describe(error: BaseException) -> str:
    first = str(error).splitlines()[0] if str(error) else ""
    return redact(f"{type(error).__name__}: {first}")


def collect(
    results: Any, processes: list[SpawnProcess], kind: str, timeout: float
) -> dict[int, Any]:
    """One `kind` report from every process, or WorkerFailure."""
    got: dict[int, Any] = {}
    deadline = time.monotonic() + timeout
    silent_dead = 0
    while len(got) < len(processes):
        if time.monotonic() > deadline:
            raise WorkerFailure(f"dispatchers did not report '{kind}' within {timeout:.0f} s")
        try:
            what, index, payload = results.get(timeout=0.5)
        except queue.Empty:
            dead = [i for i, p in enumerate(processes) if i not in got and not p.is_alive()]
            silent_dead = silent_dead + 1 if dead else 0
            # A report can still be in the pipe just after its sender exits: wait a little.
            if silent_dead > 4:
                codes = ", ".join(str(processes[i].exitcode) for i in dead)
                raise WorkerFailure(
                    f"a dispatcher exited without reporting (status {codes})"
                ) from None
            continue
        if what == "error":
            raise WorkerFailure(f"dispatcher {index + 1}: {payload}")
        if what == kind:
            got[index] = payload
    return got


def run_drain(
    ctx: SpawnContext, case: Case, url: str, standin: Standin, credentials: dict[str, Any]
) -> tuple[float, dict[int, Any]]:
    """Start the case's dispatcher processes together; the start time and their reports."""
    go = ctx.Event()
    results = ctx.Queue()
    processes = [
        ctx.Process(
            target=drain_worker,
            args=(
                WorkerJob(
                    index=index,
                    database_url=url,
                    api_url=standin.url,
                    rate=case.rate,
                    limit_seconds=case.limit_seconds,
                    **credentials,
                ),
                go,
                results,
            ),
            name=f"dispatcher-{index + 1}",
            daemon=True,
        )
        for index in range(case.workers)
    ]
    try:
        for process in processes:
            process.start()
        collect(results, processes, "ready", START_TIMEOUT_SECONDS)
        started = time.time()
        go.set()
        reports = collect(results, processes, "done", case.limit_seconds + REPORT_GRACE_SECONDS)
        return started, reports
    finally:
        for process in processes:
            stop_process(process)
        results.close()
        results.join_thread()


# --- checks --------------------------------------------------------------------------------


def check_outbox(url: str, case: Case) -> list[str]:
    """Every row sent ("queued") and emptied of its sealed number and body."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            statuses = dict(
                session.exec(
                    select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))
                ).all()
            )
            still_sealed = session.exec(
                select(func.count()).where(
                    or_(
                        col(OutboxMessage.recipient_sealed).is_not(None),
                        col(OutboxMessage.body_sealed).is_not(None),
                    )
                )
            ).one()
    finally:
        engine.dispose()
    problems = []
    total = sum(statuses.values())
    if total != case.messages:
        problems.append(f"{total} rows in the outbox, {case.messages} enqueued")
    others = {status: count for status, count in statuses.items() if status != "queued"}
    if others:
        listed = ", ".join(f"{count} {status}" for status, count in sorted(others.items()))
        problems.append(f"rows not sent: {listed}")
    if still_sealed:
        problems.append(f"{still_sealed} rows still hold a sealed number or body")
    return problems


def check_standin(snapshot: dict[str, Any], expected: dict[str, str]) -> list[str]:
    """Exactly the enqueued messages, once each, to their own recipient, from the sender."""
    messages: list[dict[str, str]] = snapshot["messages"]
    bodies = [m["body"] for m in messages]
    unique = set(bodies)
    problems = []
    if len(bodies) != len(expected):
        problems.append(f"the stand-in got {len(bodies)} messages, {len(expected)} enqueued")
    if len(unique) != len(bodies):
        problems.append(f"{len(bodies) - len(unique)} duplicate messages")
    if missing := len(set(expected) - unique):
        problems.append(f"{missing} messages lost")
    if unknown := len(unique - set(expected)):
        problems.append(f"{unknown} messages never enqueued")
    misaddressed = sum(1 for m in messages if expected.get(m["body"], m["to"]) != m["to"])
    if misaddressed:
        problems.append(f"{misaddressed} messages to the wrong recipient")
    if wrong_sender := sum(1 for m in messages if m["from"] != SENDER):
        problems.append(f"{wrong_sender} messages from the wrong sender")
    return problems


# --- the run -------------------------------------------------------------------------------


def measure(
    args: argparse.Namespace, postgres_url: str | None, versions: dict[str, str]
) -> list[CaseResult]:
    ctx = multiprocessing.get_context("spawn")
    account_sid = "AC" + secrets.token_hex(16)
    auth_token = secrets.token_hex(16)
    vault_secret = secrets.token_bytes(32)
    vault = Vault(vault_secret)
    now = datetime.now(UTC)
    keyring = Keyring(
        base_epoch=epoch_of(now, epoch_days=EPOCH_DAYS),
        base_key=secrets.token_bytes(32),
        epoch_days=EPOCH_DAYS,
    )
    worker_secrets = {
        "account_sid": account_sid,
        "auth_token": auth_token,
        "vault_secret": vault_secret,
    }
    results: list[CaseResult] = []
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hotline-bench-")))
        progress("starting the Twilio stand-in")
        standin = stack.enter_context(standin_server(ctx, account_sid, auth_token))
        postgres: Postgres | None = None
        if postgres_url is not None:
            progress("creating a temporary PostgreSQL database")
            postgres = stack.enter_context(temporary_postgres(postgres_url))
            versions["postgres"] = postgres.version
        for case in build_cases(args):
            if case.backend == "sqlite":
                url = fresh_sqlite(workdir, case.key)
            else:
                assert postgres is not None
                url = postgres.url
                empty_postgres(url)
            result = CaseResult(case)
            results.append(result)
            progress(f"{case.label}: enqueueing {case.messages} messages")
            expected = enqueue(url, case, vault, keyring)
            standin.reset()
            pace = f"at {case.rate:g}/s" if case.rate else "unpaced"
            progress(f"{case.label}: draining {pace}")
            try:
                started, reports = run_drain(ctx, case, url, standin, worker_secrets)
            except WorkerFailure as error:
                result.problems.append(str(error))
                continue
            ends = [r["last_sent"] for r in reports.values() if r["last_sent"] is not None]
            result.seconds = max(ends) - started if ends else None
            result.per_worker = [reports[i]["sent"] for i in sorted(reports)]
            result.gateway_errors = sum(r["errors"] for r in reports.values())
            snapshot = standin.snapshot()
            result.arrivals = list(snapshot["arrivals"])
            result.refused = int(snapshot["refused"])
            result.problems += check_outbox(url, case)
            result.problems += check_standin(snapshot, expected)
    return results


# --- the report ----------------------------------------------------------------------------


def targets(results: list[CaseResult], rate: float) -> list[Target]:
    checked = []
    ceiling = rate * (1 + JITTER_ALLOWANCE)
    for result in results:
        if result.case.rate is None:
            continue
        name = result.case.label
        achieved, fastest = result.achieved, result.fastest_window
        met = achieved is not None and rate * (1 - TARGET_SHORTFALL) <= achieved <= ceiling
        checked.append(
            Target(
                f"{name}: achieved within {TARGET_SHORTFALL:.0%} of {rate:g}/s, not above "
                f"(+{JITTER_ALLOWANCE:.0%} jitter)",
                met,
                _figure(achieved, "/s"),
            )
        )
        checked.append(
            Target(
                f"{name}: fastest {result.window + 1} in a row <= {rate:g}/s "
                f"+{JITTER_ALLOWANCE:.0%}",
                fastest is not None and fastest <= ceiling,
                _figure(fastest, "/s"),
            )
        )
    return checked


def _figure(value: float | None, unit: str = "", digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}{unit}"


def rerun_command(args: argparse.Namespace) -> str:
    options = [
        "--messages",
        str(args.messages),
        "--paced-messages",
        str(args.paced_messages),
        "--rate",
        f"{args.rate:g}",
    ]
    if args.skip_postgres:
        options.append("--skip-postgres")
    return rerun_line("outbox_drain.py", options, args)


def report(
    args: argparse.Namespace, results: list[CaseResult], versions: dict[str, str]
) -> list[Target]:
    unpaced = [r for r in results if r.case.rate is None]
    paced = [r for r in results if r.case.rate is not None]
    backends = ", ".join(f"{name} {version}" for name, version in versions.items())
    print()
    print(
        f"outbox drain: TwilioGateway -> Twilio stand-in (own uvicorn process, {HOST}), "
        f"batch {BATCH}, {os.cpu_count()} CPUs; {backends}"
    )
    print(f"unpaced (rate_per_second=None), {args.messages} messages per case")
    print(f"{'case':26} {'seconds':>8} {'msg/s':>9}  {'check':6} per dispatcher")
    for result in unpaced:
        print(
            f"{result.case.label:26} {_figure(result.seconds):>8} "
            f"{_figure(result.rate, digits=1):>9}  {_check(result):6} "
            f"{' '.join(str(n) for n in result.per_worker)}"
        )
    window = pace_window(args.rate) + 1
    print(f"paced at {args.rate:g}/s, one sender, {args.paced_messages} messages per case")
    print(
        f"{'case':26} {'seconds':>8} {'msg/s':>9} {'ratio':>6} {f'max {window} in row':>14}"
        f"  {'check':6} per dispatcher"
    )
    for result in paced:
        achieved = result.achieved
        ratio = achieved / args.rate if achieved is not None else None
        print(
            f"{result.case.label:26} {_figure(result.span):>8} {_figure(achieved, digits=3):>9} "
            f"{_figure(ratio, digits=3):>6} {_figure(result.fastest_window, digits=3):>14}  "
            f"{_check(result):6} {' '.join(str(n) for n in result.per_worker)}"
        )
    retried = [r for r in results if r.gateway_errors or r.refused]
    for result in retried:
        print(
            f"{result.case.label}: {result.gateway_errors} sends failed and were retried, "
            f"{result.refused} refused by the stand-in"
        )
    checked = targets(results, args.rate)
    print_targets(checked)
    for result in results:
        for problem in result.problems:
            print(f"FAILED {result.case.label}: {problem}")
    print(f"rerun: {rerun_command(args)}")
    return checked


def _check(result: CaseResult) -> str:
    return "FAILED" if result.problems else "ok"


def write_json(
    path: Path,
    args: argparse.Namespace,
    results: list[CaseResult],
    checked: list[Target],
    versions: dict[str, str],
) -> None:
    document = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "versions": versions,
        "batch": BATCH,
        "messages": args.messages,
        "paced_messages": args.paced_messages,
        "rate": args.rate,
        "cases": [
            {
                "case": asdict(result.case),
                "label": result.case.label,
                "seconds": result.seconds,
                "messages_per_second": result.rate,
                "per_dispatcher": result.per_worker,
                "gateway_errors": result.gateway_errors,
                "refused": result.refused,
                "first_to_last_s": result.span,
                "achieved_per_second": result.achieved if result.case.rate else None,
                "fastest_window_per_second": result.fastest_window if result.case.rate else None,
                "window_messages": result.window + 1 if result.case.rate else None,
                "problems": result.problems,
            }
            for result in results
        ],
        "targets": [asdict(t) for t in checked],
        "command": rerun_command(args),
    }
    write_document(path, document)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Measure how fast the outbox dispatcher drains, unpaced and paced."
    )
    parser.add_argument(
        "--messages",
        type=bounded(1, MAX_MESSAGES, int),
        default=2000,
        help="messages per unpaced case (default 2000)",
    )
    parser.add_argument(
        "--paced-messages",
        type=bounded(2, MAX_PACED_MESSAGES, int),
        default=100,
        help="messages per paced case (default 100)",
    )
    parser.add_argument(
        "--rate",
        type=bounded(0.5, 200, float),
        default=10.0,
        help="rate_per_second for the paced cases (default 10)",
    )
    parser.add_argument("--skip-postgres", action="store_true", help="run the SQLite cases only")
    parser.add_argument(
        "--postgres-url",
        help="server for the temporary database (default: HOTLINE_TEST_POSTGRES_URL, "
        "else scripts/postgres-for-tests)",
    )
    add_output_options(parser)
    args = parser.parse_args(argv)
    if args.paced_messages / args.rate > MAX_PACED_SECONDS:
        parser.error(f"--paced-messages / --rate must be at most {MAX_PACED_SECONDS:.0f} s")
    return args


def _terminate(signum: int, _frame: FrameType | None) -> None:
    # Once only: a second signal must not cut the clean-up short.
    signal.signal(signum, signal.SIG_IGN)
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    quiet_logs()
    versions = {"sqlite": sqlite3.sqlite_version}
    try:
        postgres_url = None if args.skip_postgres else find_postgres(args)
        results = measure(args, postgres_url, versions)
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return EXIT_FAILED
    except (SQLAlchemyError, httpx.HTTPError, OSError) as error:
        print(f"bench: setup failed: {describe(error)}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("bench: interrupted; the stand-in and dispatchers were stopped", file=sys.stderr)
        return EXIT_INTERRUPTED
    checked = report(args, results, versions)
    if args.json:
        write_json(args.json, args, results, checked, versions)
        print(f"results written to {args.json}")
    if any(result.problems for result in results):
        return EXIT_FAILED
    if args.strict and not all(target.met for target in checked):
        return EXIT_MISS
    return 0


if __name__ == "__main__":
    sys.exit(main())
