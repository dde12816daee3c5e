"""The purge: what the hotline no longer needs, it no longer has."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, text, update
from sqlmodel import Session, col, select

from hotline.config import Settings
from hotline.models import (
    Alert,
    AuditEntry,
    Callback,
    CallerPreference,
    CallEvent,
    CallRecord,
    Claim,
    ClaimFailure,
    ClaimLockout,
    ConsoleSession,
    Disposition,
    Incident,
    OptOut,
    OutboxMessage,
    Report,
    ReportDraft,
    RightsSent,
    SmsCase,
    SmsInbound,
    SpoolApplied,
)
from hotline.privacy import rollup
from hotline.privacy.pseudonym import epoch_of

log = logging.getLogger(__name__)

# Finished outbox rows are kept this long for delivery statistics, then deleted.
OUTBOX_RETENTION = timedelta(days=30)
# Texts received are noted only to spot retried webhooks and floods.
RECEIVED_RETENTION = timedelta(days=1)
# The rights texted to a number are counted for a day's cap, then forgotten.
RIGHTS_RETENTION = timedelta(days=2)
# Spool entries applied are remembered so a replayed one is not applied twice.
SPOOL_RETENTION = timedelta(days=7)
# Codes a volunteer got wrong count for an hour's lockout; kept a day at most.
FAILURE_RETENTION = timedelta(days=1)
OPEN = ("pending", "sending")

# Every table, and how long what it holds is kept: by the purge below, by the feature
# that owns it, or for as long as the deployment keeps it on purpose.
KEPT = {
    "call_event": "HOTLINE_CALL_EVENT_RETENTION_DAYS (90), counted in the rollup first",
    "call_record": "HOTLINE_CALL_EVENT_RETENTION_DAYS, counted in the rollup first",
    "callback": "number deleted when it ends; the row HOTLINE_CALL_EVENT_RETENTION_DAYS",
    "sms_case": "number deleted when it closes; the row HOTLINE_CALL_EVENT_RETENTION_DAYS",
    "claim": "with its callback or case; an incident's with the incident",
    "claim_alert": "with its claim",
    "claim_holder": "with its claim",
    "claim_failure": "a day",
    "claim_lockout": "until it ends",
    "disposition": "HOTLINE_CALL_EVENT_RETENTION_DAYS, counted in the rollup first",
    "indicator_rollup": "monthly counts, kept",
    "caller_preference": "HOTLINE_REMEMBER_LANGUAGE_DAYS (30), or its key's life",
    "opt_out": "its key's life: two epochs at most",
    "sms_inbound": "a day, counted in the rollup first",
    "outbox_message": "sealed parts until sent; the row 30 days after it ends",
    "carrier_deletion": "until Twilio has deleted the message or call",
    "rights_sent": "two days",
    "sender_pace": "one row per sender number, no person",
    "spool_applied": "seven days",
    "key_check": "one row per key, no person",
    "report": "reporter's number while open; the row HOTLINE_REPORT_RETENTION_DAYS (30)",
    "incident": "HOTLINE_REPORT_RETENTION_DAYS after its last report",
    "incident_event": "with its incident",
    "report_draft": "a report by text under way: 15 minutes, or until DELETE or an opt-out",
    "alert": "with its incident",
    "subscriber": "until they unsubscribe, opt out or ask to be forgotten",
    "subscriber_zip": "with its subscriber",
    "zone": "kept: the deployment's map",
    "zone_zip": "with its zone",
    "zone_neighbour": "with its zone",
    "volunteer": "until a coordinator deletes them",
    "volunteer_zone": "with its volunteer",
    "shift": "until deleted, with its volunteer",
    "shift_override": "until deleted, with its shift",
    "app_user": "kept, deactivated rather than deleted, for the audit log",
    "console_session": "until it expires",
    "audit_entry": "HOTLINE_AUDIT_RETENTION_DAYS (365)",
}


@dataclass(frozen=True, slots=True)
class Purged:
    """How many rows each part of the purge removed or emptied."""

    call_events: int
    preferences: int
    outbox_emptied: int
    outbox_deleted: int
    reports: int = 0
    incidents: int = 0
    records: int = 0


def purge(engine: Engine, settings: Settings, *, now: datetime | None = None) -> Purged:
    """Delete what is past its retention window; idempotent, safe to run at any time.

    What the indicators count is folded into the monthly rollup first, in the same
    transaction, so a count survives its rows and is never counted twice.
    """
    now = now or datetime.now(UTC)
    oldest_epoch = epoch_of(now, epoch_days=settings.pseudonym_epoch_days) - 1
    events_before = now - timedelta(days=settings.call_event_retention_days)
    with Session(engine) as session:
        rollup.fold(session, "calls", before=events_before)
        rollup.fold(session, "calls_language", before=events_before)
        events = session.exec(
            delete(CallEvent).where(col(CallEvent.occurred_at) < events_before)
        ).rowcount
        rollup.fold(session, "dispositions", before=events_before)
        session.exec(delete(Disposition).where(col(Disposition.at) < events_before))
        records = _purge_records(session, events_before)
        # Texts received are counted by the language their sender chose, which the
        # next delete may forget: fold them before it.
        rollup.fold(session, "texts", before=now - RECEIVED_RETENTION)
        forgotten = session.exec(
            delete(CallerPreference).where(
                (
                    col(CallerPreference.updated_at)
                    < now - timedelta(days=settings.remember_language_days)
                )
                | (col(CallerPreference.key_epoch) < oldest_epoch)
            )
        ).rowcount
        # A finished message keeps nothing sealed, whatever path it took to finish.
        emptied = session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.status).not_in(OPEN))
            .where(
                col(OutboxMessage.recipient_sealed).is_not(None)
                | col(OutboxMessage.body_sealed).is_not(None)
            )
            .values(recipient_sealed=None, body_sealed=None)
        ).rowcount
        session.exec(
            delete(SmsInbound).where(col(SmsInbound.received_at) < now - RECEIVED_RETENTION)
        )
        session.exec(delete(RightsSent).where(col(RightsSent.at) < now - RIGHTS_RETENTION))
        session.exec(
            delete(SpoolApplied).where(col(SpoolApplied.applied_at) < now - SPOOL_RETENTION)
        )
        session.exec(delete(ConsoleSession).where(col(ConsoleSession.expires_at) <= now))
        session.exec(delete(ClaimFailure).where(col(ClaimFailure.at) < now - FAILURE_RETENTION))
        session.exec(delete(ClaimLockout).where(col(ClaimLockout.until) <= now))
        audit_before = now - timedelta(days=settings.audit_retention_days)
        session.exec(delete(AuditEntry).where(col(AuditEntry.at) < audit_before))
        # An opt-out under a destroyed key can no longer be matched to anyone.
        session.exec(delete(OptOut).where(col(OptOut.key_epoch) < oldest_epoch))
        deleted = session.exec(
            delete(OutboxMessage)
            .where(col(OutboxMessage.status).not_in(OPEN))
            .where(col(OutboxMessage.updated_at) < now - OUTBOX_RETENTION)
        ).rowcount
        # A reporter's number goes when their incident closes; should the tick that closes
        # it not have run, it goes here once the incident is past its expiry.
        session.exec(
            update(Report)
            .where(col(Report.reporter_sealed).is_not(None))
            .where(col(Report.minute) < now - timedelta(minutes=settings.incident_expiry_minutes))
            .values(reporter_sealed=None, reporter_key=None, asked_by=None, asked_at=None)
        )
        # A report by text left half-way is forgotten a quarter of an hour on.
        session.exec(delete(ReportDraft).where(col(ReportDraft.expires_at) <= now))
        reports, incidents = _purge_reports(
            session, now - timedelta(days=settings.report_retention_days)
        )
        session.commit()
    if engine.dialect.name == "sqlite":
        # Deleted rows linger in the write-ahead log until it is folded into the file.
        with engine.connect() as connection:
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    purged = Purged(events, forgotten, emptied, deleted, reports, incidents, records)
    log.info(
        "purge done",
        extra={
            "call_events": events,
            "preferences": forgotten,
            "outbox_emptied": emptied,
            "outbox_deleted": deleted,
            "reports": reports,
            "incidents": incidents,
            "records": records,
        },
    )
    return purged


def _purge_records(session: Session, cutoff: datetime) -> int:
    """Urgent calls' records, callbacks and text cases from before `cutoff` (their claims,
    alerts and holders with them), each counted in the rollup first."""
    for metric in (*rollup.RECORD_METRICS, "callbacks", "cases"):
        rollup.fold(session, metric, before=cutoff)
    records = session.exec(delete(CallRecord).where(rollup.records_past(cutoff))).rowcount
    over = (
        select(Callback.claim_id)
        .where(rollup.callbacks_past(cutoff))
        .union(select(SmsCase.claim_id).where(rollup.cases_past(cutoff)))
    )
    claims = session.exec(delete(Claim).where(col(Claim.id).in_(over))).rowcount
    return int(records) + int(claims)


def _purge_reports(session: Session, cutoff: datetime) -> tuple[int, int]:
    """Reports, and incidents with their history and alerts, older than `cutoff`, each
    counted in the rollup first."""
    rollup.fold(session, "reports", before=cutoff)
    rollup.fold(session, "incidents", before=cutoff)
    reports = session.exec(delete(Report).where(col(Report.minute) < cutoff)).rowcount
    old = select(Incident.id).where(col(Incident.last_report_at) < cutoff)
    session.exec(delete(Alert).where(col(Alert.incident_id).in_(old)))
    session.exec(
        delete(Alert).where(col(Alert.incident_id).is_(None)).where(col(Alert.created_at) < cutoff)
    )
    callouts = select(Incident.claim_id).where(col(Incident.last_report_at) < cutoff)
    claims = [claim for claim in session.exec(callouts).all() if claim is not None]
    incidents = session.exec(delete(Incident).where(col(Incident.last_report_at) < cutoff)).rowcount
    # The call-outs' claims go with them, and with those who was called out and who went.
    session.exec(delete(Claim).where(col(Claim.id).in_(claims)))
    return reports, incidents
