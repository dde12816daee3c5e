"""Texts received, by pseudonym only, and who asked for no more."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


class SmsInbound(SQLModel, table=True):
    """A text received: its id, so a retried webhook is acted on once, and who sent it
    (a pseudonym), so a flood from one number can be capped. Never the words."""

    __tablename__ = "sms_inbound"

    id: int | None = Field(default=None, primary_key=True)
    message_sid: str = Field(max_length=40, unique=True)
    contact_key: str = Field(max_length=64, index=True)
    key_epoch: int
    received_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )


class OptOut(SQLModel, table=True):
    """A pseudonym that asked for no more texts."""

    __tablename__ = "opt_out"

    contact_key: str = Field(primary_key=True, max_length=64)
    key_epoch: int
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
