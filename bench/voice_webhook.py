"""Load benchmark: the service's new-call webhook against a Twilio-quickstart-style baseline.

Starts both servers on 127.0.0.1, drives each with the same signed new-call request from
wrk at 32 connections, alternating rounds, and prints throughput, latency and memory.
Run it with `make bench` (see bench/README.md). It is a report, not a test.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import shutil
import signal
import sys
import tempfile
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

VOICE_PATH = "/twilio/voice"

CONNECTIONS = 32
THREADS = 2
WARMUP_SECONDS = 3
MAX_DURATION_SECONDS = 300
MAX_ROUNDS = 10

# The project's own targets for the service.
TARGET_RATIO = 1.5
TARGET_P99_MS = 25.0
TARGET_RSS_MB = 200.0

# Fictional numbers only (555-01xx is reserved for fiction).
CALLER = "+13125550123"
HOTLINE = "+13125550100"
# Not 555-01xx, which a production start refuses as fictional; nothing is dialled.
BACKUP = "+13125551234"

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
class ServerReport(ServerRounds):
    """Everything measured for one server."""

    rounds: list[WrkResult] = field(default_factory=list)


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


# --- wrk ---------------------------------------------------------------------------------


def wrk_run(server: Server, script: Path, seconds: int, *, latency: bool) -> WrkResult:
    values = run_wrk(
        server, script, seconds, threads=THREADS, connections=CONNECTIONS, latency=latency
    )
    return WrkResult(**wrk_figures(values))


# --- the run -----------------------------------------------------------------------------


def measure(args: argparse.Namespace, workdir: Path) -> dict[str, ServerReport]:
    params = new_call_params()
    body = urlencode(params)
    reports = {BASELINE: ServerReport(BASELINE), SERVICE: ServerReport(SERVICE)}
    with servers(workdir, VOICE_PATH, "bench.baseline_app:app", BACKUP) as (baseline, service):
        order = (baseline, service)
        scripts: dict[str, Path] = {}
        for server in order:
            signature = sign(server.token, server.public_url, params)
            check_answer(server, body, signature)
            scripts[server.name] = write_wrk_script(workdir / f"{server.name}.lua", body, signature)
            reports[server.name].rss_idle_mb = rss_mb(server.process.pid)
        for server in order:
            progress(f"warming up {server.name} ({WARMUP_SECONDS} s)")
            wrk_run(server, scripts[server.name], WARMUP_SECONDS, latency=False)
            settle(server)
        for round_number in range(1, args.rounds + 1):
            for server in order:
                progress(f"round {round_number}/{args.rounds}: {server.name} ({args.duration} s)")
                result = wrk_run(server, scripts[server.name], args.duration, latency=True)
                reports[server.name].rounds.append(result)
                settle(server)
                reports[server.name].rss_after_mb = rss_mb(server.process.pid)
    return reports


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
    options = ["--duration", str(args.duration), "--rounds", str(args.rounds)]
    return rerun_line("voice_webhook.py", options, args)


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
    print(f"baseline form parser: {FORM_PARSER}")
    print(
        f"RSS before load: baseline {baseline.rss_idle_mb:.1f} MB, "
        f"service {service.rss_idle_mb:.1f} MB"
    )
    checked = targets(baseline, service)
    print_targets(checked)
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
        "baseline_form_parser": FORM_PARSER,
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
    write_document(path, document)


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
    add_output_options(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return EXIT_FAILED
    signal.signal(signal.SIGTERM, raise_interrupt)
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
