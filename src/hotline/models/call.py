"""The pseudonymous call event log."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, ForeignKey, Integer, LargeBinary
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class CallEvent(SQLModel, table=True):
    """One step of one call: what happened, never who called.

    `call_ref` and `caller_key` are keyed pseudonyms of the CallSid and the caller's
    number; without the epoch key they link to nothing outside this table.
    """

    __tablename__ = "call_event"

    id: int | None = Field(default=None, primary_key=True)
    call_ref: str = Field(max_length=64, index=True)
    caller_key: str | None = Field(default=None, max_length=64, index=True)
    key_epoch: int
    kind: str = Field(max_length=40)
    language: str | None = Field(default=None, max_length=16)
    detail: str | None = Field(default=None, max_length=64)
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class CallRecord(SQLModel, table=True):
    """One urgent call's outcome and timings, for coordinators. No numbers, no names."""

    __tablename__ = "call_record"

    id: int | None = Field(default=None, primary_key=True)
    call_ref: str = Field(max_length=64, unique=True)
    language: str | None = Field(default=None, max_length=16)
    started_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    urgent_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    first_ring_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    answered_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    tier_reached: int = 0
    outcome: str = Field(default="open", max_length=24)
    accepted_by: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("volunteer.id", ondelete="SET NULL"), nullable=True),
    )


class Callback(SQLModel, table=True):
    """A caller nobody could answer, waiting to be called back. Their number is sealed
    and deleted when the callback ends or expires; its code, status, alerted volunteers
    and holder are its claim's."""

    __tablename__ = "callback"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("claim.id", ondelete="CASCADE"), nullable=False, unique=True
        )
    )
    call_ref: str = Field(max_length=64)
    caller_sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    sender: str = Field(max_length=32)
    language: str = Field(max_length=16)
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
