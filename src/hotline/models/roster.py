"""The on-call roster: volunteers, their shifts, and who covers whose."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, ForeignKey, Integer, LargeBinary
from sqlmodel import Field, SQLModel

ROLES = ("legal_volunteer", "attorney", "coordinator_backup")
AVAILABILITY = ("on", "off", "break")


def _moment(*, nullable: bool = False, index: bool = False) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


class Volunteer(SQLModel, table=True):
    """A person who takes urgent calls. Their number is sealed; a pseudonym finds them."""

    __tablename__ = "volunteer"
    # Ids are never handed out again: an old reference must not find a new person.
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    phone_sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # A keyed hash that does not rotate: a volunteer's texts must find them next year too.
    phone_key: str = Field(max_length=64, unique=True)
    # What coordinators see of the number: its country code and last two digits.
    phone_hint: str = Field(max_length=24)
    # Language codes from the registry, comma-separated, most fluent first.
    languages: str = Field(max_length=200)
    role: str = Field(default="legal_volunteer", max_length=24)
    active: bool = True
    availability: str = Field(default="on", max_length=8)
    break_until: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    created_at: datetime = Field(sa_column=_moment())
    updated_at: datetime = Field(sa_column=_moment())


class Shift(SQLModel, table=True):
    """A stretch of time on call; a weekly one repeats at the same local wall-clock time."""

    __tablename__ = "shift"

    id: int | None = Field(default=None, primary_key=True)
    volunteer_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("volunteer.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    starts_at: datetime = Field(sa_column=_moment())
    ends_at: datetime = Field(sa_column=_moment())
    weekly: bool = False
    repeat_until: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    created_at: datetime = Field(sa_column=_moment())


class ShiftOverride(SQLModel, table=True):
    """For a while, another volunteer covers a shift in place of its own."""

    __tablename__ = "shift_override"

    id: int | None = Field(default=None, primary_key=True)
    shift_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("shift.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    volunteer_id: int = Field(
        sa_column=Column(Integer, ForeignKey("volunteer.id", ondelete="CASCADE"), nullable=False)
    )
    starts_at: datetime = Field(sa_column=_moment())
    ends_at: datetime = Field(sa_column=_moment())
    created_at: datetime = Field(sa_column=_moment())
