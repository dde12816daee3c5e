"""Outbound messages, written with the change that caused them, sent by the dispatcher."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Index, LargeBinary
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
    "refused": 4,
}
FINAL = frozenset({"delivered", "read", "undelivered", "failed", "expired", "canceled", "refused"})
# Why the outbox itself refused a message (status "refused").
REFUSALS = ("country", "recipient_cap")
# What a sender sends first: anything for a caller, volunteer or responder before
# alerts to subscribers, which may be thousands at once.
URGENT, BULK = 0, 1


class OutboxMessage(SQLModel, table=True):
    """One text message to send. Recipient and body are sealed until handed to Twilio."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "status", "priority", "id"),)

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
    priority: int = Field(default=URGENT, sa_column_kwargs={"server_default": "0"})
    # Why the outbox refused it: a country not served, or a number sent too much.
    refusal: str | None = Field(default=None, max_length=16)
    attempts: int = 0
    error_code: int | None = None
    # A keyed hash of Twilio's id: a copy of the database cannot be joined with Twilio's
    # logs, yet a status callback still finds its row.
    carrier_ref: str | None = Field(default=None, max_length=32, unique=True)
    sent_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True, index=True)
    )
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


class CarrierDeletion(SQLModel, table=True):
    """A message or call to delete from Twilio, so its logs do not keep who was in touch.

    Twilio's id is sealed until the deletion is done, then the row goes.
    """

    __tablename__ = "carrier_deletion"

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=32, unique=True)
    kind: str = Field(max_length=8)
    sid_sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    due_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
    attempts: int = 0
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class RightsSent(SQLModel, table=True):
    """The rights went by text to a number (a pseudonym) at `at`, by call or by text:
    counted so one number gets them a few times a day at most."""

    __tablename__ = "rights_sent"

    id: int | None = Field(default=None, primary_key=True)
    recipient_key: str = Field(max_length=64, index=True)
    key_epoch: int
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
