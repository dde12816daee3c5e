"""The Indicators page: per month, what the hotline did, from the data it holds.

Every figure is the monthly rollup plus the rows still present (privacy/rollup.py):
the purge deletes calls, texts, dispositions, urgent calls' records, callbacks and text
cases when their time is up, and folds what they count first. Counts from 1 to 4
are shown as "<5", and so are timings drawn from fewer than five calls: a small number
can point at a person. A change from the previous month is shown only when neither
month is hidden.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session

from hotline.models import DISPOSITION_KINDS
from hotline.privacy import rollup
from hotline.rapid.kinds import IncidentStatus, ReportKind

SMALL = 5
HIDDEN = "<5"
COUNT_METRICS = ("calls", "calls_language", "texts", "urgent", "answered", "callbacks", "cases")
TIMING_METRICS = ("answer_median", "answer_p90")
# What responders found, as the Indicators page counts incidents.
RESULTS = sorted(IncidentStatus.closed_statuses(), key=list(IncidentStatus).index)
Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Line:
    """One row of the table: a metric (and its language or kind), a value per month."""

    metric: str
    key: str
    values: dict[str, float]
    timing: bool = False


def months_back(now: datetime, count: int) -> list[str]:
    """The `count` UTC months ending with `now`'s, oldest first: ["2026-06", …]."""
    year, month = now.astimezone(UTC).year, now.astimezone(UTC).month
    found = []
    for _ in range(count):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found[::-1]


def _waits(seconds: Counter[Key]) -> dict[str, list[float]]:
    """Per month, every answered urgent call's wait in whole seconds, from their counts."""
    found: dict[str, list[float]] = defaultdict(list)
    for (month, waited), count in seconds.items():
        found[month].extend([float(waited)] * count)
    return found


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def lines(session: Session, *, languages: Sequence[str]) -> list[Line]:
    """Every line of the table, for every month the hotline has data of."""
    keyed: dict[str, Counter[Key]] = {
        metric: rollup.totals(session, metric) for metric in rollup.METRICS
    }
    times = _waits(keyed["answer_seconds"])

    def keyed_line(metric: str, key: str) -> Line:
        return Line(metric, key, {m: float(v) for (m, k), v in keyed[metric].items() if k == key})

    found = [keyed_line("calls", "")]
    found += [keyed_line("calls_language", code) for code in languages]
    found += [keyed_line("texts", code) for code in [*languages, ""]]
    found += [keyed_line("urgent", ""), keyed_line("answered", "")]
    found += [
        Line("answer_median", "", {m: statistics.median(v) for m, v in times.items()}, True),
        Line("answer_p90", "", {m: _percentile(v, 0.9) for m, v in times.items()}, True),
    ]
    found += [keyed_line("callbacks", ""), keyed_line("cases", "")]
    found += [keyed_line("dispositions", kind) for kind in DISPOSITION_KINDS]
    found += [keyed_line("reports", kind) for kind in ReportKind]
    found += [keyed_line("incidents", status) for status in RESULTS]
    return found


def shown(line: Line, month: str, answered: dict[str, float]) -> str:
    """What the page shows for `line` in `month`: a number, or "<5"."""
    if line.timing:
        if answered.get(month, 0) < SMALL:
            return HIDDEN
        return f"{line.values.get(month, 0):.0f}"
    value = int(line.values.get(month, 0))
    return HIDDEN if 0 < value < SMALL else str(value)


def change(line: Line, month: str, previous: str, answered: dict[str, float]) -> str:
    """The change from `previous` to `month`, or "" when either is hidden."""
    now, before = shown(line, month, answered), shown(line, previous, answered)
    if HIDDEN in (now, before):
        return ""
    difference = float(now) - float(before)
    return f"{difference:+.0f}" if difference else "0"


def answered_of(found: Sequence[Line]) -> dict[str, float]:
    return next(line.values for line in found if line.metric == "answered")


def to_csv(found: Sequence[Line], months: Sequence[str]) -> str:
    """The table as CSV: one row per month and line, hidden counts as "<5"."""
    answered = answered_of(found)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["month", "metric", "key", "value", "change_from_previous_month"])
    for index, month in enumerate(months):
        for line in found:
            previous = months[index - 1] if index else ""
            delta = change(line, month, previous, answered) if previous else ""
            writer.writerow([month, line.metric, line.key, shown(line, month, answered), delta])
    return out.getvalue()
