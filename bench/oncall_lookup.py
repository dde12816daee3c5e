"""Benchmark: who is on call, looked up in a large roster snapshot.

Builds a `RosterSnapshot` from a seeded, generated roster (volunteers speaking random
subsets of the ten languages, weekly and one-off shifts in the hotline's time zone, some
covers), times the build once, then times `on_call(at, language)`, `on_call(at)` and
`gaps(language, start, start + 7 days)` one call at a time, and prints the figures
against the project's target. Run it with `.venv/bin/python bench/oncall_lookup.py`
(see bench/README.md). It is a report, not a test.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hotline.routing.oncall import CoverSpec, Person, RosterSnapshot, ShiftSpec, occurrences

if __package__ in (None, ""):  # run as a script: make the bench package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_MISS,
    BenchError,
    Target,
    add_output_options,
    bounded,
    print_targets,
    rerun_line,
    write_document,
)

CODES = ("en", "es", "zh", "pl", "ar", "uk", "ru", "fr", "ht", "tl")
TIMEZONE = ZoneInfo("America/Chicago")
# Friday noon in Chicago; the snapshot's window reaches over the 2026-03-08 change to
# daylight-saving time, so weekly shifts are expanded across it.
TAKEN_AT = datetime(2026, 3, 6, 18, 0, tzinfo=UTC)
# RosterSnapshot's own default horizon.
HORIZON = timedelta(days=8)
GAPS_SPAN = timedelta(days=7)

# Shape of the generated roster.
LANGUAGE_COUNTS = (1, 2, 3)
LANGUAGE_COUNT_WEIGHTS = (5, 4, 1)
WEEKLY_SHARE = 0.6
WEEKLY_UNTIL_SHARE = 0.2
WEEKS_BACK = 8
SHIFT_HOURS = (2, 12)
OFF_SHARE = 0.05
BREAK_SHARE = 0.05
INACTIVE_SHARE = 0.03

WARMUP_LOOKUPS = 200
# The whole run stops measuring once this much time has gone by.
BUDGET_SECONDS = 50.0
DEADLINE_CHECK_EVERY = 256

# The project's target for one lookup.
TARGET_SECONDS = 0.001


@dataclass(frozen=True, slots=True)
class Roster:
    people: list[Person]
    shifts: list[ShiftSpec]
    covers: list[CoverSpec]


@dataclass(frozen=True, slots=True)
class Timing:
    """Seconds per call of one kind of lookup."""

    name: str
    calls: int
    mean: float
    p50: float
    p99: float
    max: float
    mean_result: float
    full_collections: int
    collection_seconds: float


# --- the roster --------------------------------------------------------------------------


def local_start(rng: random.Random, day: datetime) -> datetime:
    """A shift start on local `day` (midnight, aware), at a whole or half hour."""
    minutes = rng.randrange(0, 24 * 60, 30)
    wall = day.replace(tzinfo=None) + timedelta(minutes=minutes)
    return wall.replace(tzinfo=TIMEZONE)


def generate(args: argparse.Namespace, window: tuple[datetime, datetime]) -> Roster:
    rng = random.Random(args.seed)
    now = TAKEN_AT
    people = []
    for person_id in range(1, args.volunteers + 1):
        count = rng.choices(LANGUAGE_COUNTS, LANGUAGE_COUNT_WEIGHTS)[0]
        draw = rng.random()
        availability = "off" if draw < OFF_SHARE else "on"
        break_until = None
        if OFF_SHARE <= draw < OFF_SHARE + BREAK_SHARE:
            availability = "break"
            break_until = now + timedelta(hours=rng.uniform(-24, 72))
        people.append(
            Person(
                id=person_id,
                name=f"Volunteer {person_id}",
                languages=tuple(rng.sample(CODES, count)),
                active=rng.random() >= INACTIVE_SHARE,
                availability=availability,
                break_until=break_until,
            )
        )
    midnight = now.astimezone(TIMEZONE).replace(hour=0, minute=0, second=0, microsecond=0)
    low, high = SHIFT_HOURS
    shifts = []
    for shift_id in range(1, args.shifts + 1):
        weekly = rng.random() < WEEKLY_SHARE
        if weekly:
            # Started some weeks ago, on any day of the week: running now.
            day = midnight - timedelta(days=7 * rng.randint(0, WEEKS_BACK) + rng.randrange(7))
        else:
            day = midnight + timedelta(days=rng.randint(-1, 8))
        starts = local_start(rng, day).astimezone(UTC)
        ends = starts + timedelta(hours=rng.randint(low, high))
        repeat_until = None
        if weekly and rng.random() < WEEKLY_UNTIL_SHARE:
            repeat_until = now + timedelta(days=rng.uniform(-3, 30))
        shifts.append(
            ShiftSpec(
                id=shift_id,
                volunteer_id=rng.randint(1, args.volunteers),
                starts_at=starts,
                ends_at=ends,
                weekly=weekly,
                repeat_until=repeat_until,
            )
        )
    return Roster(people, shifts, generate_covers(rng, args, shifts, window))


def generate_covers(
    rng: random.Random,
    args: argparse.Namespace,
    shifts: Sequence[ShiftSpec],
    window: tuple[datetime, datetime],
) -> list[CoverSpec]:
    """Covers over part of a shift's occurrence inside the snapshot's window."""
    covers: list[CoverSpec] = []
    attempts = 0
    while len(covers) < args.covers:
        attempts += 1
        if attempts > 20 * args.covers + 100:
            raise BenchError(f"only {len(covers)} of {args.covers} covers fit the window")
        shift = rng.choice(shifts)
        found = list(occurrences(shift, TIMEZONE, *window))
        if not found:
            continue
        begins, ends = rng.choice(found)
        hours = (ends - begins) / timedelta(hours=1)
        start = begins + timedelta(hours=rng.uniform(0, hours / 2))
        end = min(ends, start + timedelta(hours=rng.uniform(1, hours)))
        covers.append(
            CoverSpec(
                id=len(covers) + 1,
                shift_id=shift.id,
                volunteer_id=rng.randint(1, args.volunteers),
                starts_at=start,
                ends_at=end,
            )
        )
    return covers


# --- timing --------------------------------------------------------------------------------


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending sequence."""
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


class Collections:
    """Full (generation 2) garbage collections while it is installed, and their pauses."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.count += 1
            self.seconds += time.perf_counter() - self._started


def time_calls(name: str, calls: Sequence[Callable[[], Sequence[Any]]], deadline: float) -> Timing:
    """Each call timed on its own with perf_counter; stops early at `deadline` (after at
    least one call)."""
    seconds: list[float] = []
    sizes = 0
    collections = Collections()
    gc.callbacks.append(collections)
    try:
        for index, call in enumerate(calls):
            if index and index % DEADLINE_CHECK_EVERY == 0 and time.perf_counter() > deadline:
                break
            started = time.perf_counter()
            result = call()
            seconds.append(time.perf_counter() - started)
            sizes += len(result)
    finally:
        gc.callbacks.remove(collections)
    ordered = sorted(seconds)
    return Timing(
        name=name,
        calls=len(seconds),
        mean=sum(seconds) / len(seconds),
        p50=percentile(ordered, 0.50),
        p99=percentile(ordered, 0.99),
        max=ordered[-1],
        mean_result=sizes / len(seconds),
        full_collections=collections.count,
        collection_seconds=collections.seconds,
    )


@dataclass(frozen=True, slots=True)
class Results:
    roster: dict[str, int]
    build_seconds: float
    intervals: int | None
    buckets: int | None
    lookups: list[Timing]
    gaps: Timing
    load: float


def measure(args: argparse.Namespace, began: float) -> Results:
    load = os.getloadavg()[0]
    deadline = began + BUDGET_SECONDS
    window = (TAKEN_AT - timedelta(days=1), TAKEN_AT + HORIZON)
    roster = generate(args, window)
    started = time.perf_counter()
    snapshot = RosterSnapshot(
        people=roster.people,
        shifts=roster.shifts,
        covers=roster.covers,
        timezone=TIMEZONE,
        taken_at=TAKEN_AT,
        horizon=HORIZON,
    )
    build_seconds = time.perf_counter() - started
    # The hour index is private; it is read only to describe the load, when it is there.
    index = getattr(snapshot, "_by_hour", None)
    intervals = sum(len(bucket) for bucket in index.values()) if isinstance(index, dict) else None
    buckets = len(index) if isinstance(index, dict) else None

    rng = random.Random(args.seed + 1)
    span = (snapshot.window[1] - TAKEN_AT).total_seconds()
    instants = [TAKEN_AT + timedelta(seconds=rng.uniform(0, span)) for _ in range(args.lookups)]
    languages = [rng.choice(CODES) for _ in range(args.lookups)]
    for at, language in zip(instants[:WARMUP_LOOKUPS], languages, strict=False):
        snapshot.on_call(at, language)
    with_language = [
        (lambda at=at, language=language: snapshot.on_call(at, language))
        for at, language in zip(instants, languages, strict=True)
    ]
    without_language = [(lambda at=at: snapshot.on_call(at)) for at in instants]
    gap_calls = [
        (lambda code=code: snapshot.gaps(code, TAKEN_AT, TAKEN_AT + GAPS_SPAN))
        for code in (CODES * math.ceil(args.gaps_runs / len(CODES)))[: args.gaps_runs]
    ]
    lookups = [
        time_calls("on_call(at, language)", with_language, deadline),
        time_calls("on_call(at)", without_language, deadline),
    ]
    gaps = time_calls("gaps(language, 7 days)", gap_calls, deadline)
    weekly = sum(1 for shift in roster.shifts if shift.weekly)
    return Results(
        roster={
            "volunteers": len(roster.people),
            "shifts": len(roster.shifts),
            "weekly_shifts": weekly,
            "one_off_shifts": len(roster.shifts) - weekly,
            "covers": len(roster.covers),
        },
        build_seconds=build_seconds,
        intervals=intervals,
        buckets=buckets,
        lookups=lookups,
        gaps=gaps,
        load=load,
    )


# --- the report ----------------------------------------------------------------------------


def targets(results: Results) -> list[Target]:
    return [
        Target(
            f"{timing.name}: p99 under {TARGET_SECONDS * 1000:g} ms per lookup",
            timing.p99 < TARGET_SECONDS,
            f"p99 {timing.p99 * 1000:.3f} ms, mean {timing.mean * 1000:.3f} ms",
        )
        for timing in results.lookups
    ]


def rerun_command(args: argparse.Namespace) -> str:
    options = [
        "--volunteers",
        str(args.volunteers),
        "--shifts",
        str(args.shifts),
        "--covers",
        str(args.covers),
        "--lookups",
        str(args.lookups),
        "--gaps-runs",
        str(args.gaps_runs),
        "--seed",
        str(args.seed),
    ]
    return rerun_line("oncall_lookup.py", options, args)


def report(args: argparse.Namespace, results: Results, elapsed: float) -> list[Target]:
    roster = results.roster
    print()
    print(
        f"on-call lookup: RosterSnapshot of {roster['volunteers']} volunteers, "
        f"{roster['shifts']} shifts ({roster['weekly_shifts']} weekly, "
        f"{roster['one_off_shifts']} one-off), {roster['covers']} covers; "
        f"{TIMEZONE.key}, seed {args.seed}"
    )
    print(
        f"snapshot taken at {TAKEN_AT:%Y-%m-%d %H:%M} UTC, window -1 d to +{HORIZON.days} d "
        f"(over the 2026-03-08 daylight-saving change); Python {platform.python_version()}"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, load average {results.load:.2f} before the run "
        "(other processes' work shows in p99 and max)"
    )
    index = ""
    if results.intervals is not None and results.buckets:
        index = (
            f", {results.intervals} interval entries in {results.buckets} hour buckets "
            f"(mean {results.intervals / results.buckets:.0f} per bucket)"
        )
    print(f"build: {results.build_seconds:.2f} s{index}")
    print(
        f"{'call':26} {'calls':>6} {'mean us':>9} {'p50 us':>9} {'p99 us':>9} {'max us':>9} "
        f"{'mean result':>12}  full GCs"
    )
    for timing in [*results.lookups, results.gaps]:
        print(
            f"{timing.name:26} {timing.calls:>6} {timing.mean * 1e6:>9.1f} "
            f"{timing.p50 * 1e6:>9.1f} {timing.p99 * 1e6:>9.1f} {timing.max * 1e6:>9.1f} "
            f"{timing.mean_result:>12.1f}  {timing.full_collections} "
            f"({timing.collection_seconds * 1000:.0f} ms)"
        )
    print(
        "mean result: people returned per lookup, stretches without a speaker per gaps(); "
        "full GCs: generation-2 collections during the timed calls (their pauses in all)"
    )
    short = [t for t in [*results.lookups, results.gaps] if t.calls < planned(args, t.name)]
    for timing in short:
        print(f"{timing.name}: stopped after {timing.calls} calls at the time budget")
    checked = targets(results)
    print_targets(checked)
    print(f"total run time {elapsed:.1f} s")
    print(f"rerun: {rerun_command(args)}")
    return checked


def planned(args: argparse.Namespace, name: str) -> int:
    return args.gaps_runs if name.startswith("gaps") else int(args.lookups)


def write_json(
    path: Path, args: argparse.Namespace, results: Results, checked: list[Target]
) -> None:
    document = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": results.load,
        "seed": args.seed,
        "timezone": TIMEZONE.key,
        "taken_at": TAKEN_AT.isoformat(),
        "horizon_days": HORIZON.days,
        "roster": results.roster,
        "build_seconds": results.build_seconds,
        "interval_entries": results.intervals,
        "hour_buckets": results.buckets,
        "timings_seconds": [asdict(t) for t in [*results.lookups, results.gaps]],
        "targets": [asdict(t) for t in checked],
        "command": rerun_command(args),
    }
    write_document(path, document)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time on-call lookups in a large generated roster snapshot."
    )
    parser.add_argument("--volunteers", type=bounded(1, 20_000), default=5_000)
    parser.add_argument("--shifts", type=bounded(1, 100_000), default=50_000)
    parser.add_argument("--covers", type=bounded(0, 10_000), default=1_000)
    parser.add_argument(
        "--lookups", type=bounded(1, 100_000), default=10_000, help="timed calls of each lookup"
    )
    parser.add_argument(
        "--gaps-runs", type=bounded(1, 50), default=10, help="timed gaps() calls (default 10)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated roster")
    add_output_options(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    try:
        results = measure(args, began)
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    checked = report(args, results, time.perf_counter() - began)
    if args.json:
        write_json(args.json, args, results, checked)
        print(f"results written to {args.json}")
    if args.strict and not all(target.met for target in checked):
        return EXIT_MISS
    return 0


if __name__ == "__main__":
    sys.exit(main())
