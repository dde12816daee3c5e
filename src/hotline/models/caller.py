"""What the hotline remembers about a caller: only a language, under a pseudonym."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


class CallerPreference(SQLModel, table=True):
    """The language a caller chose, so a returning caller skips the menu."""

    __tablename__ = "caller_preference"

    caller_key: str = Field(primary_key=True, max_length=64)
    key_epoch: int
    language: str = Field(max_length=16)
    updated_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )
