"""Shared plumbing of the load benchmarks: servers, wrk, memory, options and verdicts."""

# Kept light on purpose: bench/baseline_app.py and bench/sms_baseline_app.py import this
# module inside the measured server, so whatever that process would not load anyway
# (httpx, argparse, statistics) is imported only in the functions that need it.

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Any, Protocol, TypedDict

if TYPE_CHECKING:
    import argparse

    import httpx
    from fastapi import FastAPI, Request, Response

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = REPO / ".venv" / "bin"
HOST = "127.0.0.1"
FORM_TYPE = "application/x-www-form-urlencoded"

START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
SETTLE_TIMEOUT_SECONDS = 5.0

EXIT_MISS = 1
EXIT_FAILED = 2
EXIT_INTERRUPTED = 130

BASELINE = "baseline"
SERVICE = "service"

# What the baseline apps parse the form with (they run on the same interpreter).
HAS_MULTIPART = find_spec("python_multipart") is not None
FORM_PARSER = "python-multipart" if HAS_MULTIPART else "urllib.parse.parse_qsl"

RESULT_RE = re.compile(r"^RESULT (?P<fields>.*)$", re.MULTILINE)


class BenchError(Exception):
    """The benchmark could not produce trustworthy figures."""


@dataclass(frozen=True, slots=True)
class Target:
    """One of the project's targets, and whether this run met it."""

    label: str
    met: bool
    figure: str


def verdict(met: bool) -> str:
    """PASS or MISS."""
    return "PASS" if met else "MISS"


def print_targets(checked: Sequence[Target]) -> None:
    """The "targets:" block of a report, one PASS or MISS line each."""
    print("targets:")
    for target in checked:
        print(f"  {verdict(target.met)}  {target.label}: {target.figure}")


def progress(message: str) -> None:
    """A progress note on stderr, so stdout keeps only the report."""
    print(f"  .. {message}", file=sys.stderr, flush=True)


# --- options -----------------------------------------------------------------------------


def _number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


def bounded(low: float, high: float, kind: Callable[[str], Any] = int) -> Callable[[str], Any]:
    """An argparse type: `kind(text)`, refused outside [low, high]."""

    import argparse

    def parse(text: str) -> Any:
        value = kind(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {_number(low)} and {_number(high)}")
        return value

    return parse


def add_output_options(
    parser: argparse.ArgumentParser, strict_help: str = "exit 1 when a target is missed"
) -> None:
    """The --json and --strict options every benchmark takes."""
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--strict", action="store_true", help=strict_help)


def rerun_line(script: str, options: Sequence[str], args: argparse.Namespace) -> str:
    """The shell command that reruns `bench/<script>` with these options."""
    argv = [".venv/bin/python", f"bench/{script}", *options]
    if args.json:
        argv += ["--json", str(args.json)]
    if args.strict:
        argv.append("--strict")
    return shlex.join(argv)


def write_document(path: Path, document: Mapping[str, Any], *, ensure_ascii: bool = True) -> None:
    """Write a --json document, indented, with a final newline."""
    text = json.dumps(document, indent=2, ensure_ascii=ensure_ascii) + "\n"
    if ensure_ascii:
        path.write_text(text)
    else:
        path.write_text(text, encoding="utf-8")


def raise_interrupt(signum: int, _frame: FrameType | None) -> None:
    """A signal handler that turns SIGTERM into KeyboardInterrupt, so clean-up runs."""
    raise KeyboardInterrupt(f"signal {signum}")


# --- processes ---------------------------------------------------------------------------


@dataclass
class Server:
    """A server process we started, and where its output goes."""

    name: str
    port: int
    path: str
    public_url: str
    token: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]
    data_dir: Path | None = None

    @property
    def url(self) -> str:
        """The URL wrk and the checks post to."""
        return f"http://{HOST}:{self.port}{self.path}"

    def log_tail(self, lines: int = 20) -> str:
        """The server's last lines of output."""
        self.log_file.flush()
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    """A TCP port on HOST that nothing listens on right now."""
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
    """Start a server process, its output going to `<workdir>/<name>.log`."""
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


def start_service(
    token: str, workdir: Path, path: str, backup: str, extra_env: Mapping[str, str]
) -> Server:
    """`hotline serve` on a free port, with a fresh data folder in `workdir`."""
    port = free_port()
    public_url = f"http://{HOST}:{port}"
    data_dir = workdir / "service-data"
    data_dir.mkdir()
    env = (
        clean_environment()
        | {
            "HOTLINE_DATA_DIR": str(data_dir),
            "TWILIO_ACCOUNT_SID": "AC" + "be" * 16,
            "TWILIO_AUTH_TOKEN": token,
            # Nothing listens there: whatever the service would send goes nowhere.
            "HOTLINE_TWILIO_API_URL": f"http://{HOST}:9",
            "HOTLINE_SECRET_KEY": secrets.token_hex(20),
            "HOTLINE_PUBLIC_URL": public_url,
            "HOTLINE_BACKUP_NUMBER": backup,
            "HOTLINE_LOG_LEVEL": "WARNING",
        }
        | dict(extra_env)
    )
    argv = [str(VENV_BIN / "hotline"), "serve", "--host", HOST, "--port", str(port)]
    return start(
        SERVICE,
        argv,
        env,
        workdir,
        port=port,
        path=path,
        public_url=public_url,
        token=token,
        data_dir=data_dir,
    )


def start_baseline(token: str, workdir: Path, path: str, app: str) -> Server:
    """The baseline ASGI `app` under uvicorn on a free port."""
    port = free_port()
    public_url = f"http://{HOST}:{port}"
    env = clean_environment() | {"BASELINE_TOKEN": token, "BASELINE_PUBLIC_URL": public_url}
    argv = [
        str(VENV_BIN / "python"),
        "-m",
        "uvicorn",
        app,
        "--host",
        HOST,
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return start(
        BASELINE, argv, env, workdir, port=port, path=path, public_url=public_url, token=token
    )


def wait_ready(server: Server, probe: Callable[[httpx.Client], bool]) -> None:
    """Poll `probe` until it holds; fail if the server exits or takes too long."""
    import httpx

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
    """Terminate the server (kill it if it lingers) and close its log."""
    process = server.process
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
    server.log_file.close()


def service_health(server: Server) -> str:
    """The service's health-check URL."""
    return f"http://{HOST}:{server.port}/healthz"


def baseline_listens(client: httpx.Client, server: Server) -> bool:
    """Any HTTP answer will do: the script's own check then says whether it is the right one."""
    client.get(f"http://{HOST}:{server.port}/")
    return True


@contextmanager
def servers(
    workdir: Path,
    path: str,
    baseline_app: str,
    backup: str,
    service_env: Mapping[str, str] | None = None,
) -> Iterator[tuple[Server, Server]]:
    """Both servers, ready; both stopped on the way out, whatever happens."""
    started: list[Server] = []
    try:
        baseline = start_baseline(secrets.token_hex(16), workdir, path, baseline_app)
        started.append(baseline)
        service = start_service(secrets.token_hex(16), workdir, path, backup, service_env or {})
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


# --- memory and CPU ----------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` in MB (MiB, as the kernel counts kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise BenchError(f"no VmRSS for process {pid}")


def cpu_ticks(pid: int) -> int:
    """CPU time `pid` has used, user and system, in clock ticks."""
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


def lua_string(value: str) -> str:
    """A Lua string literal; the values here are printable ASCII by construction."""
    if not value.isascii() or not value.isprintable():
        raise BenchError("wrk script values must be printable ASCII")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class WrkFigures(TypedDict):
    """The figures every wrk run reports, as WrkResult fields."""

    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    socket_errors: int
    http_errors: int


def run_wrk(
    server: Server,
    script: Path,
    seconds: int,
    *,
    threads: int,
    connections: int,
    latency: bool,
    wrk_timeout: int | None = None,
    grace: int = 30,
) -> dict[str, int]:
    """Run wrk against the server and return the numbers its script's RESULT line printed."""
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s"]
    if wrk_timeout is not None:
        argv += ["--timeout", f"{wrk_timeout}s"]
    if latency:
        argv.append("--latency")
    argv += ["-s", str(script), server.url]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=seconds + grace, check=False
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
    return {key: int(value) for key, value in (part.split("=") for part in match["fields"].split())}


def wrk_figures(values: Mapping[str, int]) -> WrkFigures:
    """Throughput, latency and errors from a RESULT line's numbers."""
    duration_s = values["duration_us"] / 1e6
    return WrkFigures(
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
    """wrk's version line."""
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    lines = (done.stdout or done.stderr).splitlines()
    return lines[0].strip() if lines else "wrk"


class RoundFigures(Protocol):
    """What a server report needs from each of its wrk rounds."""

    @property
    def rps(self) -> float: ...
    @property
    def p50_ms(self) -> float: ...
    @property
    def p99_ms(self) -> float: ...
    @property
    def socket_errors(self) -> int: ...
    @property
    def http_errors(self) -> int: ...


@dataclass(slots=True)
class ServerRounds:
    """A server's wrk rounds and memory, with the medians and error totals of the rounds."""

    name: str
    rounds: list[Any] = field(default_factory=list)
    rss_idle_mb: float = 0.0
    rss_after_mb: float = 0.0

    def _rounds(self) -> list[RoundFigures]:
        return self.rounds

    @property
    def rps(self) -> float:
        """Median requests per second."""
        return median(r.rps for r in self._rounds())

    @property
    def p50_ms(self) -> float:
        """Median p50 latency."""
        return median(r.p50_ms for r in self._rounds())

    @property
    def p99_ms(self) -> float:
        """Median p99 latency."""
        return median(r.p99_ms for r in self._rounds())

    @property
    def socket_errors(self) -> int:
        """Socket errors over all rounds."""
        return sum(r.socket_errors for r in self._rounds())

    @property
    def http_errors(self) -> int:
        """Answers of 400 or more over all rounds."""
        return sum(r.http_errors for r in self._rounds())


def median(values: Iterable[float]) -> float:
    """statistics.median, imported only when a driver needs it."""
    import statistics

    return statistics.median(values)


# --- the baseline apps -------------------------------------------------------------------


def required_env(name: str) -> str:
    """The stripped value of environment variable `name`; it must be set."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise RuntimeError(f"{name} must be set for the baseline app")
    return value


def signature_guard(token: str, public_url: str) -> Callable[[Request], Awaitable[Response | None]]:
    """The quickstart preamble: parse the form, a 403 unless Twilio signed it, else None."""
    from urllib.parse import parse_qsl

    from fastapi import Response
    from starlette.datastructures import FormData, UploadFile
    from twilio.request_validator import RequestValidator

    async def rejection(request: Request) -> Response | None:
        if HAS_MULTIPART:
            form = await request.form()
        else:
            body = (await request.body()).decode("utf-8", "replace")
            fields: list[tuple[str, str | UploadFile]] = list(
                parse_qsl(body, keep_blank_values=True)
            )
            form = FormData(fields)
        url = public_url + request.url.path
        if request.url.query:
            url += "?" + request.url.query
        signature = request.headers.get("X-Twilio-Signature", "")
        if not RequestValidator(token).validate(url, form, signature):
            return Response("invalid signature", status_code=403, media_type="text/plain")
        return None

    return rejection


def baseline_app() -> FastAPI:
    """A FastAPI app without the docs routes, as the quickstarts would leave it."""
    from fastapi import FastAPI

    return FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
