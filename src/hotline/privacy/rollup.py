"""Monthly counts that outlive the rows they were counted from.

The purge deletes call events, texts received and dispositions when their time is up.
Just before it does, in the same transaction, it adds what those rows count to
`indicator_rollup`; rows still present are counted live. So rollup plus live is always
the month's total, each row counted once, and nothing but a count per month survives.
Months are UTC calendar months. A text is counted under the language its sender chose,
as the hotline remembers it when the text is counted (folded, or read live).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from hotline.models import CallerPreference, CallEvent, Disposition, IndicatorRollup, SmsInbound

Metric = Literal["calls", "calls_language", "texts", "dispositions"]
METRICS: tuple[Metric, ...] = ("calls", "calls_language", "texts", "dispositions")
# The notes that say which language a call went on in.
LANGUAGE_NOTES = (
    "language.chosen",
    "language.line",
    "language.remembered",
    "language.only",
    "language.defaulted",
)
Counts = Counter[tuple[str, str]]


def month_of(session: Session, column: Any) -> ColumnElement[str]:
    """SQL for the UTC month ("2026-11") of a timestamp column, on either database."""
    if session.get_bind().dialect.name == "sqlite":
        return func.strftime("%Y-%m", column)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM")


def _query(session: Session, metric: Metric, before: datetime | None) -> Any:
    query: Any
    if metric in ("calls", "calls_language"):
        month = month_of(session, CallEvent.occurred_at)
        if metric == "calls":
            query = select(month, func.count()).where(CallEvent.kind == "call.started")
        else:
            query = select(month, CallEvent.detail, func.count()).where(
                col(CallEvent.kind).in_(LANGUAGE_NOTES)
            )
        when: Any = CallEvent.occurred_at
    elif metric == "texts":
        month = month_of(session, SmsInbound.received_at)
        query = select(month, CallerPreference.language, func.count()).join(
            CallerPreference,
            col(CallerPreference.caller_key) == col(SmsInbound.contact_key),
            isouter=True,
        )
        when = SmsInbound.received_at
    else:
        month = month_of(session, Disposition.at)
        query = select(month, Disposition.kind, func.count())
        when = Disposition.at
    if before is not None:
        query = query.where(col(when) < before)
    return query.group_by(*query.selected_columns[:-1])


def counts(session: Session, metric: Metric, *, before: datetime | None = None) -> Counts:
    """The live rows' counts per (month, key); only rows older than `before` if given."""
    found: Counts = Counter()
    for row in session.execute(_query(session, metric, before)).all():
        month, *key, count = row
        found[(str(month), str(key[0] or "") if key else "")] += int(count)
    return found


def fold(session: Session, metric: Metric, *, before: datetime) -> int:
    """Add the counts of the rows older than `before` to the rollup; the rows folded.

    Call it in the transaction that deletes those rows, just before the delete.
    """
    folded = counts(session, metric, before=before)
    for (month, key), value in folded.items():
        row = session.get(IndicatorRollup, (month, metric, key[:24]))
        if row is None:
            row = IndicatorRollup(month=month, metric=metric, key=key[:24], value=0)
        row.value += value
        session.add(row)
    session.flush()
    return sum(folded.values())


def rolled_up(session: Session, metrics: Iterable[Metric] = METRICS) -> dict[Metric, Counts]:
    """What the purge folded so far, per metric."""
    found: dict[Metric, Counts] = {metric: Counter() for metric in metrics}
    rows = session.exec(
        select(IndicatorRollup).where(col(IndicatorRollup.metric).in_(list(found)))
    ).all()
    for row in rows:
        found[row.metric][(row.month, row.key)] += row.value  # type: ignore[index]
    return found


def totals(session: Session, metric: Metric) -> Counts:
    """Rollup plus live rows: the whole count per (month, key)."""
    return rolled_up(session, [metric])[metric] + counts(session, metric)
