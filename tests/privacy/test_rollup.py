"""The purge folds what the indicators count into the monthly rollup before it deletes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from hotline import db
from hotline.config import Settings
from hotline.models import (
    CallerPreference,
    CallEvent,
    CallRecord,
    Disposition,
    IndicatorRollup,
    SmsInbound,
)
from hotline.privacy import retention, rollup
from hotline.privacy.pseudonym import epoch_of

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def seed(engine: Engine) -> None:
    """Calls in August (old enough to purge) and November; texts yesterday and today."""
    with db.transaction(engine) as session:
        for n, (when, lang) in enumerate(
            [(datetime(2026, 8, 3, tzinfo=UTC), "es")] * 6
            + [(datetime(2026, 8, 4, tzinfo=UTC), "pl")] * 2
            + [(NOW - timedelta(days=2), "es")] * 3
        ):
            for kind, detail in (("call.started", None), ("language.chosen", lang)):
                session.add(
                    CallEvent(
                        call_ref=f"c{n}", key_epoch=0, kind=kind, language=lang, detail=detail,
                        occurred_at=when,
                    )
                )  # fmt: skip
        epoch = epoch_of(NOW, epoch_days=30)
        session.add(
            CallerPreference(caller_key="t1", key_epoch=epoch, language="es", updated_at=NOW)
        )
        for n, (key, when) in enumerate(
            [("t1", NOW - timedelta(days=2))] * 4 + [("t2", NOW - timedelta(days=2)), ("t1", NOW)]
        ):
            session.add(
                SmsInbound(message_sid=f"SM{n}", contact_key=key, key_epoch=0, received_at=when)
            )
        record = CallRecord(call_ref="c0", started_at=datetime(2026, 8, 3, tzinfo=UTC))
        session.add(record)
        session.flush()
        session.add(
            Disposition(
                call_record_id=record.id, kind="detention", at=datetime(2026, 8, 3, tzinfo=UTC)
            )
        )


def test_totals_are_the_same_before_and_after_the_purge(engine: Engine, settings: Settings) -> None:
    seed(engine)
    with Session(engine) as session:
        before = {metric: rollup.totals(session, metric) for metric in rollup.METRICS}
    assert before["calls"] == {("2026-08", ""): 8, ("2026-11", ""): 3}
    assert before["calls_language"] == {
        ("2026-08", "es"): 6,
        ("2026-08", "pl"): 2,
        ("2026-11", "es"): 3,
    }
    assert before["texts"] == {("2026-11", "es"): 5, ("2026-11", ""): 1}
    assert before["dispositions"] == {("2026-08", "detention"): 1}
    retention.purge(engine, settings, now=NOW)
    retention.purge(engine, settings, now=NOW)  # twice: nothing is counted twice
    with Session(engine) as session:
        after = {metric: rollup.totals(session, metric) for metric in rollup.METRICS}
        assert after == before
        assert session.exec(select(CallEvent).where(CallEvent.call_ref == "c0")).first() is None
        assert len(session.exec(select(SmsInbound)).all()) == 1
        assert session.exec(select(Disposition)).first() is None
        folded = {
            (r.month, r.metric, r.key): r.value for r in session.exec(select(IndicatorRollup))
        }
    # What is left in the rollup is a count per month and key; nothing links to a person.
    assert folded[("2026-08", "calls", "")] == 8
    assert folded[("2026-11", "texts", "es")] == 4
    assert ("2026-11", "calls", "") not in folded
