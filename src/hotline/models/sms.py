"""Texts received, by pseudonym only, and who asked for no more."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, ForeignKey, Integer, LargeBinary
from sqlmodel import Field, SQLModel


class SmsInbound(SQLModel, table=True):
    """A text received: its id (a keyed hash of Twilio's), so a retried webhook is acted
    on once, and who sent it (a pseudonym), so a flood from one number can be capped.
    Never the words. Twilio's id is kept sealed only until the text is deleted from
    Twilio."""

    __tablename__ = "sms_inbound"

    id: int | None = Field(default=None, primary_key=True)
    message_sid: str = Field(max_length=40, unique=True)
    contact_key: str = Field(max_length=64, index=True)
    key_epoch: int
    received_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )
    sid_sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary))


class OptOut(SQLModel, table=True):
    """A pseudonym that asked for no more texts."""

    __tablename__ = "opt_out"

    contact_key: str = Field(primary_key=True, max_length=64)
    key_epoch: int
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class SmsCase(SQLModel, table=True):
    """Urgent help asked by text, relayed through a volunteer. The texter's number is
    sealed while the case is open and deleted when it closes; its code, status, alerted
    volunteers and holder are its claim's."""

    __tablename__ = "sms_case"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("claim.id", ondelete="CASCADE"), nullable=False, unique=True
        )
    )
    texter_key: str = Field(max_length=64, index=True)
    texter_sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    sender: str = Field(max_length=32)
    language: str = Field(max_length=16)
    last_activity_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
