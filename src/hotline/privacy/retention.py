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
    CallerPreference,
    CallEvent,
    ConsoleSession,
    Disposition,
    Incident,
    OptOut,
    OutboxMessage,
    Report,
    ReportDraft,
    RightsSent,
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
OPEN = ("pending", "sending")


@dataclass(frozen=True, slots=True)
class Purged:
    """How many rows each part of the purge removed or emptied."""

    call_events: int
    preferences: int
    outbox_emptied: int
    outbox_deleted: int
    reports: int = 0
    incidents: int = 0


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
    purged = Purged(events, forgotten, emptied, deleted, reports, incidents)
    log.info(
        "purge done",
        extra={
            "call_events": events,
            "preferences": forgotten,
            "outbox_emptied": emptied,
            "outbox_deleted": deleted,
            "reports": reports,
            "incidents": incidents,
        },
    )
    return purged


def _purge_reports(session: Session, cutoff: datetime) -> tuple[int, int]:
    """Reports, and incidents with their history and alerts, older than `cutoff`."""
    reports = session.exec(delete(Report).where(col(Report.minute) < cutoff)).rowcount
    old = select(Incident.id).where(col(Incident.last_report_at) < cutoff)
    session.exec(delete(Alert).where(col(Alert.incident_id).in_(old)))
    session.exec(
        delete(Alert).where(col(Alert.incident_id).is_(None)).where(col(Alert.created_at) < cutoff)
    )
    incidents = session.exec(delete(Incident).where(col(Incident.last_report_at) < cutoff)).rowcount
    return reports, incidents
