"""The purge folds what the indicators count into the monthly rollup before it deletes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select

from hotline import db
from hotline.config import Settings
from hotline.console import indicators
from hotline.models import (
    AuditEntry,
    Callback,
    CallerPreference,
    CallEvent,
    CallRecord,
    Claim,
    ClaimAlert,
    ClaimFailure,
    ClaimStatus,
    Disposition,
    Incident,
    IndicatorRollup,
    Report,
    SmsCase,
    SmsInbound,
    Volunteer,
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


AUGUST = datetime(2026, 8, 3, tzinfo=UTC)


def seed_records(engine: Engine) -> None:
    """Urgent calls, callbacks and text cases in August (past the 90 days) and November."""
    with db.transaction(engine) as session:
        volunteer = Volunteer(
            name="Ana", phone_sealed=b"x", phone_key="v" * 64, phone_hint="+1•••00",
            languages="es", created_at=AUGUST, updated_at=AUGUST,
        )  # fmt: skip
        session.add(volunteer)
        for n, (start, waited) in enumerate(
            [(AUGUST, 12)] * 5 + [(AUGUST, 40)] * 2 + [(AUGUST, None)] + [(NOW, 9)] * 5
        ):
            answered = start + timedelta(seconds=waited) if waited is not None else None
            session.add(
                CallRecord(
                    call_ref=f"u{n}", language="es", started_at=start, urgent_at=start,
                    answered_at=answered,
                )
            )  # fmt: skip
        for n, (when, status) in enumerate(
            [(AUGUST, ClaimStatus.DONE)] * 2
            + [(AUGUST, ClaimStatus.EXPIRED), (NOW, ClaimStatus.DONE)]
        ):
            for kind in ("callback", "case"):
                claim = Claim(
                    kind=kind, code=f"{n}{kind[0]}", status=status, created_at=when,
                    updated_at=when,
                )  # fmt: skip
                session.add(claim)
                session.flush()
                assert claim.id is not None
                assert volunteer.id is not None
                session.add(ClaimAlert(claim_id=claim.id, volunteer_id=volunteer.id, at=when))
                if kind == "callback":
                    session.add(
                        Callback(
                            claim_id=claim.id, call_ref=f"b{n}", sender="+13125550100",
                            language="es", expires_at=when, created_at=when, updated_at=when,
                        )
                    )  # fmt: skip
                else:
                    session.add(
                        SmsCase(
                            claim_id=claim.id, texter_key=f"t{n}", sender="+13125550100",
                            language="es", last_activity_at=when, created_at=when,
                        )
                    )  # fmt: skip
        session.add(ClaimFailure(volunteer_id=volunteer.id, at=NOW - timedelta(days=2)))
        session.add(
            AuditEntry(
                user_id=None, action="update", entity="volunteer", entity_id=1,
                at=NOW - timedelta(days=400),
            )
        )  # fmt: skip


def test_urgent_calls_callbacks_and_cases_go_and_their_counts_stay(
    engine: Engine, settings: Settings
) -> None:
    seed_records(engine)
    metrics = ("urgent", "answered", "answer_seconds", "callbacks", "cases")
    with Session(engine) as session:
        before = {metric: rollup.totals(session, metric) for metric in metrics}
    assert before["urgent"] == {("2026-08", ""): 8, ("2026-11", ""): 5}
    assert before["answered"] == {("2026-08", ""): 7, ("2026-11", ""): 5}
    assert before["answer_seconds"] == {
        ("2026-08", "12"): 5,
        ("2026-08", "40"): 2,
        ("2026-11", "9"): 5,
    }
    assert before["callbacks"] == {("2026-08", ""): 2, ("2026-11", ""): 1}
    assert before["cases"] == {("2026-08", ""): 3, ("2026-11", ""): 1}
    with Session(engine) as session:
        page_before = indicators.lines(session, languages=["es"])
    purged = retention.purge(engine, settings, now=NOW)
    retention.purge(engine, settings, now=NOW)
    assert purged.records == 8 + 3 + 3
    with Session(engine) as session:
        assert {metric: rollup.totals(session, metric) for metric in metrics} == before
        assert indicators.lines(session, languages=["es"]) == page_before
        assert len(session.exec(select(CallRecord)).all()) == 5
        assert [c.call_ref for c in session.exec(select(Callback))] == ["b3"]
        assert [c.texter_key for c in session.exec(select(SmsCase))] == ["t3"]
        # Their claims went with them, and the alerts saying who was told.
        assert len(session.exec(select(Claim)).all()) == 2
        assert len(session.exec(select(ClaimAlert)).all()) == 2
        assert session.exec(select(ClaimFailure)).first() is None
        assert session.exec(select(AuditEntry)).first() is None


def test_every_table_says_how_long_its_rows_are_kept() -> None:
    assert set(retention.KEPT) == set(SQLModel.metadata.tables)


def seed_reports(engine: Engine) -> None:
    """Incidents from August (past the 30 days reports are kept) and November."""
    with db.transaction(engine) as session:
        for when, status, kinds in (
            (AUGUST, "confirmed", ["home", "home", "street"]),
            (AUGUST, "gone", ["taken"]),
            (NOW - timedelta(days=1), "confirmed", ["home"]),
        ):
            claim = Claim(
                kind="incident", code=f"9{len(kinds)}{when:%m}", status=ClaimStatus.DONE,
                created_at=when, updated_at=when,
            )  # fmt: skip
            session.add(claim)
            session.flush()
            incident = Incident(
                kind=kinds[0], status=status, reports=len(kinds), opened_at=when,
                last_report_at=when, expires_at=when, updated_at=when, claim_id=claim.id,
            )  # fmt: skip
            session.add(incident)
            session.flush()
            assert incident.id is not None
            for kind in kinds:
                session.add(
                    Report(
                        incident_id=incident.id, kind=kind, minute=when, language="es",
                        channel="voice",
                    )
                )  # fmt: skip


def test_reports_and_what_responders_found_are_counted_after_they_go(
    engine: Engine, settings: Settings
) -> None:
    seed_reports(engine)
    with Session(engine) as session:
        before = {m: rollup.totals(session, m) for m in ("reports", "incidents")}
    assert before["reports"] == {
        ("2026-08", "home"): 2,
        ("2026-08", "street"): 1,
        ("2026-08", "taken"): 1,
        ("2026-11", "home"): 1,
    }
    assert before["incidents"] == {("2026-08", "confirmed"): 1, ("2026-08", "gone"): 1,
                                   ("2026-11", "confirmed"): 1}  # fmt: skip
    purged = retention.purge(engine, settings, now=NOW)
    retention.purge(engine, settings, now=NOW)
    assert (purged.reports, purged.incidents) == (4, 2)
    with Session(engine) as session:
        assert {m: rollup.totals(session, m) for m in ("reports", "incidents")} == before
        # The call-outs of the incidents that went, went with them.
        assert [c.code for c in session.exec(select(Claim))] == ["9111"]
        found = {
            line.metric + ":" + line.key: line
            for line in indicators.lines(session, languages=["es"])
        }
    assert found["reports:home"].values == {"2026-08": 2.0, "2026-11": 1.0}
    assert found["incidents:gone"].values == {"2026-08": 1.0}
    assert found["incidents:confirmed"].values == {"2026-08": 1.0, "2026-11": 1.0}
