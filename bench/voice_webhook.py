"""Load benchmark: the service's new-call webhook against a Twilio-quickstart-style baseline.

Starts both servers on 127.0.0.1, drives each with the same signed new-call request from
wrk at 32 connections, alternating rounds, and prints throughput, latency and memory.
Run it with `make bench` (see bench/README.md). It is a report, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shlex
import shutil
import signal
import socket
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
VOICE_PATH = "/twilio/voice"
FORM_TYPE = "application/x-www-form-urlencoded"

CONNECTIONS = 32
THREADS = 2
WARMUP_SECONDS = 3
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
SETTLE_TIMEOUT_SECONDS = 5.0
MAX_DURATION_SECONDS = 300
MAX_ROUNDS = 10

# The project's own targets for the service.
TARGET_RATIO = 1.5
TARGET_P99_MS = 25.0
TARGET_RSS_MB = 200.0

# Fictional numbers only (555-01xx is reserved for fiction).
CALLER = "+13125550123"
HOTLINE = "+13125550100"
BACKUP = "+13125550111"

# What bench/baseline_app.py parses the form with (it runs on the same interpreter).
BASELINE_FORM_PARSER = (
    "python-multipart" if find_spec("python_multipart") is not None else "urllib.parse.parse_qsl"
)

EXIT_MISS = 1
EXIT_FAILED = 2
EXIT_INTERRUPTED = 130

BASELINE = "baseline"
SERVICE = "service"

RESULT_RE = re.compile(r"^RESULT (?P<fields>.*)$", re.MULTILINE)

LUA_TEMPLATE = """\
wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = {content_type}
wrk.headers["X-Twilio-Signature"] = {signature}

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d "
    .. "connect=%d read=%d write=%d timeout=%d status=%d\\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.timeout, e.status))
end
"""


class BenchError(Exception):
    """The benchmark could not produce trustworthy figures."""


@dataclass(frozen=True, slots=True)
class WrkResult:
    """One wrk run, as its done() hook reported it."""

    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    socket_errors: int
    http_errors: int


@dataclass(slots=True)
class ServerReport:
    """Everything measured for one server."""

    name: str
    rounds: list[WrkResult] = field(default_factory=list)
    rss_idle_mb: float = 0.0
    rss_after_mb: float = 0.0

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

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}{VOICE_PATH}"

    def log_tail(self, lines: int = 20) -> str:
        self.log_file.flush()
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


# --- the request -------------------------------------------------------------------------


def new_call_params() -> dict[str, str]:
    """The form Twilio posts for a new inbound call (the classic field set)."""
    location = {"City": "CHICAGO", "State": "IL", "Zip": "60601", "Country": "US"}
    params = {
        "AccountSid": "AC" + "0" * 32,
        "ApiVersion": "2010-04-01",
        "CallSid": "CA" + secrets.token_hex(16),
        "CallStatus": "ringing",
        "Called": HOTLINE,
        "Caller": CALLER,
        "Direction": "inbound",
        "From": CALLER,
        "To": HOTLINE,
    }
    for prefix in ("Called", "Caller", "From", "To"):
        for suffix, value in location.items():
            params[prefix + suffix] = value
    return dict(sorted(params.items()))


def sign(token: str, public_url: str, params: dict[str, str]) -> str:
    return str(RequestValidator(token).compute_signature(public_url + VOICE_PATH, params))


def lua_string(value: str) -> str:
    """A Lua string literal; the values here are printable ASCII by construction."""
    if not value.isascii() or not value.isprintable():
        raise BenchError("wrk script values must be printable ASCII")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_wrk_script(path: Path, body: str, signature: str) -> Path:
    path.write_text(
        LUA_TEMPLATE.format(
            body=lua_string(body),
            content_type=lua_string(FORM_TYPE),
            signature=lua_string(signature),
        )
    )
    return path


def check_answer(server: Server, body: str, signature: str) -> None:
    """One request by hand: it must be a 200 with a Gather, so we never measure 403s."""
    headers = {"Content-Type": FORM_TYPE, "X-Twilio-Signature": signature}
    try:
        reply = httpx.post(server.url, content=body, headers=headers, timeout=10)
    except httpx.HTTPError as error:
        raise BenchError(f"{server.name}: the check request failed: {error}") from error
    if reply.status_code != 200 or "<Gather" not in reply.text:
        raise BenchError(
            f"{server.name}: the check request got HTTP {reply.status_code} "
            f"without a <Gather> (first 200 bytes: {reply.text[:200]!r}); "
            f"its last output:\n{server.log_tail()}"
        )


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
    }
    argv = [str(VENV_BIN / "hotline"), "serve", "--host", HOST, "--port", str(port)]
    return start(SERVICE, argv, env, workdir, port=port, public_url=public_url, token=token)


def start_baseline(token: str, workdir: Path) -> Server:
    port = free_port()
    public_url = f"http://{HOST}:{port}"
    env = clean_environment() | {"BASELINE_TOKEN": token, "BASELINE_PUBLIC_URL": public_url}
    argv = [
        str(VENV_BIN / "python"),
        "-m",
        "uvicorn",
        "bench.baseline_app:app",
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


# --- wrk ---------------------------------------------------------------------------------


def run_wrk(server: Server, script: Path, seconds: int, *, latency: bool) -> WrkResult:
    argv = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s"]
    if latency:
        argv.append("--latency")
    argv += ["-s", str(script), server.url]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=seconds + 30, check=False
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
        requests=values["requests"],
        duration_s=round(duration_s, 3),
        rps=round(values["requests"] / duration_s, 1),
        p50_ms=values["p50_us"] / 1000,
        p99_ms=values["p99_us"] / 1000,
        max_ms=values["max_us"] / 1000,
        socket_errors=sum(values[key] for key in ("connect", "read", "write", "timeout")),
        http_errors=values["status"],
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
    """Any HTTP answer will do: check_answer() then says whether it is the right one."""
    client.get(f"http://{HOST}:{server.port}/")
    return True


def measure(args: argparse.Namespace, workdir: Path) -> dict[str, ServerReport]:
    params = new_call_params()
    body = urlencode(params)
    reports = {BASELINE: ServerReport(BASELINE), SERVICE: ServerReport(SERVICE)}
    with servers(workdir) as (baseline, service):
        order = (baseline, service)
        scripts: dict[str, Path] = {}
        for server in order:
            signature = sign(server.token, server.public_url, params)
            check_answer(server, body, signature)
            scripts[server.name] = write_wrk_script(workdir / f"{server.name}.lua", body, signature)
            reports[server.name].rss_idle_mb = rss_mb(server.process.pid)
        for server in order:
            progress(f"warming up {server.name} ({WARMUP_SECONDS} s)")
            run_wrk(server, scripts[server.name], WARMUP_SECONDS, latency=False)
            settle(server)
        for round_number in range(1, args.rounds + 1):
            for server in order:
                progress(f"round {round_number}/{args.rounds}: {server.name} ({args.duration} s)")
                result = run_wrk(server, scripts[server.name], args.duration, latency=True)
                reports[server.name].rounds.append(result)
                settle(server)
                reports[server.name].rss_after_mb = rss_mb(server.process.pid)
    return reports


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
        Target(
            f"service RSS < {TARGET_RSS_MB:g} MB",
            service.rss_after_mb < TARGET_RSS_MB,
            f"{service.rss_after_mb:.1f} MB",
        ),
    ]


def rerun_command(args: argparse.Namespace) -> str:
    argv = [
        ".venv/bin/python",
        "bench/voice_webhook.py",
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


def report(args: argparse.Namespace, reports: dict[str, ServerReport]) -> list[Target]:
    baseline, service = reports[BASELINE], reports[SERVICE]
    print()
    print(
        f"POST {VOICE_PATH} (signed new call), wrk -t{THREADS} -c{CONNECTIONS}, "
        f"{args.rounds} x {args.duration} s per server, median of rounds"
    )
    print(f"{'':10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'RSS MB':>8}  rounds req/s")
    for item in (baseline, service):
        per_round = " ".join(f"{r.rps:.0f}" for r in item.rounds)
        print(
            f"{item.name:10} {item.rps:9.1f} {item.p50_ms:8.2f} {item.p99_ms:8.2f} "
            f"{item.rss_after_mb:8.1f}  {per_round}"
        )
    print(f"throughput ratio service/baseline: {service.rps / baseline.rps:.2f}x")
    print(f"baseline form parser: {BASELINE_FORM_PARSER}")
    print(
        f"RSS before load: baseline {baseline.rss_idle_mb:.1f} MB, "
        f"service {service.rss_idle_mb:.1f} MB"
    )
    print("targets:")
    checked = targets(baseline, service)
    for target in checked:
        print(f"  {'PASS' if target.met else 'MISS'}  {target.label}: {target.figure}")
    print(f"rerun: {rerun_command(args)}")
    return checked


def write_json(
    path: Path, args: argparse.Namespace, reports: dict[str, ServerReport], checked: list[Target]
) -> None:
    baseline, service = reports[BASELINE], reports[SERVICE]
    document = {
        "request": f"POST {VOICE_PATH} signed new call",
        "threads": THREADS,
        "connections": CONNECTIONS,
        "warmup_s": WARMUP_SECONDS,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "wrk": wrk_version(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "baseline_form_parser": BASELINE_FORM_PARSER,
        "servers": {
            item.name: {
                "rps": item.rps,
                "p50_ms": item.p50_ms,
                "p99_ms": item.p99_ms,
                "rss_idle_mb": round(item.rss_idle_mb, 1),
                "rss_after_mb": round(item.rss_after_mb, 1),
                "rounds": [asdict(r) for r in item.rounds],
            }
            for item in (baseline, service)
        },
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
        description="Load-test the new-call webhook against a Twilio-quickstart-style baseline."
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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return EXIT_FAILED
    signal.signal(signal.SIGTERM, _terminate)
    try:
        with tempfile.TemporaryDirectory(prefix="hotline-bench-") as tmp:
            reports = measure(args, Path(tmp))
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("bench: interrupted; both servers were stopped", file=sys.stderr)
        return EXIT_INTERRUPTED
    checked = report(args, reports)
    if args.json:
        write_json(args.json, args, reports, checked)
        print(f"results written to {args.json}")
    failures = [
        f"{item.name}: {item.http_errors} HTTP error responses, {item.socket_errors} socket errors"
        for item in reports.values()
        if item.http_errors or item.socket_errors
    ]
    if failures:
        print("bench: requests failed under load:\n  " + "\n  ".join(failures), file=sys.stderr)
        return EXIT_FAILED
    if args.strict and not all(target.met for target in checked):
        return EXIT_MISS
    return 0


if __name__ == "__main__":
    sys.exit(main())
