"""The Indicators page and its CSV: monthly counts, small ones hidden, the change shown."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from hotline import db
from hotline.console import indicators
from hotline.models import CallRecord
from tests.console.conftest import Browser, People


def calls(engine: Engine, month_start: datetime, answered: int, waits: list[int]) -> None:
    with db.transaction(engine) as session:
        for n in range(answered):
            asked = month_start + timedelta(hours=n)
            session.add(
                CallRecord(
                    call_ref=f"{month_start:%m}-{n}", language="es", started_at=asked,
                    urgent_at=asked, answered_at=asked + timedelta(seconds=waits[n % len(waits)]),
                    outcome="answered", tier_reached=1,
                )
            )  # fmt: skip


def test_counts_under_five_are_hidden_and_so_is_their_change(
    browser: Browser, people: People, engine: Engine
) -> None:
    months = indicators.months_back(datetime.now(UTC), 2)
    this = datetime.strptime(months[1] + "-01", "%Y-%m-%d").replace(tzinfo=UTC)
    last = datetime.strptime(months[0] + "-01", "%Y-%m-%d").replace(tzinfo=UTC)
    calls(engine, this, 7, [10, 20, 30, 40, 50, 60, 70])
    calls(engine, last, 3, [5])
    browser.sign_in("Dana")
    page = browser.get("/console/indicators")
    assert page.status_code == 200
    assert "<svg" in page.text
    body = browser.get("/console/indicators.csv")
    assert body.headers["content-disposition"] == 'attachment; filename="indicators.csv"'
    rows = {(r["month"], r["metric"], r["key"]): r for r in csv.DictReader(io.StringIO(body.text))}
    urgent = rows[(months[1], "urgent", "")]
    assert urgent["value"] == "7"
    assert urgent["change_from_previous_month"] == "", "the previous month is hidden"
    assert rows[(months[0], "urgent", "")]["value"] == "<5"
    assert rows[(months[1], "answer_median", "")]["value"] == "40"
    assert rows[(months[1], "answer_p90", "")]["value"] == "70"
    assert rows[(months[0], "answer_median", "")]["value"] == "<5"
    assert rows[(months[1], "calls", "")]["value"] == "0"


def test_a_change_is_shown_between_two_months_of_five_or_more() -> None:
    line = indicators.Line("urgent", "", {"2026-10": 9, "2026-11": 5})
    assert indicators.change(line, "2026-11", "2026-10", {}) == "-4"
    assert indicators.shown(line, "2026-09", {}) == "0"
    small = indicators.Line("urgent", "", {"2026-10": 4})
    assert indicators.shown(small, "2026-10", {}) == "<5"
