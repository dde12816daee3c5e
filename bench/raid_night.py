"""Benchmark: a raid night, on PostgreSQL with two web processes and two workers.

A temporary PostgreSQL database is seeded with two zones, responders on call in them, a
coordinator, and `--subscribers` subscribers to one zone's alerts (by default 50,000,
their numbers sealed as the service seals them). Then, for `--seconds` each, the same
load hits two quickstart-style baseline processes (bench/raid_baseline_app.py) and two
`hotline serve` processes beside two `hotline worker` processes: `--callers` callers
walking the IVR at once, a third of them reporting what they see, and `--texts` texts a
second through the SMS webhook (bench/raid_load.py). Afterwards, through the coordinator
API, the incident with the most reports is confirmed, and the alert's texts are timed as
they reach the Twilio stand-in (its own process): the first one after the confirmation,
and the pace over `--drain-seconds` against the Messaging Service's configured `--pace`.

The text channel does not yet take reports or GO/CONFIRMED by text (that wiring comes
with the text-channel rework), so the confirmation goes through the API, and texts such
as "REPORTE …" or "ALERTAS 60623" are answered as any other text today.
Run it with `.venv/bin/python bench/raid_night.py` (see bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue
import secrets
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import insert, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if __package__ in (None, ""):  # run as a script: make the bench package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_MISS,
    HOST,
    VENV_BIN,
    BenchError,
    Server,
    Target,
    add_output_options,
    bounded,
    clean_environment,
    free_port,
    print_targets,
    progress,
    rerun_line,
    start,
    stop,
    wait_ready,
    write_document,
)
from bench.outbox_drain import find_postgres, stop_process, temporary_postgres
from bench.raid_load import LoadJob, LoadResult, run_callers, run_texts
from hotline import db
from hotline.auth import service as auth_service
from hotline.config import ALL_LANGUAGES
from hotline.models import Subscriber, SubscriberZip
from hotline.privacy.pseudonym import load_keyring
from hotline.privacy.vault import Vault
from hotline.rapid import zones
from hotline.rapid.alerts import number_place
from hotline.rapid.schemas import ZoneCreate
from hotline.rapid.subscriptions import FINGERPRINT_PURPOSE
from hotline.roster import service as roster_service
from hotline.roster.schemas import ShiftCreate, VolunteerCreate
from hotline.simulator.standin import create_standin

# Not the demo's account, nor a fictional 555-01xx backup: a production start refuses both.
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
MESSAGING_SERVICE = "MG" + "0123456789abcdef" * 2
HOTLINE = "+13125550100"
BACKUP = "+13125551234"
ZIP = "60623"
ARRIVALS_PATH = "/_bench/arrivals"
# Subscribers' numbers: fictional 555 numbers in Chicago-area codes (never a caller's).
SUBSCRIBER_AREAS = ("773", "872", "708", "630", "847", "815")
SEED_CHUNK = 5000
FIRST_ALERT_TIMEOUT = 60.0
FASTEST_WINDOW_S = 5
START_TIMEOUT = 60.0


# --- the stand-in, noting when each text arrives and for whom ------------------------------


class Arrivals:
    """The stand-in app, noting (arrival time, recipient) of every message it accepts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.seen: list[tuple[float, str]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == ARRIVALS_PATH:
            body = json.dumps(self.seen).encode()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": body})
            return
        if scope["type"] != "http" or not scope["path"].endswith("/Messages.json"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        form = b"".join(chunks)
        to = next((p[3:] for p in form.decode().split("&") if p.startswith("To=")), "")
        arrived = time.time()

        async def replay() -> Message:
            return {"type": "http.request", "body": form, "more_body": False}

        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 201:
                self.seen.append((arrived, to.replace("%2B", "+")))
            await send(message)

        await self.app(scope, replay, noting)


def serve_standin(token: str, port_out: Connection) -> None:
    """The stand-in's process: uvicorn on a free loopback port, sent back on `port_out`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((HOST, 0))
    listener.listen(1024)
    port_out.send(listener.getsockname()[1])
    app = Arrivals(create_standin(account_sid=ACCOUNT_SID, auth_token=token))
    config = uvicorn.Config(app, lifespan="off", log_config=None, access_log=False)
    uvicorn.Server(config).run(sockets=[listener])


@contextmanager
def standin(ctx: Any, token: str) -> Iterator[str]:
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=serve_standin, args=(token, sender), daemon=True)
    process.start()
    try:
        if not receiver.poll(START_TIMEOUT):
            raise BenchError("the stand-in did not start")
        yield f"http://{HOST}:{receiver.recv()}"
    finally:
        stop_process(process)


def arrivals(url: str) -> list[tuple[float, str]]:
    reply = httpx.get(url + ARRIVALS_PATH, timeout=30)
    reply.raise_for_status()
    return [(float(at), str(to)) for at, to in reply.json()]


# --- the database --------------------------------------------------------------------------


def subscriber_number(n: int) -> str:
    area = SUBSCRIBER_AREAS[n // 10_000]
    return f"+1{area}555{n % 10_000:04d}"


def seed(url: str, secret: bytes, *, subscribers: int, responders: int) -> str:
    """Zones, responders on call, a coordinator (whose token is returned), subscribers."""
    engine = db.make_engine(url)
    vault = Vault(secret)
    now = datetime.now(UTC)
    try:
        with db.transaction(engine) as session:
            village = ZoneCreate(name="Little Village", zips=[ZIP, "60632"])
            zones.create_zone(session=session, zone_in=village, user=None)
            pilsen = ZoneCreate(name="Pilsen", zips=["60608"], neighbours=["Little Village"])
            zones.create_zone(session=session, zone_in=pilsen, user=None)
            for n in range(responders):
                volunteer = roster_service.create_volunteer(
                    session=session,
                    vault=vault,
                    country="US",
                    enabled=ALL_LANGUAGES,
                    user=None,
                    volunteer_in=VolunteerCreate(
                        name=f"Responder {n}",
                        phone=f"+1312555{120 + n:04d}",
                        languages=[ALL_LANGUAGES[n % len(ALL_LANGUAGES)], "en"],
                        zones=["Little Village" if n % 3 else "Pilsen"],
                    ),
                )
                assert volunteer.id is not None
                roster_service.create_shift(
                    session=session,
                    user=None,
                    shift_in=ShiftCreate(
                        volunteer_id=volunteer.id,
                        starts_at=now - timedelta(hours=1),
                        ends_at=now + timedelta(days=1),
                    ),
                )
            _, token = auth_service.create_user(
                session=session, name="Dispatch", role="coordinator"
            )
        seed_subscribers(engine, vault, subscribers, now)
        return token
    finally:
        engine.dispose()


def seed_subscribers(engine: Any, vault: Vault, count: int, now: datetime) -> None:
    languages = ["es"] * 5 + ["en"] * 2 + ["zh", "pl", "ar", "uk", "ru", "fr", "ht", "tl"]
    for first in range(0, count, SEED_CHUNK):
        people, zips = [], []
        for n in range(first, min(count, first + SEED_CHUNK)):
            number = subscriber_number(n)
            key = vault.fingerprint(number, purpose=FINGERPRINT_PURPOSE)
            people.append(
                {
                    "id": n + 1,
                    "number_key": key,
                    "language": languages[n % len(languages)],
                    "number_sealed": vault.seal(number, place=number_place(key)),
                    "corrections": False,
                    "line": HOTLINE,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            zips.append({"subscriber_id": n + 1, "zip": ZIP})
        with engine.begin() as connection:
            connection.execute(insert(Subscriber.__table__), people)  # type: ignore[attr-defined]
            connection.execute(insert(SubscriberZip.__table__), zips)  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.execute(
            text("SELECT setval('subscriber_id_seq', (SELECT max(id) FROM subscriber))")
        )
    # Done now rather than by autovacuum in the middle of a measured run.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE subscriber, subscriber_zip"))


def counts(url: str) -> dict[str, int]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table: int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608
                for table in ("report", "incident", "sms_inbound", "call_event")
            } | {
                "alert_rows": int(
                    connection.execute(
                        text("SELECT count(*) FROM outbox_message WHERE purpose = 'alert'")
                    ).scalar_one()
                ),
            }
    finally:
        engine.dispose()


# --- the processes -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Shared:
    """What every service process of one deployment shares."""

    workdir: Path
    database_url: str
    token: str
    secret: str
    standin_url: str
    pace: float


def service_env(shared: Shared, public_url: str) -> dict[str, str]:
    return clean_environment() | {
        "HOTLINE_DATA_DIR": str(shared.workdir / "data"),
        "HOTLINE_DATABASE_URL": shared.database_url,
        "TWILIO_AUTH_TOKEN": shared.token,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "HOTLINE_SECRET_KEY": shared.secret,
        "HOTLINE_PUBLIC_URL": public_url,
        "HOTLINE_BACKUP_NUMBER": BACKUP,
        "HOTLINE_TWILIO_API_URL": shared.standin_url,
        "HOTLINE_DISPATCH_IN_WEB": "false",
        "HOTLINE_LOG_LEVEL": "WARNING",
        "HOTLINE_SMS_REPLY_CAP": "1000000",
        "HOTLINE_MESSAGING_SERVICE_SID": MESSAGING_SERVICE,
        "HOTLINE_MESSAGING_SERVICE_RATE": f"{shared.pace:g}",
        "HOTLINE_ALERT_EXPIRY_MINUTES": "240",
    }


def start_web(shared: Shared, name: str) -> Server:
    port = free_port()
    public_url = f"http://{HOST}:{port}"
    argv = [str(VENV_BIN / "hotline"), "serve", "--host", HOST, "--port", str(port)]
    return start(
        name,
        argv,
        service_env(shared, public_url),
        shared.workdir,
        port=port,
        path="",
        public_url=public_url,
        token=shared.token,
    )


def start_worker(shared: Shared, name: str) -> Server:
    argv = [str(VENV_BIN / "hotline"), "worker"]
    env = service_env(shared, f"http://{HOST}:9")
    return start(name, argv, env, shared.workdir, port=0, path="", public_url="", token="")


def start_baseline(workdir: Path, token: str, name: str) -> Server:
    port = free_port()
    public_url = f"http://{HOST}:{port}"
    env = clean_environment() | {"BASELINE_TOKEN": token, "BASELINE_PUBLIC_URL": public_url}
    argv = [
        str(VENV_BIN / "python"),
        "-m",
        "uvicorn",
        "bench.raid_baseline_app:app",
        "--host",
        HOST,
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return start(name, argv, env, workdir, port=port, path="", public_url=public_url, token=token)


@contextmanager
def running(servers: list[Server]) -> Iterator[list[Server]]:
    try:
        for server in servers:
            if server.port:
                wait_ready(
                    server,
                    lambda c, s=server: c.post(f"{s.public_url}/twilio/sms").status_code == 403,
                )
        yield servers
    finally:
        for server in servers:
            stop(server)


def load(
    ctx: Any, servers: list[Server], token: str, args: argparse.Namespace
) -> tuple[LoadResult, LoadResult]:
    """The callers and the texts at once, each in its own process; their results."""
    urls = tuple(server.public_url for server in servers)
    out = ctx.Queue()
    jobs = [
        ctx.Process(
            target=run_callers, args=(LoadJob(urls, token, args.seconds, args.callers), out)
        ),
        ctx.Process(
            target=run_texts, args=(LoadJob(urls, token, args.seconds, args.texts, 2), out)
        ),
    ]
    for job in jobs:
        job.start()
    results: dict[str, LoadResult] = {}
    try:
        while len(results) < len(jobs):
            kind, result = out.get(timeout=args.seconds + 180)
            results[kind] = result
    except queue.Empty:
        raise BenchError("a load process did not report in time") from None
    finally:
        for job in jobs:
            stop_process(job)
    return results["callers"], results["texts"]


# --- the confirmation and the alert's drain ----------------------------------------------


@dataclass(slots=True)
class Drain:
    """What the stand-in saw of the alert, from the confirmation on."""

    incident_reports: int = 0
    first_alert_s: float | None = None
    queued_all_s: float | None = None
    window_s: float = 0.0
    arrived: int = 0
    duplicates: int = 0
    rate: float | None = None
    fastest: float | None = None


def is_alert(to: str) -> bool:
    return any(to.startswith(f"+1{area}555") for area in SUBSCRIBER_AREAS)


def confirm_and_drain(web: Server, token: str, shared: Shared, args: argparse.Namespace) -> Drain:
    """Confirm the busiest incident through the API; time the alert reaching the stand-in."""
    headers = {"Authorization": f"Bearer {token}"}
    api = f"{web.public_url}/api/v1/incidents"
    listed = httpx.get(
        api, params={"open": "true", "zone": "Little Village"}, headers=headers, timeout=30
    ).json()
    if not listed:
        raise BenchError("no open incident in Little Village after the load")
    busiest = max(listed, key=lambda incident: incident["reports"])
    drain = Drain(incident_reports=busiest["reports"])
    confirmed_at = time.time()
    reply = httpx.patch(
        f"{api}/{busiest['id']}", json={"status": "confirmed"}, headers=headers, timeout=60
    )
    if reply.status_code != 200:
        raise BenchError(f"confirming the incident answered HTTP {reply.status_code}")
    deadline = time.monotonic() + FIRST_ALERT_TIMEOUT + args.drain_seconds
    first: float | None = None
    while time.monotonic() < deadline:
        if (
            drain.queued_all_s is None
            and counts(shared.database_url)["alert_rows"] >= args.subscribers
        ):
            drain.queued_all_s = time.time() - confirmed_at
        seen = [
            at for at, to in arrivals(shared.standin_url) if at >= confirmed_at and is_alert(to)
        ]
        if seen and first is None:
            first = min(seen)
            drain.first_alert_s = first - confirmed_at
            deadline = time.monotonic() + args.drain_seconds
        time.sleep(1.0)
    if first is None:
        return drain
    alerts = sorted(
        (at, to) for at, to in arrivals(shared.standin_url) if at >= first and is_alert(to)
    )
    times = [at for at, _ in alerts if at <= first + args.drain_seconds]
    drain.window_s, drain.arrived = args.drain_seconds, len(times)
    drain.duplicates = len(alerts) - len({to for _, to in alerts})
    if len(times) > 1:
        drain.rate = (len(times) - 1) / (times[-1] - times[0])
        # Over a few seconds: the stand-in's arrival times jitter by tens of milliseconds.
        step = max(1, round(args.pace * FASTEST_WINDOW_S))
        spans = [times[i + step] - times[i] for i in range(len(times) - step)]
        drain.fastest = step / min(spans) if spans and min(spans) > 0 else None
    return drain


# --- the run -------------------------------------------------------------------------------


@dataclass(slots=True)
class Side:
    """One side's load figures."""

    callers: LoadResult
    texts: LoadResult


@dataclass(slots=True)
class Measured:
    baseline: Side | None
    service: Side
    drain: Drain
    before: dict[str, int] = field(default_factory=dict)
    after: dict[str, int] = field(default_factory=dict)
    postgres: str = ""
    # Seconds after the load until everything it made was written.
    caught_up_s: float | None = None


def measure(args: argparse.Namespace, workdir: Path) -> Measured:
    ctx = multiprocessing.get_context("spawn")
    token, secret = secrets.token_hex(16), secrets.token_hex(24)
    admin = find_postgres(args)
    with ExitStack() as stack:
        database = stack.enter_context(temporary_postgres(admin))
        progress(f"seeding zones, responders and {args.subscribers} subscribers")
        coordinator = seed(
            database.url, secret.encode(), subscribers=args.subscribers, responders=args.responders
        )
        (workdir / "data").mkdir()
        load_keyring(workdir / "data" / "keys" / "pseudonym.json", epoch_days=30, create=True)
        baseline = None
        if not args.skip_baseline:
            progress(f"baseline: two processes, {args.seconds} s of load")
            pair = [start_baseline(workdir, token, f"baseline-{n}") for n in (1, 2)]
            with running(pair):
                baseline = Side(*load(ctx, pair, token, args))
        standin_url = stack.enter_context(standin(ctx, token))
        shared = Shared(workdir, database.url, token, secret, standin_url, args.pace)
        web = [start_web(shared, f"web-{n}") for n in (1, 2)]
        workers = [start_worker(shared, f"worker-{n}") for n in (1, 2)]
        with running(web + workers):
            before = counts(database.url)
            progress(f"service: two web processes, two workers, {args.seconds} s of load")
            service = Side(*load(ctx, web, token, args))
            after, caught_up = settled(database.url, before, service)
            progress("confirming the busiest incident through the API; timing its alert")
            drain = confirm_and_drain(web[0], coordinator, shared, args)
        return Measured(baseline, service, drain, before, after, database.version, caught_up)


# What a web process could not write at once waits in its recorder's queue or its spool.
CATCH_UP_LIMIT_S = 120.0


def settled(url: str, before: dict[str, int], service: Side) -> tuple[dict[str, int], float | None]:
    """The row counts once every text and report the load made is written (polled), and
    the seconds that took after the load ended; None when it never was, within the limit."""
    started = time.monotonic()
    texts = service.texts.texts
    reports = service.callers.reports + service.texts.text_reports
    while True:
        after = counts(url)
        written = after["sms_inbound"] - before["sms_inbound"] >= texts and (
            after["report"] - before["report"] >= reports
        )
        if written:
            time.sleep(3)  # the workers tick every 2 s: incidents follow the reports
            return counts(url), time.monotonic() - started
        if time.monotonic() - started > CATCH_UP_LIMIT_S:
            return after, None
        time.sleep(0.5)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def figures(result: LoadResult) -> dict[str, float]:
    non_200 = sum(n for status, n in result.statuses.items() if status != 200 and status != 204)
    server_errors = sum(n for status, n in result.statuses.items() if status >= 500)
    return {
        "requests": len(result.latencies_ms),
        "p50_ms": round(percentile(result.latencies_ms, 0.50), 1),
        "p99_ms": round(percentile(result.latencies_ms, 0.99), 1),
        "non_2xx": non_200,
        "5xx": server_errors,
        "no_answer": result.failures,
    }


FIRST_ALERT_AIM_S = 10.0
SHORTFALL, JITTER = 0.05, 0.01


def targets(measured: Measured, args: argparse.Namespace) -> list[Target]:
    service, drain = measured.service, measured.drain
    voice, sms = figures(service.callers), figures(service.texts)
    recorded = measured.after.get("sms_inbound", 0) - measured.before.get("sms_inbound", 0)
    kept = measured.after.get("report", 0) - measured.before.get("report", 0)
    rate = drain.rate
    return [
        Target(
            "no 5xx (voice, text)",
            voice["5xx"] + sms["5xx"] == 0,
            f"{voice['5xx']:.0f}, {sms['5xx']:.0f}",
        ),
        Target(
            "nothing lost: every request answered 2xx",
            voice["non_2xx"] + sms["non_2xx"] + voice["no_answer"] + sms["no_answer"] == 0,
            f"{voice['non_2xx'] + sms['non_2xx']:.0f} not 2xx, "
            f"{voice['no_answer'] + sms['no_answer']:.0f} unanswered",
        ),
        Target(
            "every text recorded once (sms_inbound)",
            recorded == service.texts.texts,
            f"{recorded} of {service.texts.texts}",
        ),
        Target(
            "every report walked or texted is kept",
            kept == service.callers.reports + service.texts.text_reports,
            f"{kept} of {service.callers.reports} walked and {service.texts.text_reports} texted",
        ),
        Target(
            f"first alert at the stand-in within {FIRST_ALERT_AIM_S:g} s of the confirmation",
            drain.first_alert_s is not None and drain.first_alert_s <= FIRST_ALERT_AIM_S,
            "-" if drain.first_alert_s is None else f"{drain.first_alert_s:.2f} s",
        ),
        Target(
            f"drain within {SHORTFALL:.0%} of {args.pace:g}/s, not above (+{JITTER:.0%})",
            rate is not None and args.pace * (1 - SHORTFALL) <= rate <= args.pace * (1 + JITTER),
            "-" if rate is None else f"{rate:.2f}/s",
        ),
        Target(
            f"fastest {FASTEST_WINDOW_S} s "
            f"({max(1, round(args.pace * FASTEST_WINDOW_S)) + 1} in a row) not above the pace",
            drain.fastest is not None and drain.fastest <= args.pace * (1 + JITTER),
            "-" if drain.fastest is None else f"{drain.fastest:.2f}/s",
        ),
        Target("no alert sent twice", drain.duplicates == 0, str(drain.duplicates)),
    ]


def rerun_command(args: argparse.Namespace) -> str:
    options = [
        "--callers",
        str(args.callers),
        "--texts",
        str(args.texts),
        "--seconds",
        str(args.seconds),
        "--subscribers",
        str(args.subscribers),
        "--pace",
        f"{args.pace:g}",
        "--drain-seconds",
        str(args.drain_seconds),
    ]
    if args.skip_baseline:
        options.append("--skip-baseline")
    return rerun_line("raid_night.py", options, args)


def report(args: argparse.Namespace, measured: Measured) -> list[Target]:
    print()
    print(
        f"raid night: PostgreSQL {measured.postgres}, {os.cpu_count()} CPUs; {args.callers} "
        f"callers walking the IVR (a third reporting) and {args.texts} texts/s for "
        f"{args.seconds} s; two web processes (service: and two workers)"
    )
    print(
        f"{'':18} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8} {'not 2xx':>8} {'5xx':>5} {'lost':>5}"
    )
    sides = [("service", measured.service)]
    if measured.baseline is not None:
        sides.insert(0, ("baseline", measured.baseline))
    for name, side in sides:
        for kind, result in (("voice", side.callers), ("text", side.texts)):
            f = figures(result)
            print(
                f"{name + ' ' + kind:18} {f['requests']:>9.0f} {f['p50_ms']:>8.1f} "
                f"{f['p99_ms']:>8.1f} {f['non_2xx']:>8.0f} {f['5xx']:>5.0f} {f['no_answer']:>5.0f}"
            )
    if measured.baseline is not None:
        for kind in ("callers", "texts"):
            ours = figures(getattr(measured.service, kind))
            theirs = figures(getattr(measured.baseline, kind))
            p50 = ours["p50_ms"] / max(theirs["p50_ms"], 0.1)
            p99 = ours["p99_ms"] / max(theirs["p99_ms"], 0.1)
            print(f"service/baseline, {kind}: p50 x{p50:.2f}, p99 x{p99:.2f}")
    service, drain = measured.service, measured.drain
    achieved = service.texts.texts / service.texts.seconds if service.texts.seconds else 0.0
    print(
        f"calls {service.callers.calls}, reports walked {service.callers.reports}; "
        f"texts sent {service.texts.texts} in {service.texts.seconds:.1f} s ({achieved:.0f}/s), "
        f"{service.texts.text_reports} of them reports"
    )
    written = {k: measured.after[k] - measured.before.get(k, 0) for k in measured.after}
    caught = "never" if measured.caught_up_s is None else f"{measured.caught_up_s:.1f} s"
    print(f"rows written during the load: {json.dumps(written)}; all written {caught} after it")
    first = "-" if drain.first_alert_s is None else f"{drain.first_alert_s:.2f}"
    queued = "-" if drain.queued_all_s is None else f"{drain.queued_all_s:.1f}"
    print(
        f"alert: incident of {drain.incident_reports} reports confirmed; first text at the "
        f"stand-in after {first} s; all {args.subscribers} queued after {queued} s"
    )
    rate = "-" if drain.rate is None else f"{drain.rate:.2f}"
    minutes = args.subscribers / args.pace / 60
    print(
        f"drain: {drain.arrived} alerts in the first {drain.window_s:g} s, {rate}/s against "
        f"the pool's {args.pace:g}/s; at that pace {args.subscribers} take {minutes:.0f} min"
    )
    checked = targets(measured, args)
    print_targets(checked)
    print(f"rerun: {rerun_command(args)}")
    return checked


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="A raid night against the whole deployment.")
    parser.add_argument("--callers", type=bounded(1, 2000), default=500)
    parser.add_argument("--texts", type=bounded(1, 1000), default=200, help="texts a second")
    parser.add_argument("--seconds", type=bounded(5, 600), default=60)
    parser.add_argument("--subscribers", type=bounded(1, 60_000), default=50_000)
    parser.add_argument("--responders", type=bounded(1, 100), default=12)
    parser.add_argument(
        "--pace",
        type=bounded(0.5, 500, float),
        default=20.0,
        help="the Messaging Service's pace, messages a second (default 20)",
    )
    parser.add_argument("--drain-seconds", type=bounded(5, 3600), default=60)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--postgres-url")
    add_output_options(parser)
    return parser.parse_args(argv)


def _terminate(signum: int, _frame: object) -> None:
    # Once: a second signal must not cut the clean-up (servers, the database) short.
    signal.signal(signum, signal.SIG_IGN)
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        with tempfile.TemporaryDirectory(prefix="hotline-raid-") as workdir:
            measured = measure(args, Path(workdir))
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return EXIT_FAILED
    except (SQLAlchemyError, httpx.HTTPError, OSError) as error:
        print(f"bench: setup failed: {type(error).__name__}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    checked = report(args, measured)
    if args.json:
        write_document(
            args.json,
            {
                "args": vars(args) | {"json": str(args.json)},
                "baseline": None
                if measured.baseline is None
                else {
                    "voice": figures(measured.baseline.callers),
                    "text": figures(measured.baseline.texts),
                },
                "service": {
                    "voice": figures(measured.service.callers),
                    "text": figures(measured.service.texts),
                },
                "database": {"before": measured.before, "after": measured.after},
                "drain": asdict(measured.drain),
                "targets": [asdict(t) for t in checked],
                "command": rerun_command(args),
            },
        )
    if args.strict and not all(t.met for t in checked):
        return EXIT_MISS
    return 0


if __name__ == "__main__":
    sys.exit(main())
