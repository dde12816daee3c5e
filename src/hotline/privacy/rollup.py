"""Monthly counts that outlive the rows they were counted from.

The purge deletes call events, texts received, dispositions, urgent calls' records,
callbacks, text cases, reports and incidents when their time is up.
Just before it does, in the same transaction, it adds what those rows count to
`indicator_rollup`; rows still present are counted live. So rollup plus live is always
the month's total, each row counted once, and nothing but a count per month survives.
Months are UTC calendar months. A text is counted under the language its sender chose,
as the hotline remembers it when the text is counted (folded, or read live). How long
an urgent call waited for an answer is kept as a count per whole second, so the median
and the 90th percentile survive the records too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import exists, func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from hotline.db import aware
from hotline.models import (
    Callback,
    CallerPreference,
    CallEvent,
    CallRecord,
    Claim,
    ClaimStatus,
    Disposition,
    Incident,
    IndicatorRollup,
    Report,
    SmsCase,
    SmsInbound,
)

Metric = Literal[
    "calls",
    "calls_language",
    "texts",
    "dispositions",
    "urgent",
    "answered",
    "answer_seconds",
    "callbacks",
    "cases",
    "reports",
    "incidents",
]
METRICS: tuple[Metric, ...] = get_args(Metric)
RECORD_METRICS: tuple[Metric, ...] = ("urgent", "answered", "answer_seconds")
_CLOSED = [str(status) for status in ClaimStatus.closed_statuses()]
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


def records_past(before: datetime) -> ColumnElement[bool]:
    """Urgent calls' records the purge may delete: begun before `before`, with no
    disposition left (a disposition goes first, folded on its own)."""
    noted = exists().where(col(Disposition.call_record_id) == col(CallRecord.id))
    return (col(CallRecord.started_at) < before) & ~noted


def callbacks_past(before: datetime) -> ColumnElement[bool]:
    """Callbacks the purge may delete: asked before `before`, and over."""
    over = select(Claim.id).where(col(Claim.status).in_(_CLOSED))
    return (col(Callback.created_at) < before) & col(Callback.claim_id).in_(over)


def cases_past(before: datetime) -> ColumnElement[bool]:
    """Text cases the purge may delete: opened before `before`, over, no disposition left."""
    over = select(Claim.id).where(col(Claim.status).in_(_CLOSED))
    noted = exists().where(col(Disposition.sms_case_id) == col(SmsCase.id))
    return (col(SmsCase.created_at) < before) & col(SmsCase.claim_id).in_(over) & ~noted


def _record_query(session: Session, metric: Metric, before: datetime | None) -> Any:
    month = month_of(session, CallRecord.urgent_at)
    query: Any = select(month, func.count()).where(col(CallRecord.urgent_at).is_not(None))
    if metric == "answered":
        query = query.where(col(CallRecord.answered_at).is_not(None))
    if metric == "callbacks":
        month = month_of(session, Callback.created_at)
        done = select(Claim.id).where(Claim.status == ClaimStatus.DONE)
        query = select(month, func.count()).where(col(Callback.claim_id).in_(done))
        if before is not None:
            query = query.where(callbacks_past(before))
    elif metric == "cases":
        query = select(month_of(session, SmsCase.created_at), func.count())
        if before is not None:
            query = query.where(cases_past(before))
    elif before is not None:
        query = query.where(records_past(before))
    return query.group_by(*query.selected_columns[:-1])


def _answer_seconds(session: Session, before: datetime | None) -> Counts:
    """Urgent calls answered, per month and whole seconds waited."""
    query = select(CallRecord.urgent_at, CallRecord.answered_at).where(
        col(CallRecord.urgent_at).is_not(None), col(CallRecord.answered_at).is_not(None)
    )
    if before is not None:
        query = query.where(records_past(before))
    found: Counts = Counter()
    for asked, answered in session.exec(query).all():
        if asked is None or answered is None:
            continue
        waited = round((aware(answered) - aware(asked)).total_seconds())
        found[(f"{aware(asked):%Y-%m}", str(waited))] += 1
    return found


def _query(session: Session, metric: Metric, before: datetime | None) -> Any:
    query: Any
    if metric in ("urgent", "answered", "callbacks", "cases"):
        return _record_query(session, metric, before)
    if metric in ("calls", "calls_language"):
        month = month_of(session, CallEvent.occurred_at)
        if metric == "calls":
            query = select(month, func.count()).where(CallEvent.kind == "call.started")
        else:
            query = select(month, CallEvent.detail, func.count()).where(
                col(CallEvent.kind).in_(LANGUAGE_NOTES)
            )
        when: Any = CallEvent.occurred_at
    elif metric == "reports":
        month = month_of(session, Report.minute)
        query = select(month, Report.kind, func.count())
        when = Report.minute
    elif metric == "incidents":
        # An incident is counted by its result, in the month it was opened.
        month = month_of(session, Incident.opened_at)
        query = select(month, Incident.status, func.count())
        when = Incident.last_report_at
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
    """The live rows' counts per (month, key); only those the purge may delete before
    `before`, if given."""
    if metric == "answer_seconds":
        return _answer_seconds(session, before)
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
