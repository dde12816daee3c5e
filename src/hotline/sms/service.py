"""The text conversation's memory: texts seen, languages chosen, opt-outs, erasure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from hotline.models import CallerPreference, CallEvent, OptOut, OutboxMessage, SmsInbound


def seen(session: Session, *, message_sid: str) -> bool:
    """Whether this text was already acted on."""
    found = session.exec(select(SmsInbound.id).where(SmsInbound.message_sid == message_sid))
    return found.first() is not None


def receive(
    session: Session, *, message_sid: str, contact_key: str, key_epoch: int, at: datetime
) -> None:
    """Note a text as received; the unique MessageSid makes a retried webhook fail here."""
    session.add(
        SmsInbound(
            message_sid=message_sid, contact_key=contact_key, key_epoch=key_epoch, received_at=at
        )
    )
    session.flush()


def recent(session: Session, *, keys: Sequence[str], since: datetime) -> int:
    """How many texts these pseudonyms sent since `since`."""
    query = (
        select(func.count())
        .select_from(SmsInbound)
        .where(col(SmsInbound.contact_key).in_(keys))
        .where(col(SmsInbound.received_at) >= since)
    )
    return int(session.exec(query).one())


def language(session: Session, *, keys: Sequence[str]) -> str | None:
    """The language remembered under any of these pseudonyms, newest first."""
    row = session.exec(
        select(CallerPreference)
        .where(col(CallerPreference.caller_key).in_(keys))
        .order_by(col(CallerPreference.updated_at).desc())
    ).first()
    return row.language if row else None


def opted_out(session: Session, *, keys: Sequence[str]) -> bool:
    return (
        session.exec(select(OptOut.contact_key).where(col(OptOut.contact_key).in_(keys))).first()
        is not None
    )


def opt_out(session: Session, *, keys: Sequence[str], epochs: Sequence[int], at: datetime) -> None:
    """Send this number nothing more, under every live pseudonym."""
    for key, epoch in zip(keys, epochs, strict=True):
        if session.get(OptOut, key) is None:
            session.add(OptOut(contact_key=key, key_epoch=epoch, at=at))
    session.flush()


def opt_in(session: Session, *, keys: Sequence[str]) -> None:
    session.exec(delete(OptOut).where(col(OptOut.contact_key).in_(keys)))
    session.flush()


def erase(session: Session, *, keys: Sequence[str], keep_sid: str) -> None:
    """Delete everything held under these pseudonyms: languages, calls, texts, messages.

    The opt-out stays (it protects the person) and so does the note of this very text,
    so that a retried delete request is not acted on twice.
    """
    calls = session.exec(
        select(CallEvent.call_ref).where(col(CallEvent.caller_key).in_(keys))
    ).all()
    session.exec(delete(CallEvent).where(col(CallEvent.call_ref).in_(set(calls))))
    session.exec(delete(CallerPreference).where(col(CallerPreference.caller_key).in_(keys)))
    session.exec(delete(OutboxMessage).where(col(OutboxMessage.recipient_key).in_(keys)))
    session.exec(
        delete(SmsInbound)
        .where(col(SmsInbound.contact_key).in_(keys))
        .where(col(SmsInbound.message_sid) != keep_sid)
    )
    session.flush()


def purge_received(session: Session, *, before: datetime) -> int:
    """Forget texts received before `before` (only kept to spot retries and floods)."""
    return int(
        session.exec(delete(SmsInbound).where(col(SmsInbound.received_at) < before)).rowcount
    )


FLOOD_WINDOW = timedelta(minutes=10)
