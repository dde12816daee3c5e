"""How the console's templates write times, ages, days, shifts and bars."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from hotline.console import charts, labels
from hotline.console.service import Stretch
from hotline.console.words import Words
from hotline.db import aware
from hotline.i18n.languages import Language, language_name
from hotline.models import Shift


def age(now: datetime, then: datetime) -> str:
    """How long ago, shortly: "45 s", "12 min", "3 h 05 min"."""
    seconds = max(0, int((now - aware(then)).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def seconds(start: datetime, end: datetime | None) -> str:
    """Seconds from `start` to `end`, or a dash."""
    if end is None:
        return "—"
    return f"{(aware(end) - aware(start)).total_seconds():.0f}"


def bar(gaps: Sequence[Stretch], label: str) -> Markup:
    return charts.day_bar([(g.left, g.right) for g in gaps], label=str(label))


def helpers(zone: ZoneInfo, registry: dict[str, Language]) -> dict[str, Any]:
    """The functions every template may call, bound to the hotline's time zone."""

    def local(moment: datetime, pattern: str = "%H:%M") -> str:
        return aware(moment).astimezone(zone).strftime(pattern)

    def local_date(moment: datetime) -> date:
        return aware(moment).astimezone(zone).date()

    def language(code: str | None, lang: str) -> str:
        return language_name(code, registry, in_language=lang) if code else "—"

    @pass_context
    def day_name(context: Context, day: date) -> str:
        return format_date(day, "EEE d MMM", locale=context["lang"])

    @pass_context
    def shift_text(context: Context, shift: Shift) -> Markup:
        t: Words = context["t"]
        start, end = aware(shift.starts_at), aware(shift.ends_at)
        if shift.weekly:
            return t(
                "Every %(day)s, %(start)s to %(end)s, from %(first)s",
                day=format_date(start.astimezone(zone).date(), "EEEE", locale=context["lang"]),
                start=local(start),
                end=local(end),
                first=local(start, "%Y-%m-%d"),
            )
        return t("Once, %(start)s to %(end)s", start=local(start, "%Y-%m-%d %H:%M"),
                 end=local(end, "%Y-%m-%d %H:%M"))  # fmt: skip

    return {
        "local": local,
        "local_date": local_date,
        "language": language,
        "day_name": day_name,
        "shift_text": shift_text,
        "age": age,
        "seconds": seconds,
        "bar": bar,
        "labels": labels,
        "one_week": timedelta(days=7),
    }
