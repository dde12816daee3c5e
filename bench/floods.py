"""Flood benchmark: how long a genuine call webhook waits while the service is flooded.

Starts `hotline serve` on 127.0.0.1 with production settings (SQLite, a loopback public
URL), then times signed new-call webhooks, one at a time and each on a new connection,
in alternating phases: quiet, and under a flood of connections trickling bodies and
connections posting 1 MiB forged forms in a loop (bench/flood_traffic.py). Prints
p50/p90/p99/max per phase and the service's memory. tests/test_floods.py asserts a
generous bound under the same flood; this measures it. See bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import secrets
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

if __package__ in (None, ""):  # run as a script: make the bench package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.flood_traffic import COUNTS, new_counts, start_flood, stop_flood
from bench.harness import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_MISS,
    FORM_TYPE,
    HOST,
    BenchError,
    Server,
    Target,
    add_output_options,
    bounded,
    print_targets,
    progress,
    raise_interrupt,
    rerun_line,
    rss_mb,
    service_health,
    start_service,
    stop,
    wait_ready,
    write_document,
)

VOICE_PATH = "/twilio/voice"
FLOOD_WARMUP_SECONDS = 2.0
PAUSE_SECONDS = 0.02  # between two genuine calls: a call at a time, not a throughput test
WARMUP_CALLS = 20
TWILIO_GIVES_UP_SECONDS = 15.0
# The aim under a flood, and the project's memory target.
TARGET_MAX_MS = 1000.0
TARGET_RSS_MB = 200.0
# Fictional numbers; the backup is outside 555-01xx, which a production start refuses.
CALLER, HOTLINE, BACKUP = "+13125550123", "+13125550100", "+13125551234"
ACCOUNT_SID = "AC" + "be" * 16


def genuine_call(service: Server) -> float:
    """One signed new-call webhook on a new connection: its seconds, or inf past 15 s."""
    from twilio.request_validator import RequestValidator

    params = {"AccountSid": ACCOUNT_SID, "CallSid": "CA" + secrets.token_hex(16)}
    params |= {"CallStatus": "ringing", "Direction": "inbound", "From": CALLER, "To": HOTLINE}
    signer = RequestValidator(service.token)
    signature = signer.compute_signature(service.public_url + VOICE_PATH, params)
    headers = {"Content-Type": FORM_TYPE, "X-Twilio-Signature": signature}
    connection = http.client.HTTPConnection(HOST, service.port, timeout=TWILIO_GIVES_UP_SECONDS)
    started = time.perf_counter()
    try:
        connection.request("POST", VOICE_PATH, urlencode(params), headers)
        answer = connection.getresponse()
        body = answer.read()
    except TimeoutError:
        return math.inf
    finally:
        connection.close()
    elapsed = time.perf_counter() - started
    if answer.status != 200 or b"<Gather" not in body:
        raise BenchError(f"a genuine call got HTTP {answer.status} without a <Gather>")
    return elapsed


def calls(service: Server, *, seconds: float = 0.0, count: int = 0) -> list[float]:
    """Genuine calls one after another, for `seconds` or `count` of them."""
    timings: list[float] = []
    ends = time.monotonic() + seconds
    while len(timings) < count or time.monotonic() < ends:
        timings.append(genuine_call(service))
        time.sleep(PAUSE_SECONDS)
    return timings


class PeakMemory:
    """The service's highest RSS, sampled every 0.2 s inside the `with`."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_mb = pid, rss_mb(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak_mb = max(self.peak_mb, rss_mb(self.pid))

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Results:
    quiet: list[float] = field(default_factory=list)
    flood: list[float] = field(default_factory=list)
    rss_idle_mb: float = 0.0
    rss_peak_mb: float = 0.0
    rss_after_mb: float = 0.0
    flood_seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


@contextmanager
def running_service(workdir: Path) -> Iterator[Server]:
    """`hotline serve`, ready, with production settings; stopped on the way out."""
    service = start_service(secrets.token_hex(16), workdir, VOICE_PATH, BACKUP, {})
    try:
        wait_ready(service, lambda client: client.get(service_health(service)).status_code == 200)
        yield service
    finally:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C waits
        try:
            stop(service)
        finally:
            signal.signal(signal.SIGINT, previous)


def measure(args: argparse.Namespace, workdir: Path) -> Results:
    results = Results()
    counts = new_counts()
    with running_service(workdir) as service:
        calls(service, count=WARMUP_CALLS)  # the first calls fill caches: not counted
        results.rss_idle_mb = rss_mb(service.process.pid)
        for number in range(1, args.rounds + 1):
            progress(f"round {number}/{args.rounds}: quiet ({args.seconds} s)")
            results.quiet += calls(service, seconds=args.seconds)
            progress(f"round {number}/{args.rounds}: flood ({args.seconds} s)")
            with PeakMemory(service.process.pid) as memory:
                try:
                    flood = start_flood(service.port, args.trickles, args.forgers, counts)
                except RuntimeError as error:
                    raise BenchError(str(error)) from None
                try:
                    time.sleep(FLOOD_WARMUP_SECONDS)
                    results.flood += calls(service, seconds=args.seconds)
                finally:
                    results.flood_seconds += stop_flood(flood)
            results.rss_peak_mb = max(results.rss_peak_mb, memory.peak_mb)
            if service.process.poll() is not None:
                raise BenchError(f"the service died under the flood:\n{service.log_tail()}")
            time.sleep(1.0)  # the service closes what the flood left open
        results.rss_after_mb = rss_mb(service.process.pid)
    results.counts = dict(zip(COUNTS, counts, strict=True))
    return results


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending sequence."""
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def figures(timings: list[float]) -> dict[str, float]:
    ordered = sorted(timings)
    row = {"calls": float(len(ordered)), "over_15_s": float(ordered.count(math.inf))}
    for name, fraction in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("max", 1.0)):
        row[f"{name}_ms"] = round(percentile(ordered, fraction) * 1000, 3)
    return row


def targets(results: Results) -> list[Target]:
    worst = figures(results.flood)["max_ms"]
    return [
        Target(
            f"under the flood every call answered within {TARGET_MAX_MS:g} ms",
            worst < TARGET_MAX_MS,
            f"max {worst:.1f} ms",
        ),
        Target(
            f"service RSS under the flood < {TARGET_RSS_MB:g} MB",
            results.rss_peak_mb < TARGET_RSS_MB,
            f"{results.rss_peak_mb:.1f} MB",
        ),
    ]


def rerun_command(args: argparse.Namespace) -> str:
    options = ["--seconds", str(args.seconds), "--rounds", str(args.rounds)]
    options += ["--trickles", str(args.trickles), "--forgers", str(args.forgers)]
    return rerun_line("floods.py", options, args)


def report(args: argparse.Namespace, results: Results, load: float) -> list[Target]:
    count = results.counts
    forms = count["forms_refused"] + count["forms_cut"] + count["other"]
    seconds = results.flood_seconds or 1.0
    print(
        f"\nPOST {VOICE_PATH} (signed new call, one at a time, a new connection each), "
        f"{args.rounds} rounds of {args.seconds} s quiet then {args.seconds} s flooded\n"
        f"flood: {args.trickles} connections trickling a body (a byte a second, reopened "
        f"when cut), {args.forgers} posting 1 MiB forged forms in a loop (half chunked)\n"
        f"{'phase':8} {'calls':>6} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    )
    for name, timings in (("quiet", results.quiet), ("flood", results.flood)):
        row = figures(timings)
        late = f"  ({row['over_15_s']:.0f} past 15 s)" if row["over_15_s"] else ""
        print(
            f"{name:8} {row['calls']:6.0f} {row['p50_ms']:8.2f} {row['p90_ms']:8.2f} "
            f"{row['p99_ms']:8.2f} {row['max_ms']:8.2f}{late}"
        )
    print(
        f"flood traffic, {seconds:.0f} s in all: {forms} forged forms ({forms / seconds:.0f}/s: "
        f"{count['forms_refused']} answered 403/413, {count['forms_cut']} cut while sending, "
        f"{count['other']} other), {count['trickles_cut']} trickles cut by the service "
        "and reopened\n"
        f"service RSS: idle {results.rss_idle_mb:.1f} MB, peak under the flood "
        f"{results.rss_peak_mb:.1f} MB, after {results.rss_after_mb:.1f} MB\n"
        f"load average before the run: {load:.2f} ({os.cpu_count()} CPUs)"
    )
    checked = targets(results)
    print_targets(checked)
    print(f"rerun: {rerun_command(args)}")
    return checked


def write_json(
    path: Path, args: argparse.Namespace, results: Results, checked: list[Target]
) -> None:
    document = {
        "request": f"POST {VOICE_PATH} signed new call, one at a time, a new connection each",
        "options": {key: vars(args)[key] for key in ("seconds", "rounds", "trickles", "forgers")},
        "cpus": os.cpu_count(),
        "quiet": figures(results.quiet),
        "flood": figures(results.flood),
        "flood_counts": results.counts,
        "flood_seconds": round(results.flood_seconds, 1),
        "rss_mb": {"idle": results.rss_idle_mb, "peak_flood": results.rss_peak_mb},
        "targets": [asdict(target) for target in checked],
        "command": rerun_command(args),
    }
    write_document(path, document)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time a genuine call webhook with and without a flood of the service."
    )
    for option, low, high, default, text in (
        ("--seconds", 1, 300, 12, "seconds per phase (default 12: the service cuts at 10)"),
        ("--rounds", 1, 10, 2, "quiet and flooded phases, alternating (default 2)"),
        ("--trickles", 0, 2000, 300, "connections trickling a body (default 300)"),
        ("--forgers", 0, 64, 8, "connections posting 1 MiB forged forms (default 8)"),
    ):
        parser.add_argument(option, type=bounded(low, high), default=default, help=text)
    add_output_options(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, raise_interrupt)
    load = os.getloadavg()[0]
    try:
        with tempfile.TemporaryDirectory(prefix="hotline-floods-") as tmp:
            results = measure(args, Path(tmp))
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("bench: interrupted; the service and the flood were stopped", file=sys.stderr)
        return EXIT_INTERRUPTED
    checked = report(args, results, load)
    if args.json:
        write_json(args.json, args, results, checked)
        print(f"results written to {args.json}")
    if args.strict and not all(target.met for target in checked):
        return EXIT_MISS
    return 0


if __name__ == "__main__":
    sys.exit(main())
