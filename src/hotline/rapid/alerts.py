"""Verified alerts to a zone's subscribers, and corrections of false alarms.

An alert is opened when an incident is confirmed (a correction when a responder found
it was not immigration enforcement), straight away or, when the deployment says so,
once a coordinator approves it. `fan_out` then queues one text per subscriber, in their
language, in chunks of bulk inserts, each chunk its own transaction, resuming after the
last subscriber queued; the outbox sends them at the pace of the sender pool. Nothing
about the reporter is in an alert. An alert not sent by its expiry is dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine, exists
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from hotline.auth import service as auth_service
from hotline.db import aware, transaction
from hotline.errors import HotlineError, NotFound
from hotline.models import (
    BULK,
    Alert,
    Incident,
    OutboxMessage,
    Subscriber,
    SubscriberZip,
    User,
    Zone,
    ZoneZip,
)
from hotline.outbox.service import place
from hotline.rapid import messages
from hotline.rapid.kinds import AlertKind, AlertStatus, ReportKind
from hotline.rapid.service import RapidResponse, quarter_hour
from hotline.telephony.segments import segments

log = logging.getLogger(__name__)

CHUNK = 2000
_fanning = threading.Lock()
PURPOSE = {AlertKind.CONFIRMED: "alert", AlertKind.CORRECTION: "alert-correction"}


class NotAwaitingApproval(HotlineError):
    status_code = 409
    code = "conflict"


def open_alert(
    session: Session, *, rapid: RapidResponse, incident: Incident, kind: AlertKind, now: datetime
) -> Alert | None:
    """An alert about `incident` to its zone's subscribers; None for an incident without one."""
    if incident.zone_id is None:
        return None
    status = AlertStatus.AWAITING_APPROVAL if rapid.settings.approval else AlertStatus.SENDING
    alert = Alert(
        incident_id=incident.id,
        zone_id=incident.zone_id,
        kind=kind,
        status=status,
        created_at=now,
        expires_at=now + rapid.settings.alert_expiry,
    )
    session.add(alert)
    session.flush()
    return alert


def get_alert(*, session: Session, alert_id: int) -> Alert:
    """The alert `alert_id`; NotFound if there is none."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id} does not exist")
    return alert


def list_alerts(*, session: Session, status: AlertStatus | None, limit: int) -> list[Alert]:
    """The latest alerts, newest first, of one status if given."""
    query = select(Alert).order_by(col(Alert.id).desc()).limit(limit)
    if status is not None:
        query = query.where(Alert.status == status)
    return list(session.exec(query).all())


def approve(*, session: Session, alert: Alert, user: User, now: datetime) -> Alert:
    """A coordinator lets an alert go out; NotAwaitingApproval if it is not waiting."""
    if alert.status != AlertStatus.AWAITING_APPROVAL:
        raise NotAwaitingApproval(f"alert {alert.id} is {alert.status}, not awaiting approval")
    if aware(alert.expires_at) <= now:
        # Too late to be of use: the tick drops it.
        raise NotAwaitingApproval(f"alert {alert.id} expired before it was approved")
    alert.status, alert.approved_at, alert.approved_by = AlertStatus.SENDING, now, user.id
    session.add(alert)
    session.flush()
    auth_service.record(
        session=session, user=user, action="update", entity="alert", entity_id=alert.id,
        fields=["status"], now=now,
    )  # fmt: skip
    return alert


def _finish(alert: Alert, status: AlertStatus, now: datetime) -> None:
    alert.status, alert.finished_at = status, now


def fan_out(engine: Engine, *, rapid: RapidResponse, now: datetime, chunk: int = CHUNK) -> int:
    """Queue the texts of every alert that is sending, a chunk per transaction. How many.
    One fan-out at a time in a process (the tick's, or one started by a confirmation);
    between processes, PostgreSQL's row locks share the alerts out."""
    queued = 0
    with _fanning:
        while True:
            with transaction(engine) as session:
                alert = _next_sending(session, now)
                if alert is None:
                    return queued
                queued += _fan_out_chunk(session, rapid=rapid, alert=alert, now=now, chunk=chunk)


def fan_out_soon(engine: Engine, *, rapid: RapidResponse) -> threading.Thread:
    """Start queueing the alerts a confirmation just opened, without waiting for the next
    tick and without holding up the responder's answer. Whatever this cannot do, the
    tick does."""

    def run() -> None:
        try:
            fan_out(engine, rapid=rapid, now=datetime.now(UTC))
        except Exception:
            log.warning("alerts could not be queued at once; the next tick will")

    thread = threading.Thread(target=run, name="hotline-alerts", daemon=True)
    thread.start()
    return thread


def _next_sending(session: Session, now: datetime) -> Alert | None:
    """An alert with texts left to queue, held by this process; expired ones are dropped."""
    query = select(Alert).where(Alert.status == AlertStatus.SENDING).order_by(col(Alert.id))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    for alert in session.exec(query.limit(10)).all():
        if aware(alert.expires_at) <= now:
            _finish(alert, AlertStatus.DROPPED, now)
            session.add(alert)
            continue
        return alert
    session.flush()
    return None


def _fan_out_chunk(
    session: Session, *, rapid: RapidResponse, alert: Alert, now: datetime, chunk: int
) -> int:
    incident = session.get(Incident, alert.incident_id) if alert.incident_id else None
    zone = session.get(Zone, alert.zone_id) if alert.zone_id else None
    if incident is None or zone is None:
        _finish(alert, AlertStatus.DROPPED, now)
        session.add(alert)
        return 0
    subscribers = _subscribers(session, alert, zone.id or 0, chunk)
    if not subscribers:
        _finish(alert, AlertStatus.SENT, now)
        session.add(alert)
        return 0
    bodies: dict[str, str] = {}
    rows = []
    for index, subscriber in enumerate(subscribers, start=alert.recipients):
        lang = (
            subscriber.language
            if subscriber.language in rapid.catalogs.languages
            else (rapid.settings.default_language)
        )
        if lang not in bodies:
            bodies[lang] = _body(rapid, alert, incident, zone, lang)
        rows.append(_row(rapid, alert, subscriber, bodies[lang], lang, index, now))
    _insert_ignoring_duplicates(session, rows)
    alert.cursor = subscribers[-1].id or alert.cursor
    alert.recipients += len(rows)
    session.add(alert)
    return len(rows)


def _subscribers(session: Session, alert: Alert, zone_id: int, chunk: int) -> Sequence[Subscriber]:
    in_zone = exists(
        select(SubscriberZip.subscriber_id)
        .join(ZoneZip, col(ZoneZip.zip) == col(SubscriberZip.zip))
        .where(col(SubscriberZip.subscriber_id) == col(Subscriber.id))
        .where(col(ZoneZip.zone_id) == zone_id)
    )
    query = select(Subscriber).where(col(Subscriber.id) > alert.cursor).where(in_zone)
    if alert.kind == AlertKind.CORRECTION:
        query = query.where(col(Subscriber.corrections).is_(True))
    return session.exec(query.order_by(col(Subscriber.id)).limit(chunk)).all()


def _body(rapid: RapidResponse, alert: Alert, incident: Incident, zone: Zone, lang: str) -> str:
    if alert.kind == AlertKind.CORRECTION:
        when = quarter_hour(aware(incident.opened_at))
        return rapid.say(lang, messages.CORRECTION, area=zone.name, time=rapid.clock(when, lang))
    rights = rapid.catalogs.language(lang).words("rights")
    return rapid.say(
        lang,
        messages.ALERT[ReportKind(incident.kind)],
        area=zone.name,
        time=rapid.clock(quarter_hour(aware(alert.created_at)), lang),
        rights=rights[0] if rights else "RIGHTS",
    )


def number_place(number_key: str) -> str:
    """What a subscriber's sealed number is bound to."""
    return f"subscriber|number|{number_key}"


def _row(
    rapid: RapidResponse,
    alert: Alert,
    subscriber: Subscriber,
    body: str,
    lang: str,
    index: int,
    now: datetime,
) -> dict[str, object]:
    """One outbox row, sealed as `outbox.service.texts` seals it, as a plain dict."""
    number = rapid.vault.open(subscriber.number_sealed, place=number_place(subscriber.number_key))
    key = f"alert:{alert.id}:{subscriber.id}:1/1"
    epoch = rapid.keyring.current_epoch(now)
    return {
        "idempotency_key": key,
        "sender": rapid.settings.senders.sender(line=subscriber.line, index=index),
        "recipient_key": rapid.keyring.pseudonym(number, epoch=epoch),
        "key_epoch": epoch,
        "recipient_sealed": rapid.vault.seal(number, place=place(key, "recipient")),
        "body_sealed": rapid.vault.seal(body, place=place(key, "body")),
        "kind": "sms",
        "purpose": PURPOSE[AlertKind(alert.kind)],
        "priority": BULK,
        "language": lang,
        "part": 1,
        "parts": 1,
        "segments": segments(body),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "expires_at": aware(alert.expires_at),
        "created_at": now,
        "updated_at": now,
    }


def _insert_ignoring_duplicates(session: Session, rows: list[dict[str, object]]) -> None:
    """One multi-row insert; a row already queued (a fan-out retried) is left alone."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    statement = dialect.insert(table).on_conflict_do_nothing(index_elements=["idempotency_key"])
    session.execute(statement, rows)


def drop_expired(session: Session, *, now: datetime) -> int:
    """Alerts still waiting for approval past their expiry are dropped, not sent late."""
    waiting = session.exec(select(Alert).where(Alert.status == AlertStatus.AWAITING_APPROVAL)).all()
    dropped = [alert for alert in waiting if aware(alert.expires_at) <= now]
    for alert in dropped:
        _finish(alert, AlertStatus.DROPPED, now)
        session.add(alert)
    session.flush()
    return len(dropped)
