"""The pseudonymous call event log."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime
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
