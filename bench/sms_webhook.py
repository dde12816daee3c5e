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
import json
import math
import os
import platform
import re
import secrets
import shlex
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from importlib.util import find_spec
from pathlib import Path
from types import FrameType
from typing import IO, Any
from urllib.parse import urlencode

import httpx
from twilio.request_validator import RequestValidator

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = REPO / ".venv" / "bin"
HOST = "127.0.0.1"
SMS_PATH = "/twilio/sms"
FORM_TYPE = "application/x-www-form-urlencoded"
KEYWORD = "INFO"
MESSAGE_TAG = "<Message>"

CONNECTIONS = 32
THREADS = 2
# wrk leaves answers slower than its timeout (2 s by default) out of the latency
# figures and counts them as errors; a slow server must show in p99 instead.
WRK_TIMEOUT_SECONDS = 10
WARMUP_SECONDS = 3
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
SETTLE_TIMEOUT_SECONDS = 5.0
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

# The project's own targets for the service on this path.
TARGET_RATIO = 1.0
TARGET_P99_MS = 30.0

# The service answers every text: its flood cap (default 5 per number in 10 minutes)
# would otherwise silence most of them.
SMS_REPLY_CAP = 1_000_000

ACCOUNT_SID = "AC" + "0" * 32
MESSAGING_SERVICE_SID = "MG" + "0" * 32
HOTLINE = "+13125550100"
BACKUP = "+13125550111"
# Senders: +1312555xxxx, minus the 555-01xx block (the hotline's and the demo
# volunteers' numbers live there; a volunteer's text takes another path).
SENDERS = tuple(f"+1312555{n:04d}" for n in range(10_000) if not 100 <= n < 200)

BASELINE_FORM_PARSER = (
    "python-multipart" if find_spec("python_multipart") is not None else "urllib.parse.parse_qsl"
)

EXIT_MISS = 1
EXIT_FAILED = 2
EXIT_INTERRUPTED = 130

BASELINE = "baseline"
SERVICE = "service"

RESULT_RE = re.compile(r"^RESULT (?P<fields>.*)$", re.MULTILINE)

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


class BenchError(Exception):
    """The benchmark could not produce trustworthy figures."""


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
class ServerReport:
    """Everything measured for one server."""

    name: str
    rounds: list[WrkResult] = field(default_factory=list)
    rss_idle_mb: float = 0.0
    rss_after_mb: float = 0.0
    checks_before: str = ""
    checks_after: str = ""
    # The server's last output, kept when a request under load failed.
    log_tail: str = ""

    @property
    def rps(self) -> float:
        return statistics.median(r.rps for r in self.rounds)

    @property
    def p50_ms(self) -> float:
        return statistics.median(r.p50_ms for r in self.rounds)

    @property
    def p99_ms(self) -> float:
        return statistics.median(r.p99_ms for r in self.rounds)

    @property
    def socket_errors(self) -> int:
        return sum(r.socket_errors for r in self.rounds)

    @property
    def http_errors(self) -> int:
        return sum(r.http_errors for r in self.rounds)

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


@dataclass(frozen=True, slots=True)
class Target:
    label: str
    met: bool
    figure: str


@dataclass
class Server:
    """A server process we started, and where its output goes."""

    name: str
    port: int
    public_url: str
    token: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]
    data_dir: Path | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}{SMS_PATH}"

    def log_tail(self, lines: int = 20) -> str:
        self.log_file.flush()
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


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


def lua_string(value: str) -> str:
    """A Lua string literal; the values here are printable ASCII by construction."""
    if not value.isascii() or not value.isprintable():
        raise BenchError("wrk script values must be printable ASCII")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


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


# --- processes ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def clean_environment() -> dict[str, str]:
    """The caller's environment minus anything that would reconfigure either server."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HOTLINE_", "TWILIO_", "BASELINE_"))
    }


def start(name: str, argv: list[str], env: dict[str, str], workdir: Path, **kw: Any) -> Server:
    log_path = workdir / f"{name}.log"
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        argv,
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        # Its own session: Ctrl-C reaches us, and we stop the servers ourselves.
        start_new_session=True,
    )
    return Server(name=name, process=process, log_path=log_path, log_file=log_file, **kw)


def start_service(token: str, workdir: Path) -> Server:
    port = free_port()
    public_url = f"http://{HOST}:{port}"
    data_dir = workdir / "service-data"
    data_dir.mkdir()
    env = clean_environment() | {
        "HOTLINE_DATA_DIR": str(data_dir),
        "TWILIO_AUTH_TOKEN": token,
        "HOTLINE_SECRET_KEY": secrets.token_hex(20),
        "HOTLINE_PUBLIC_URL": public_url,
        "HOTLINE_BACKUP_NUMBER": BACKUP,
        "HOTLINE_LOG_LEVEL": "WARNING",
        "HOTLINE_SMS_REPLY_CAP": str(SMS_REPLY_CAP),
    }
    argv = [str(VENV_BIN / "hotline"), "serve", "--host", HOST, "--port", str(port)]
    return start(
        SERVICE,
        argv,
        env,
        workdir,
        port=port,
        public_url=public_url,
        token=token,
        data_dir=data_dir,
    )


def start_baseline(token: str, workdir: Path) -> Server:
    port = free_port()
    public_url = f"http://{HOST}:{port}"
    env = clean_environment() | {"BASELINE_TOKEN": token, "BASELINE_PUBLIC_URL": public_url}
    argv = [
        str(VENV_BIN / "python"),
        "-m",
        "uvicorn",
        "bench.sms_baseline_app:app",
        "--host",
        HOST,
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return start(BASELINE, argv, env, workdir, port=port, public_url=public_url, token=token)


def wait_ready(server: Server, probe: Callable[[httpx.Client], bool]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    with httpx.Client(timeout=2) as client:
        while time.monotonic() < deadline:
            code = server.process.poll()
            if code is not None:
                raise BenchError(
                    f"{server.name} exited with status {code} before it was ready; "
                    f"its last output:\n{server.log_tail()}"
                )
            with suppress(httpx.HTTPError):
                if probe(client):
                    return
            time.sleep(0.2)
    raise BenchError(
        f"{server.name} did not come up on {HOST}:{server.port} within "
        f"{START_TIMEOUT_SECONDS:.0f} s; its last output:\n{server.log_tail()}"
    )


def stop(server: Server) -> None:
    process = server.process
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
    server.log_file.close()


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` in MB (MiB, as the kernel counts kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise BenchError(f"no VmRSS for process {pid}")


def cpu_ticks(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def settle(server: Server) -> None:
    """Wait (bounded) until the server stops using CPU, e.g. flushing its event buffer."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_SECONDS
    before = cpu_ticks(server.process.pid)
    while time.monotonic() < deadline:
        time.sleep(0.25)
        after = cpu_ticks(server.process.pid)
        if after - before <= 1:
            return
        before = after


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


def run_wrk(server: Server, script: Path, pool: int, seconds: int, *, latency: bool) -> WrkResult:
    argv = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s"]
    argv += ["--timeout", f"{WRK_TIMEOUT_SECONDS}s"]
    if latency:
        argv.append("--latency")
    argv += ["-s", str(script), server.url]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=seconds + 60, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"wrk against {server.name} did not finish in time") from error
    match = RESULT_RE.search(done.stdout)
    if done.returncode != 0 or match is None:
        raise BenchError(
            f"wrk against {server.name} failed (status {done.returncode}):\n"
            f"{done.stderr.strip() or done.stdout.strip()}"
        )
    if server.process.poll() is not None:
        raise BenchError(f"{server.name} died under load; its last output:\n{server.log_tail()}")
    values = {
        key: int(value) for key, value in (part.split("=") for part in match["fields"].split())
    }
    duration_s = values["duration_us"] / 1e6
    return WrkResult(
        pool=pool,
        requests=values["requests"],
        duration_s=round(duration_s, 3),
        rps=round(values["requests"] / duration_s, 1),
        p50_ms=values["p50_us"] / 1000,
        p99_ms=values["p99_us"] / 1000,
        max_ms=values["max_us"] / 1000,
        socket_errors=sum(values[key] for key in ("connect", "read", "write", "timeout")),
        http_errors=values["status"],
        answered=values["answered"],
        ok=values["ok"],
        with_message=values["messages"],
        reused=values["reused"],
    )


def wrk_version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    lines = (done.stdout or done.stderr).splitlines()
    return lines[0].strip() if lines else "wrk"


# --- the run -----------------------------------------------------------------------------


@contextmanager
def servers(workdir: Path) -> Iterator[tuple[Server, Server]]:
    """Both servers, ready; both stopped on the way out, whatever happens."""
    started: list[Server] = []
    try:
        baseline = start_baseline(secrets.token_hex(16), workdir)
        started.append(baseline)
        service = start_service(secrets.token_hex(16), workdir)
        started.append(service)
        wait_ready(service, lambda client: client.get(service_health(service)).status_code == 200)
        wait_ready(baseline, lambda client: baseline_listens(client, baseline))
        yield baseline, service
    finally:
        # A second Ctrl-C must not leave a server running.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            for server in started:
                stop(server)
        finally:
            signal.signal(signal.SIGINT, previous)


def service_health(server: Server) -> str:
    return f"http://{HOST}:{server.port}/healthz"


def baseline_listens(client: httpx.Client, server: Server) -> bool:
    """Any HTTP answer will do: check_answers() then says whether it is the right one."""
    client.get(f"http://{HOST}:{server.port}/")
    return True


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
    with servers(workdir) as (baseline, service):
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
            warmups[server.name] = run_wrk(server, script, POOL_MIN, WARMUP_SECONDS, latency=False)
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
                result = run_wrk(server, script, size, args.duration, latency=True)
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


def progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


def targets(baseline: ServerReport, service: ServerReport) -> list[Target]:
    ratio = service.rps / baseline.rps
    return [
        Target(
            f"service throughput >= {TARGET_RATIO:g}x baseline",
            ratio >= TARGET_RATIO,
            f"{ratio:.2f}x",
        ),
        Target(
            f"service p99 < {TARGET_P99_MS:g} ms",
            service.p99_ms < TARGET_P99_MS,
            f"{service.p99_ms:.2f} ms",
        ),
    ]


def rerun_command(args: argparse.Namespace) -> str:
    argv = [
        ".venv/bin/python",
        "bench/sms_webhook.py",
        "--duration",
        str(args.duration),
        "--rounds",
        str(args.rounds),
    ]
    if args.json:
        argv += ["--json", str(args.json)]
    if args.strict:
        argv.append("--strict")
    return shlex.join(argv)


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
    print(f"baseline form parser: {BASELINE_FORM_PARSER}")
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
    print("targets:")
    checked = targets(baseline, service)
    for target in checked:
        print(f"  {'PASS' if target.met else 'MISS'}  {target.label}: {target.figure}")
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
        "baseline_form_parser": BASELINE_FORM_PARSER,
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
    path.write_text(json.dumps(document, indent=2) + "\n")


def bounded(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}")
        return value

    return parse


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
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return parser.parse_args(argv)


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


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
    signal.signal(signal.SIGTERM, _terminate)
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
