"""The dispatcher: claims due outbox rows, sends them at each sender's pace, retries.

Any number of dispatchers may run against one PostgreSQL database: rows are claimed
with FOR UPDATE SKIP LOCKED and a compare-and-set on their status, so no two send
the same row, and each sender's pace is a row that every dispatcher reserves from
(`outbox.pace`). A claim takes only rows whose sender may send within the pace's
horizon, urgent rows before bulk ones (alerts to subscribers), so a backlog from one
sender never holds up another's, nor a caller's text behind a fan-out. Within one
dispatcher several rows are sent at once, so one request Twilio leaves hanging does not
hold up the rest of the outbox.

Before a row goes out it is checked once more (`outbox.refusals`), and a row refused
says why.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy import Engine, exists, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from hotline.db import aware
from hotline.errors import TelephonyError
from hotline.models import OutboxMessage, SenderPace
from hotline.outbox.deletions import Deletions
from hotline.outbox.pace import HORIZON, Pace
from hotline.outbox.refusals import Refusals
from hotline.outbox.service import carrier_ref, place
from hotline.outbox.unsettled import Unsettled
from hotline.privacy.pseudonym import Keyring
from hotline.privacy.vault import SealError, Vault
from hotline.telephony.gateway import Gateway, Record, Sent

log = logging.getLogger(__name__)

# A row out of the dispatcher's hands keeps nothing that could reach the recipient.
EMPTIED = {"recipient_sealed": None, "body_sealed": None, "claimed_until": None}

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    """How the dispatcher paces, retries, and what it refuses."""

    # Messages a second per sender number; None sends as fast as Twilio takes them.
    rate_per_second: float | None = 1.0
    batch: int = 20
    lease: timedelta = timedelta(minutes=2)
    first_retry: timedelta = timedelta(seconds=2)
    longest_retry: timedelta = timedelta(minutes=5)
    # Where Twilio reports each message's fate; the row id is added to it.
    status_callback: str | None = None
    # Rows sent at once; 1 sends one after the other in the calling thread.
    workers: int = 1
    # The countries (ISO codes) whose numbers may be texted or called at all.
    countries: frozenset[str] = frozenset({"US", "CA"})
    # Segments a caller-facing number may be sent in 24 hours.
    recipient_segments_per_day: int = 120
    # Numbers exempt from that cap besides volunteers' own: the backup numbers.
    exempt: frozenset[str] = field(default_factory=frozenset)
    # Delete each message from Twilio once final; this long after sending at the latest.
    delete_from_twilio: bool = True
    delete_after: timedelta = timedelta(hours=24)
    # Senders with a pace of their own (a Messaging Service sends from a pool of numbers).
    sender_rates: Mapping[str, float] = field(default_factory=dict)

    def rate(self, sender: str) -> float | None:
        """Messages a second `sender` may send; None for no limit."""
        return self.sender_rates.get(sender, self.rate_per_second)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row this dispatcher holds, opened for sending."""

    id: int
    sender: str
    recipient: str
    body: str
    attempts: int
    expires_at: datetime
    kind: str = "sms"
    # The lease this dispatcher holds the row under: renewed before each send.
    lease_until: datetime | None = None
    recipient_key: str = ""
    segments: int = 1
    # The moment reserved for it in its sender's pace.
    slot: datetime | None = None


class Dispatcher:
    """Sends what the outbox holds."""

    def __init__(
        self,
        *,
        engine: Engine,
        gateway: Gateway,
        vault: Vault,
        keyring: Keyring,
        settings: DispatchSettings,
        clock: Clock = utcnow,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._engine = engine
        self._gateway = gateway
        self._vault = vault
        self._keyring = keyring
        self._settings = settings
        self._clock = clock
        self._sleep = sleep
        self.deletions = Deletions(engine=engine, gateway=gateway, vault=vault, clock=clock)
        self._pace = Pace(engine=engine, clock=clock, rate=settings.rate)
        self.unsettled = Unsettled()
        self._refusals = Refusals(
            vault=vault,
            keyring=keyring,
            countries=settings.countries,
            segments_per_day=settings.recipient_segments_per_day,
            exempt=settings.exempt,
            clock=clock,
        )

    def run(self, stop: threading.Event, *, idle: float = 0.5) -> None:
        """Send until `stop` is set, resting `idle` seconds when nothing is due."""
        workers = max(self._settings.workers, 1)
        in_flight: set[Future[None]] = set()
        # Deletions from Twilio run beside the sends, in one of the workers, never in this
        # loop: a drain of alerts must not stall while thousands of texts are deleted.
        deleting: Future[None] | None = None
        with ThreadPoolExecutor(workers, thread_name_prefix="hotline-send") as pool:
            while not stop.is_set():
                in_flight = {f for f in in_flight if not f.done()}
                claimed: list[Claimed] = []
                try:
                    self.unsettled.retry()
                    if len(in_flight) < workers:
                        claimed = self.claim(limit=workers - len(in_flight))
                except SQLAlchemyError as error:
                    log.warning("outbox unreachable", extra={"error": type(error).__name__})
                in_flight |= {pool.submit(self._send_logged, row) for row in claimed}
                room = not claimed and len(in_flight) < workers
                deleted = deleting is None or deleting.done()
                if self._settings.delete_from_twilio and room and deleted:
                    deleting = pool.submit(self._delete_logged)
                    in_flight.add(deleting)
                if not claimed:
                    stop.wait(idle if not in_flight else 0.05)

    def run_once(self) -> int:
        """Expire, reclaim and send one batch of due rows, and make the deletions that
        are due. Returns how many rows were tried."""
        self.unsettled.retry()
        claimed = self.claim()
        if self._settings.workers <= 1:
            for row in claimed:
                self._send(row)
        else:
            with ThreadPoolExecutor(self._settings.workers) as pool:
                list(pool.map(self._send, claimed))
        if self._settings.delete_from_twilio:
            self.deletions.run_due()
        return len(claimed)

    def claim(self, limit: int | None = None) -> list[Claimed]:
        """Due rows, now held by this dispatcher for one lease, each with its slot."""
        now = self._clock()
        size = min(limit or self._settings.batch, self._settings.batch)
        with Session(self._engine, expire_on_commit=False) as session:
            self._expire(session, now)
            paced_ahead = (
                exists()
                .where(col(SenderPace.sender) == col(OutboxMessage.sender))
                .where(col(SenderPace.next_slot_at) > now + HORIZON)
            )
            candidates = session.exec(
                select(OutboxMessage.id, OutboxMessage.sender)
                .where(OutboxMessage.status == "pending")
                .where(col(OutboxMessage.next_attempt_at) <= now)
                .where(~paced_ahead)
                .order_by(col(OutboxMessage.priority), col(OutboxMessage.id))
                .limit(self._settings.batch)
                .with_for_update(skip_locked=True, of=OutboxMessage)
            ).all()
            held: list[int] = []
            room: dict[str, int] = {}
            lease = now + self._settings.lease
            for row_id, sender in candidates:
                left = room.setdefault(sender, self._pace.per_round(sender, size))
                if left == 0 or len(held) == size:
                    continue
                taken = session.exec(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id) == row_id)
                    .where(col(OutboxMessage.status) == "pending")
                    .values(
                        status="sending",
                        claimed_until=lease,
                        attempts=OutboxMessage.attempts + 1,
                        updated_at=now,
                    )
                )
                if taken.rowcount == 1:
                    assert row_id is not None
                    held.append(row_id)
                    room[sender] = left - 1
            rows = (
                session.exec(
                    select(OutboxMessage)
                    .where(col(OutboxMessage.id).in_(held))
                    .order_by(col(OutboxMessage.priority), col(OutboxMessage.id))
                ).all()
                if held
                else []
            )
            try:
                session.commit()
            except SQLAlchemyError:
                # The claim may have landed though its answer did not: let go of it.
                self.unsettled.attempt(partial(self._release, held, [lease]))
                raise
        try:
            opened = [
                replace(claimed, lease_until=lease)
                for row in rows
                if (claimed := self._open(row, now)) is not None
            ]
            return self._slotted(opened, lease)
        except SQLAlchemyError:
            # Held and untried: back to the queue now rather than when the lease runs out.
            self.unsettled.attempt(partial(self._release, held, [lease]))
            raise

    def _slotted(self, rows: list[Claimed], lease: datetime) -> list[Claimed]:
        """`rows` with their slots reserved, one reservation per sender; a row left without
        one (another dispatcher reserved the sender's close slots first) goes back to the
        queue untried."""
        by_sender: dict[str, list[Claimed]] = {}
        for row in rows:
            by_sender.setdefault(row.sender, []).append(row)
        slotted: list[Claimed] = []
        for sender, held in by_sender.items():
            slots = self._pace.reserve(sender, len(held))
            slotted += [replace(row, slot=slot) for row, slot in zip(held, slots, strict=False)]
            self._release([row.id for row in held[len(slots) :]], [lease])
        order = {row.id: n for n, row in enumerate(rows)}
        return sorted(slotted, key=lambda row: (row.slot or row.expires_at, order[row.id]))

    def _release(self, ids: Sequence[int], leases: Sequence[datetime]) -> None:
        """Rows back in the queue untried, those still held under one of `leases` (this
        dispatcher's: when it ran out, another may hold the row now)."""
        if not ids:
            return
        with Session(self._engine) as session:
            session.exec(
                update(OutboxMessage)
                .where(col(OutboxMessage.id).in_(ids))
                .where(col(OutboxMessage.status) == "sending")
                .where(col(OutboxMessage.claimed_until).in_(leases))
                .values(
                    status="pending",
                    claimed_until=None,
                    attempts=OutboxMessage.attempts - 1,
                    updated_at=self._clock(),
                )
            )
            session.commit()

    def _expire(self, session: Session, now: datetime) -> None:
        # A raid alert that is hours late is worse than none: past its expiry it is dropped.
        in_flight = (col(OutboxMessage.status) == "sending") & (
            col(OutboxMessage.claimed_until) >= now
        )
        session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.status).in_(("pending", "sending")))
            .where(~in_flight)
            .where(col(OutboxMessage.expires_at) <= now)
            .values(status="expired", updated_at=now, **EMPTIED)
        )
        # A dispatcher that died holding rows: they go back to the queue.
        session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.status) == "sending")
            .where(col(OutboxMessage.claimed_until) < now)
            .values(status="pending", claimed_until=None, updated_at=now)
        )

    def _open(self, row: OutboxMessage, now: datetime) -> Claimed | None:
        assert row.id is not None
        try:
            if row.recipient_sealed is None or row.body_sealed is None:
                raise SealError("nothing sealed")
            recipient = self._vault.open(
                row.recipient_sealed, place=place(row.idempotency_key, "recipient")
            )
            body = self._vault.open(row.body_sealed, place=place(row.idempotency_key, "body"))
        except SealError:
            log.error("an outbox row does not open; marking it failed", extra={"row": row.id})
            self._finish(row.id, status="failed", now=now)
            return None
        return Claimed(
            row.id,
            row.sender,
            recipient,
            body,
            row.attempts,
            row.expires_at,
            row.kind,
            recipient_key=row.recipient_key,
            segments=row.segments,
        )

    def _hold(self, row: Claimed, until: datetime) -> tuple[bool, str | None]:
        """Renew this dispatcher's lease on `row` to `until` (False if it lost the row
        meanwhile), and say why it must not go out now, if it must not."""
        with Session(self._engine) as session:
            refusal = self._refusals.refusal(
                session, recipient=row.recipient, kind=row.kind, segments=row.segments
            )
            renewed = session.exec(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == row.id)
                .where(col(OutboxMessage.status) == "sending")
                .where(col(OutboxMessage.claimed_until) == row.lease_until)
                .values(claimed_until=until)
            ).rowcount
            session.commit()
        return renewed == 1, refusal

    def _delete_logged(self) -> None:
        try:
            self.deletions.run_due()
        except SQLAlchemyError as error:
            log.warning("deletions unreachable", extra={"error": type(error).__name__})

    def _send_logged(self, row: Claimed) -> None:
        try:
            self._send(row)
        except SQLAlchemyError as error:
            # The lease runs out and another round sends it.
            log.warning("outbox unreachable mid-send", extra={"error": type(error).__name__})

    def _send(self, row: Claimed) -> None:
        """Send `row`; what becomes of it is written down even if the database is away
        at that moment (see Unsettled), so it is never sent twice for that."""
        if self._clock() >= aware(row.expires_at):
            expired = partial(self._finish, row.id, status="expired", now=self._clock())
            self.unsettled.attempt(expired)
            return
        # Still ours? A row whose lease ran out before its turn may be another
        # dispatcher's now, and sending it here too would send it twice. Asked before
        # the wait for the slot (half a second at most, far within the lease), so the
        # send leaves at the slot itself, not a database round trip after it.
        assert row.lease_until is not None
        until = self._clock() + self._settings.lease
        try:
            held, refusal = self._hold(row, until)
        except SQLAlchemyError:
            # Whether or not the renewal landed, the row goes back untried.
            self.unsettled.attempt(partial(self._release, [row.id], [row.lease_until, until]))
            raise
        if not held:
            return
        if refusal is not None:
            self.unsettled.attempt(partial(self._refuse, row, refusal))
            return
        slot = row.slot or self._clock()
        wait = (slot - self._clock()).total_seconds()
        if wait > 0:
            self._sleep(wait)
        started = self._clock()
        self._pace.after_late_send(row.sender, slot, started)
        callback = self._settings.status_callback
        try:
            if row.kind == "call":
                sent = self._gateway.create_call(to=row.recipient, from_=row.sender, url=row.body)
            else:
                sent = self._gateway.send_message(
                    to=row.recipient,
                    from_=row.sender,
                    body=row.body,
                    status_callback=f"{callback}?message={row.id}" if callback else None,
                )
        except TelephonyError as error:
            self.unsettled.attempt(partial(self._failed, row, error))
            return
        self.unsettled.attempt(partial(self._sent, row, sent, self._clock()))

    def _sent(self, row: Claimed, sent: Sent, now: datetime) -> None:
        """Note that Twilio took `row`, and when to delete it from Twilio's logs."""
        self._finish(row.id, status=sent.status or "queued", now=now, sid=sent.sid)
        if self._settings.delete_from_twilio:
            # At the latest a day on; a final status callback brings it forward.
            kind: Record = "call" if row.kind == "call" else "message"
            due = now + self._settings.delete_after
            self.deletions.schedule(sid=sent.sid, kind=kind, due_at=due)

    def _refuse(self, row: Claimed, refusal: str) -> None:
        now = self._clock()
        if refusal == "opted_out":
            # They texted STOP after this was queued: it is not sent.
            self._finish(row.id, status="canceled", now=now)
            return
        log.warning("the outbox refused a message", extra={"row": row.id, "why": refusal})
        with Session(self._engine) as session:
            session.exec(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == row.id)
                .values(status="refused", refusal=refusal, updated_at=now, **EMPTIED)
            )
            session.commit()

    def _failed(self, row: Claimed, error: TelephonyError) -> None:
        now = self._clock()
        if not error.retryable:
            log.info("message refused for good", extra={"row": row.id, "code": error.twilio_code})
            self._finish(row.id, status="failed", now=now, error_code=error.twilio_code)
            return
        delay = min(
            self._settings.first_retry * (2 ** (row.attempts - 1)), self._settings.longest_retry
        )
        if error.retry_after is not None:
            # Twilio said how long to wait: so long, and this sender waits with it.
            delay = timedelta(seconds=error.retry_after)
            self._pace.push(row.sender, now + delay)
        if now + delay >= aware(row.expires_at):
            self._finish(row.id, status="expired", now=now, error_code=error.twilio_code)
            return
        log.info("message will be retried", extra={"row": row.id, "attempt": row.attempts})
        with Session(self._engine) as session:
            session.exec(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == row.id)
                .where(col(OutboxMessage.status) == "sending")
                .values(
                    status="pending",
                    claimed_until=None,
                    next_attempt_at=now + delay,
                    error_code=error.twilio_code,
                    updated_at=now,
                )
            )
            session.commit()

    def _finish(
        self,
        row_id: int,
        *,
        status: str,
        now: datetime,
        sid: str | None = None,
        error_code: int | None = None,
    ) -> None:
        ref = carrier_ref(self._vault, sid) if sid else None
        sent_at = now if sid else None
        with Session(self._engine) as session:
            session.exec(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == row_id)
                .values(
                    carrier_ref=ref,
                    sent_at=sent_at,
                    error_code=error_code,
                    updated_at=now,
                    **EMPTIED,
                )
            )
            # A status callback can overtake us; its word on the status stands.
            session.exec(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == row_id)
                .where(col(OutboxMessage.status) == "sending")
                .values(status=status)
            )
            session.commit()
