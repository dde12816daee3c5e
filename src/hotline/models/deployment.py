"""What the deployment itself keeps: proofs of which keys wrote the data, and the
spool entries already applied."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, LargeBinary
from sqlmodel import Field, SQLModel


class KeyCheck(SQLModel, table=True):
    """Which keys this database was written with, without holding the keys.

    "pseudonym": a keyed hash of a fixed text under one epoch's pseudonym key;
    "vault": a fixed text sealed with the secret key. Start-up compares both with the
    keys it was given, so a lost or wrong key stops the service instead of silently
    forgetting opt-outs or failing to open volunteers' numbers.
    """

    __tablename__ = "key_check"

    name: str = Field(primary_key=True, max_length=16)
    epoch: int | None = None
    value: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class SpoolApplied(SQLModel, table=True):
    """A spool entry written to the database: applying it again changes nothing."""

    __tablename__ = "spool_applied"

    entry_id: str = Field(primary_key=True, max_length=32)
    applied_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )
