"""Putting text messages in the outbox, sealed, and reading their fate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from hotline.models import FINAL, STATUS_RANK, OutboxMessage
from hotline.privacy.pseudonym import Keyring
from hotline.privacy.vault import Vault
from hotline.telephony.segments import segments


def place(idempotency_key: str, field: str) -> str:
    """What a sealed outbox value is bound to: its row and column."""
    return f"outbox_message|{field}|{idempotency_key}"


def carrier_ref(vault: Vault, sid: str) -> str:
    """A keyed hash of one of Twilio's ids: it finds a row again, and a copy of the
    database cannot be joined with Twilio's logs without the secret key."""
    return vault.fingerprint(sid, purpose="twilio-sid")


@dataclass(frozen=True, slots=True)
class Enqueue:
    """Write: add `messages` to the outbox unless their idempotency keys are there already."""

    messages: tuple[OutboxMessage, ...]

    def apply(self, session: Session) -> None:
        keys = [message.idempotency_key for message in self.messages]
        query = select(OutboxMessage.idempotency_key).where(
            col(OutboxMessage.idempotency_key).in_(keys)
        )
        present = set(session.exec(query).all())
        for message in self.messages:
            if message.idempotency_key not in present:
                session.add(message)
        session.flush()


def texts(
    *,
    vault: Vault,
    keyring: Keyring,
    sender: str,
    recipient: str,
    parts: Sequence[str],
    purpose: str,
    language: str | None,
    key: str,
    now: datetime,
    expires_in: timedelta,
    kind: str = "sms",
) -> Enqueue:
    """Sealed outbox rows for `parts`, one text each (or one call, for `kind` "call"),
    under the idempotency `key`."""
    epoch = keyring.current_epoch(now)
    recipient_key = keyring.pseudonym(recipient, epoch=epoch)
    rows = []
    for number, body in enumerate(parts, start=1):
        idempotency_key = f"{key}:{number}/{len(parts)}"
        rows.append(
            OutboxMessage(
                idempotency_key=idempotency_key,
                sender=sender,
                recipient_key=recipient_key,
                key_epoch=epoch,
                recipient_sealed=vault.seal(recipient, place=place(idempotency_key, "recipient")),
                body_sealed=vault.seal(body, place=place(idempotency_key, "body")),
                kind=kind,
                purpose=purpose,
                language=language,
                part=number,
                parts=len(parts),
                segments=segments(body) if kind == "sms" else 1,
                next_attempt_at=now,
                expires_at=now + expires_in,
                created_at=now,
                updated_at=now,
            )
        )
    return Enqueue(tuple(rows))


def cancel_pending(session: Session, *, key_prefix: str, now: datetime) -> int:
    """Cancel the messages not yet handed to Twilio whose idempotency key starts with
    `key_prefix`; their sealed recipient and body go at once. Returns how many."""
    pattern = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    canceled = session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.status) == "pending")
        .where(col(OutboxMessage.idempotency_key).like(f"{pattern}%", escape="\\"))
        .values(status="canceled", recipient_sealed=None, body_sealed=None, updated_at=now)
    ).rowcount
    session.flush()
    return int(canceled)


@dataclass(frozen=True, slots=True)
class StatusReport:
    """Write: Twilio's word on a message, from a status callback (its id as a keyed hash)."""

    message_id: int | None
    ref: str
    status: str
    error_code: int | None
    at: datetime

    def apply(self, session: Session) -> None:
        apply_status(
            session,
            message_id=self.message_id,
            ref=self.ref,
            status=self.status,
            error_code=self.error_code,
            now=self.at,
        )


def apply_status(
    session: Session,
    *,
    message_id: int | None,
    ref: str,
    status: str,
    error_code: int | None,
    now: datetime,
) -> bool:
    """Record a status callback; never moves a row backwards. False for an unknown message.

    The row is found by the id in the callback URL, so a callback that overtakes the
    dispatcher's own note of the sid still lands; one whose sid is not the row's is not
    the row's.
    """
    row = session.get(OutboxMessage, message_id) if message_id is not None else None
    if row is None and ref:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.carrier_ref == ref)).first()
    if row is None or (row.carrier_ref and ref and row.carrier_ref != ref):
        return False
    current = STATUS_RANK.get(row.status, 0)
    incoming = STATUS_RANK.get(status)
    if incoming is None or row.status in FINAL or incoming < current:
        return True
    if incoming == current and row.status == status:
        return True
    row.status = status
    if error_code is not None:
        row.error_code = error_code
    row.updated_at = now
    session.add(row)
    session.flush()
    return True
