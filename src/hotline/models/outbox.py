"""Outbound messages, written with the change that caused them, sent by the dispatcher."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, LargeBinary
from sqlmodel import Field, SQLModel

# Statuses in the order they can follow each other; a callback never moves a row back.
STATUS_RANK = {
    "pending": 0,
    "sending": 1,
    "queued": 2,
    "accepted": 2,
    "scheduled": 2,
    "sent": 3,
    "delivered": 4,
    "read": 5,
    "undelivered": 4,
    "failed": 4,
    "expired": 4,
    "canceled": 4,
}
FINAL = frozenset({"delivered", "read", "undelivered", "failed", "expired", "canceled"})


class OutboxMessage(SQLModel, table=True):
    """One text message to send. Recipient and body are sealed until handed to Twilio."""

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=80, unique=True)
    # A hotline number, or a Messaging Service SID (MG and 32 hex digits).
    sender: str = Field(max_length=40, index=True)
    recipient_key: str = Field(max_length=64, index=True)
    key_epoch: int
    recipient_sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    body_sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    # "sms" sends the body as a text; "call" rings the recipient, the body being the
    # URL of the TwiML their answered call runs.
    kind: str = Field(default="sms", max_length=8)
    purpose: str = Field(max_length=32)
    language: str | None = Field(default=None, max_length=16)
    part: int = 1
    parts: int = 1
    segments: int = 1
    status: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    error_code: int | None = None
    twilio_sid: str | None = Field(default=None, max_length=40, unique=True)
    next_attempt_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    claimed_until: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class SenderPace(SQLModel, table=True):
    """The next moment a sender number may send: the rate limit shared by all workers."""

    __tablename__ = "sender_pace"

    sender: str = Field(primary_key=True, max_length=40)
    next_slot_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
