"""Load benchmark: the service's inbound-SMS webhook against a Twilio-quickstart-style baseline.

Starts both servers on 127.0.0.1 and drives each with signed inbound texts ("INFO", a
keyword the service answers with its information text) from wrk at 32 connections,
alternating rounds; prints throughput, latency and memory. Every request carries its own
MessageSid, so the service records every text (its dedupe never short-cuts one), and the
senders vary over fictional +1312555xxxx numbers. wrk's LuaJIT cannot sign requests, so
the signed bodies are made here beforehand and the wrk script cycles through them.
See bench/README.md. It is a report, not a test.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import secrets
import shutil
import signal
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx
from twilio.request_validator import RequestValidator

if __package__ in (None, ""):  # run as a script: make the bench package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (
    BASELINE,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_MISS,
    FORM_PARSER,
    FORM_TYPE,
    SERVICE,
    BenchError,
    Server,
    ServerRounds,
    Target,
    add_output_options,
    bounded,
    lua_string,
    print_targets,
    progress,
    raise_interrupt,
    rerun_line,
    rss_mb,
    run_wrk,
    servers,
    settle,
    write_document,
    wrk_figures,
    wrk_version,
)

SMS_PATH = "/twilio/sms"
KEYWORD = "INFO"
# The tag opens with attributes when the service asks for status callbacks.
MESSAGE_TAG = "<Message"

CONNECTIONS = 32
THREADS = 2
# wrk leaves answers slower than its timeout (2 s by default) out of the latency
# figures and counts them as errors; a slow server must show in p99 instead.
WRK_TIMEOUT_SECONDS = 10
WARMUP_SECONDS = 3
MAX_DURATION_SECONDS = 300
MAX_ROUNDS = 10

# Signed requests per wrk run: at least POOL_MIN, else what the warm-up's pace would
# send in a run with POOL_MARGIN to spare, never more than POOL_MAX (memory in wrk).
POOL_MIN = 20_000
POOL_MARGIN = 3.0
POOL_MAX = 250_000
CHECK_REQUESTS = 5
# Below this share of answers with a <Message>, the figures measure some other path.
MIN_MESSAGE_SHARE = 0.99

# The project's own targets for the service on this path: more texts a second than the
# quickstart baseline, and its slowest answers no slower than the baseline's.
TARGET_RATIO = 1.2

# The service answers every text: its flood cap (default 5 per number in 10 minutes)
# would otherwise silence most of them.
SMS_REPLY_CAP = 1_000_000

ACCOUNT_SID = "AC" + "0" * 32
MESSAGING_SERVICE_SID = "MG" + "0" * 32
HOTLINE = "+13125550100"
# Not 555-01xx, which a production start refuses as fictional; nothing is dialled.
BACKUP = "+13125551234"
# Senders: +1312555xxxx, minus the 555-01xx block (the hotline's and the demo
# volunteers' numbers live there; a volunteer's text takes another path).
SENDERS = tuple(f"+1312555{n:04d}" for n in range(10_000) if not 100 <= n < 200)

# Each wrk thread loads every THREADS-th line of the pool ("signature<TAB>body"),
# formats the requests once, and sends them in turn. `response` counts what came back.
LUA_TEMPLATE = """\
local pool = {pool}
local content_type = {content_type}
local stride = {threads}
local threads = {{}}

setup = function(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

init = function(args)
  prepared = {{}}
  local i = 0
  for line in io.lines(pool) do
    if i % stride == thread_id then
      local tab = line:find("\\t", 1, true)
      local headers = {{}}
      headers["Content-Type"] = content_type
      headers["X-Twilio-Signature"] = line:sub(1, tab - 1)
      prepared[#prepared + 1] = wrk.format("POST", nil, headers, line:sub(tab + 1))
    end
    i = i + 1
  end
  capacity = #prepared
  sent, answered, ok, messages = 0, 0, 0, 0
end

request = function()
  sent = sent + 1
  return prepared[(sent - 1) % capacity + 1]
end

response = function(status, headers, body)
  answered = answered + 1
  if status >= 200 and status < 300 then ok = ok + 1 end
  if body and body:find({message_tag}, 1, true) then messages = messages + 1 end
end

done = function(summary, latency, requests)
  local e = summary.errors
  local sent, reused, answered, ok, messages = 0, 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    local s, c = thread:get("sent"), thread:get("capacity")
    sent = sent + s
    if s > c then reused = reused + s - c end
    answered = answered + thread:get("answered")
    ok = ok + thread:get("ok")
    messages = messages + thread:get("messages")
  end
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d "
    .. "connect=%d read=%d write=%d timeout=%d status=%d "
    .. "sent=%d reused=%d answered=%d ok=%d messages=%d\\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.timeout, e.status,
    sent, reused, answered, ok, messages))
end
"""


@dataclass(frozen=True, slots=True)
class WrkResult:
    """One wrk run, as its done() hook reported it."""

    pool: int
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    socket_errors: int
    http_errors: int
    # From the script's response() hook: answers seen, 2xx among them, with a <Message>.
    answered: int
    ok: int
    with_message: int
    # Requests that reused an earlier MessageSid because the run outlasted its pool.
    reused: int


@dataclass(slots=True)
class ServerReport(ServerRounds):
    """Everything measured for one server."""

    rounds: list[WrkResult] = field(default_factory=list)
    checks_before: str = ""
    checks_after: str = ""
    # The server's last output, kept when a request under load failed.
    log_tail: str = ""

    @property
    def answered(self) -> int:
        return sum(r.answered for r in self.rounds)

    @property
    def non_2xx(self) -> int:
        return sum(r.answered - r.ok for r in self.rounds)

    @property
    def message_share(self) -> float:
        answered = self.answered
        return sum(r.with_message for r in self.rounds) / answered if answered else 0.0

    @property
    def reused(self) -> int:
        return sum(r.reused for r in self.rounds)


# --- the requests ------------------------------------------------------------------------


def inbound_params(message_sid: str, sender: str) -> dict[str, str]:
    """The form Twilio posts for an inbound text on a number in a Messaging Service."""
    params = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "Body": KEYWORD,
        "From": sender,
        "FromCity": "CHICAGO",
        "FromCountry": "US",
        "FromState": "IL",
        "FromZip": "60601",
        "MessageSid": message_sid,
        "MessagingServiceSid": MESSAGING_SERVICE_SID,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsMessageSid": message_sid,
        "SmsSid": message_sid,
        "SmsStatus": "received",
        "To": HOTLINE,
        "ToCity": "CHICAGO",
        "ToCountry": "US",
        "ToState": "IL",
        "ToZip": "60601",
    }
    return params


class Texts:
    """Signed inbound texts for one server, each with a MessageSid never used before.

    Senders go round SENDERS in order, so the first len(SENDERS) texts each come from a
    new number and later ones from numbers the service has seen.
    """

    def __init__(self, server: Server) -> None:
        self.url = server.public_url + SMS_PATH
        self.validator = RequestValidator(server.token)
        self.prefix = "SM" + secrets.token_hex(8)
        self.made = 0

    def next(self) -> tuple[str, str]:
        """(signature, body) of the next text."""
        sid = f"{self.prefix}{self.made:016x}"
        sender = SENDERS[self.made % len(SENDERS)]
        self.made += 1
        params = inbound_params(sid, sender)
        return str(self.validator.compute_signature(self.url, params)), urlencode(params)

    def pool(self, path: Path, count: int) -> Path:
        with path.open("w") as out:
            for _ in range(count):
                signature, body = self.next()
                out.write(f"{signature}\t{body}\n")
        return path


def write_wrk_script(path: Path, pool: Path) -> Path:
    path.write_text(
        LUA_TEMPLATE.format(
            pool=lua_string(str(pool)),
            content_type=lua_string(FORM_TYPE),
            threads=THREADS,
            message_tag=lua_string(MESSAGE_TAG),
        )
    )
    return path


def check_answers(server: Server, texts: Texts, *, strict: bool) -> str:
    """A few fresh texts by hand. Before the load all must be a 200 with a <Message>,
    so 403s or silent answers are never measured; after it, the tally is reported."""
    good = 0
    failure = ""
    with httpx.Client(timeout=10) as client:
        for _ in range(CHECK_REQUESTS):
            signature, body = texts.next()
            headers = {"Content-Type": FORM_TYPE, "X-Twilio-Signature": signature}
            try:
                reply = client.post(server.url, content=body, headers=headers)
            except httpx.HTTPError as error:
                failure = f"the request failed: {error}"
                continue
            if reply.status_code == 200 and MESSAGE_TAG in reply.text:
                good += 1
            else:
                failure = (
                    f"HTTP {reply.status_code} without a {MESSAGE_TAG} "
                    f"(first 200 bytes: {reply.text[:200]!r})"
                )
    if strict and good < CHECK_REQUESTS:
        raise BenchError(
            f"{server.name}: a check request got {failure}; its last output:\n{server.log_tail()}"
        )
    return f"{good}/{CHECK_REQUESTS}"


# --- the service's database ---------------------------------------------------------------


COUNT_QUERIES = {
    "sms_inbound": "SELECT count(*) FROM sms_inbound",
    "caller_preference": "SELECT count(*) FROM caller_preference",
}


def database_counts(server: Server) -> dict[str, int]:
    """Rows the service wrote, read from its SQLite file (read-only); {} if unreadable."""
    if server.data_dir is None:
        return {}
    path = server.data_dir / "hotline.db"
    counts: dict[str, int] = {}
    try:
        with closing_connection(f"file:{path}?mode=ro") as connection:
            for table, query in COUNT_QUERIES.items():
                counts[table] = int(connection.execute(query).fetchone()[0])
    except sqlite3.Error:
        return {}
    return counts


@contextmanager
def closing_connection(uri: str) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(uri, uri=True, timeout=5)
    try:
        yield connection
    finally:
        connection.close()


# --- wrk ---------------------------------------------------------------------------------


def wrk_run(server: Server, script: Path, pool: int, seconds: int, *, latency: bool) -> WrkResult:
    values = run_wrk(
        server,
        script,
        seconds,
        threads=THREADS,
        connections=CONNECTIONS,
        latency=latency,
        wrk_timeout=WRK_TIMEOUT_SECONDS,
        grace=60,
    )
    return WrkResult(
        pool=pool,
        **wrk_figures(values),
        answered=values["answered"],
        ok=values["ok"],
        with_message=values["messages"],
        reused=values["reused"],
    )


# --- the run -----------------------------------------------------------------------------


def pool_size(warmup: WrkResult, seconds: int) -> int:
    wanted = math.ceil(warmup.rps * seconds * POOL_MARGIN)
    return min(POOL_MAX, max(POOL_MIN, wanted))


@dataclass(slots=True)
class Measured:
    reports: dict[str, ServerReport]
    database: dict[str, int]
    # Texts the service answered: the checks, the warm-up and the timed runs.
    service_answered: int


def measure(args: argparse.Namespace, workdir: Path) -> Measured:
    reports = {BASELINE: ServerReport(BASELINE), SERVICE: ServerReport(SERVICE)}
    service_env = {"HOTLINE_SMS_REPLY_CAP": str(SMS_REPLY_CAP)}
    with servers(workdir, SMS_PATH, "bench.sms_baseline_app:app", BACKUP, service_env) as (
        baseline,
        service,
    ):
        order = (baseline, service)
        texts = {server.name: Texts(server) for server in order}
        for server in order:
            report = reports[server.name]
            report.checks_before = check_answers(server, texts[server.name], strict=True)
            report.rss_idle_mb = rss_mb(server.process.pid)
        warmups: dict[str, WrkResult] = {}
        for server in order:
            progress(f"warming up {server.name} ({WARMUP_SECONDS} s)")
            pool = texts[server.name].pool(workdir / f"{server.name}-warmup.txt", POOL_MIN)
            script = write_wrk_script(workdir / f"{server.name}-warmup.lua", pool)
            warmups[server.name] = wrk_run(server, script, POOL_MIN, WARMUP_SECONDS, latency=False)
            settle(server)
        scripts: dict[tuple[str, int], tuple[Path, int]] = {}
        for server in order:
            size = pool_size(warmups[server.name], args.duration)
            progress(f"signing {args.rounds} x {size} texts for {server.name}")
            for round_number in range(1, args.rounds + 1):
                stem = f"{server.name}-round{round_number}"
                pool = texts[server.name].pool(workdir / f"{stem}.txt", size)
                scripts[server.name, round_number] = (
                    write_wrk_script(workdir / f"{stem}.lua", pool),
                    size,
                )
        for round_number in range(1, args.rounds + 1):
            for server in order:
                progress(f"round {round_number}/{args.rounds}: {server.name} ({args.duration} s)")
                script, size = scripts[server.name, round_number]
                result = wrk_run(server, script, size, args.duration, latency=True)
                reports[server.name].rounds.append(result)
                settle(server)
                reports[server.name].rss_after_mb = rss_mb(server.process.pid)
        for server in order:
            report = reports[server.name]
            report.checks_after = check_answers(server, texts[server.name], strict=False)
            if report.non_2xx or report.http_errors or report.socket_errors:
                report.log_tail = server.log_tail()
        settle(service)
        database = database_counts(service)
    answered = 2 * CHECK_REQUESTS + warmups[SERVICE].answered + reports[SERVICE].answered
    return Measured(reports, database, answered)


def targets(baseline: ServerReport, service: ServerReport) -> list[Target]:
    ratio = service.rps / baseline.rps
    return [
        Target(
            f"service throughput >= {TARGET_RATIO:g}x baseline",
            ratio >= TARGET_RATIO,
            f"{ratio:.2f}x",
        ),
        Target(
            "service p99 <= baseline p99",
            service.p99_ms <= baseline.p99_ms,
            f"{service.p99_ms:.2f} ms vs {baseline.p99_ms:.2f} ms",
        ),
    ]


def rerun_command(args: argparse.Namespace) -> str:
    options = ["--duration", str(args.duration), "--rounds", str(args.rounds)]
    return rerun_line("sms_webhook.py", options, args)


def report(args: argparse.Namespace, measured: Measured) -> list[Target]:
    baseline, service = measured.reports[BASELINE], measured.reports[SERVICE]
    print()
    print(
        f'POST {SMS_PATH} (signed inbound text "{KEYWORD}", a new MessageSid each), '
        f"wrk -t{THREADS} -c{CONNECTIONS}, {args.rounds} x {args.duration} s per server, "
        "median of rounds"
    )
    print(
        f"{'':10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'RSS MB':>8} "
        f"{'non-2xx':>8} {MESSAGE_TAG:>10}  rounds req/s"
    )
    for item in (baseline, service):
        per_round = " ".join(f"{r.rps:.0f}" for r in item.rounds)
        print(
            f"{item.name:10} {item.rps:9.1f} {item.p50_ms:8.2f} {item.p99_ms:8.2f} "
            f"{item.rss_after_mb:8.1f} {item.non_2xx:8d} {item.message_share:10.2%}  {per_round}"
        )
    print(f"throughput ratio service/baseline: {service.rps / baseline.rps:.2f}x")
    print(f"baseline form parser: {FORM_PARSER}")
    print(
        f"RSS before load: baseline {baseline.rss_idle_mb:.1f} MB, "
        f"service {service.rss_idle_mb:.1f} MB"
    )
    print(
        f"texts per timed run: baseline {baseline.rounds[0].pool}, "
        f"service {service.rounds[0].pool}; MessageSids reused (pool ran out): "
        f"baseline {baseline.reused}, service {service.reused}"
    )
    print(
        f"checks by hand, 200 with {MESSAGE_TAG}: before the load baseline "
        f"{baseline.checks_before}, service {service.checks_before}; after it baseline "
        f"{baseline.checks_after}, service {service.checks_after}"
    )
    database = measured.database
    if database:
        print(
            f"service database: {database['sms_inbound']} rows in sms_inbound for "
            f"{measured.service_answered} texts answered (checks and warm-up included), "
            f"{database['caller_preference']} in caller_preference "
            f"({len(SENDERS)} sender numbers in turn)"
        )
    else:
        print("service database: could not be read")
    checked = targets(baseline, service)
    print_targets(checked)
    print(f"rerun: {rerun_command(args)}")
    return checked


def write_json(
    path: Path, args: argparse.Namespace, measured: Measured, checked: list[Target]
) -> None:
    baseline, service = measured.reports[BASELINE], measured.reports[SERVICE]
    document = {
        "request": f"POST {SMS_PATH} signed inbound text {KEYWORD!r}, a new MessageSid each",
        "threads": THREADS,
        "connections": CONNECTIONS,
        "warmup_s": WARMUP_SECONDS,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "wrk": wrk_version(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "baseline_form_parser": FORM_PARSER,
        "sms_reply_cap": SMS_REPLY_CAP,
        "senders": len(SENDERS),
        "servers": {
            item.name: {
                "rps": item.rps,
                "p50_ms": item.p50_ms,
                "p99_ms": item.p99_ms,
                "rss_idle_mb": round(item.rss_idle_mb, 1),
                "rss_after_mb": round(item.rss_after_mb, 1),
                "non_2xx": item.non_2xx,
                "message_share": round(item.message_share, 4),
                "reused_sids": item.reused,
                "checks_before": item.checks_before,
                "checks_after": item.checks_after,
                "rounds": [asdict(r) for r in item.rounds],
            }
            for item in (baseline, service)
        },
        "service_database": measured.database,
        "service_answered": measured.service_answered,
        "ratio": round(service.rps / baseline.rps, 3),
        "targets": [asdict(t) for t in checked],
        "command": rerun_command(args),
    }
    write_document(path, document)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Load-test the inbound-SMS webhook against a Twilio-quickstart-style baseline."
    )
    parser.add_argument(
        "--duration",
        type=bounded(1, MAX_DURATION_SECONDS),
        default=10,
        help="seconds per measured run (default 10)",
    )
    parser.add_argument(
        "--rounds",
        type=bounded(1, MAX_ROUNDS),
        default=2,
        help="measured runs per server, alternating (default 2)",
    )
    add_output_options(parser)
    return parser.parse_args(argv)


def failures(measured: Measured) -> list[str]:
    found = []
    for item in measured.reports.values():
        if item.http_errors or item.socket_errors or item.non_2xx:
            found.append(
                f"{item.name}: {item.non_2xx} non-2xx responses ({item.http_errors} of "
                f"400 or more), {item.socket_errors} socket errors"
            )
        if item.log_tail:
            found.append(f"{item.name}'s last output:\n{item.log_tail}")
        if item.message_share < MIN_MESSAGE_SHARE:
            found.append(
                f"{item.name}: only {item.message_share:.2%} of answers had a {MESSAGE_TAG}"
            )
    return found


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return EXIT_FAILED
    signal.signal(signal.SIGTERM, raise_interrupt)
    try:
        with tempfile.TemporaryDirectory(prefix="hotline-sms-bench-") as tmp:
            measured = measure(args, Path(tmp))
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("bench: interrupted; both servers were stopped", file=sys.stderr)
        return EXIT_INTERRUPTED
    checked = report(args, measured)
    if args.json:
        write_json(args.json, args, measured, checked)
        print(f"results written to {args.json}")
    found = failures(measured)
    if found:
        print("bench: requests failed under load:\n  " + "\n  ".join(found), file=sys.stderr)
        return EXIT_FAILED
    if args.strict and not all(target.met for target in checked):
        return EXIT_MISS
    return 0


if __name__ == "__main__":
    sys.exit(main())
