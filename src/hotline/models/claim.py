"""Claims: something volunteers are alerted to and take by code (a callback, a text case,
later a rapid-response incident), who was alerted, who holds it, and who guessed codes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel


class ClaimKind(StrEnum):
    """What a claim is about; one code namespace for all of them."""

    CALLBACK = "callback"
    SMS_CASE = "sms_case"
    INCIDENT = "incident"


class ClaimStatus(StrEnum):
    """Where a claim stands. Which statuses are open is answered here and nowhere else."""

    WAITING = "waiting"  # open, nobody holds it
    HELD = "held"  # open, held by one holder or more
    DONE = "done"
    EXPIRED = "expired"
    CANCELED = "canceled"

    @classmethod
    def open_statuses(cls) -> frozenset[ClaimStatus]:
        return frozenset({cls.WAITING, cls.HELD})

    @classmethod
    def closed_statuses(cls) -> frozenset[ClaimStatus]:
        return frozenset(cls) - cls.open_statuses()


def _moment(*, nullable: bool = False, index: bool = False) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


def _volunteer_fk(*, nullable: bool = False, primary_key: bool = False) -> Column[int]:
    return Column(
        Integer,
        ForeignKey("volunteer.id", ondelete="CASCADE"),
        nullable=nullable,
        primary_key=primary_key,
        index=not primary_key,
    )


class Claim(SQLModel, table=True):
    """One thing to be claimed by code. `open_code` is the code while the claim is open
    and NULL after: its unique index keeps codes unique among open claims of every kind."""

    __tablename__ = "claim"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    code: str = Field(max_length=12, index=True)
    open_code: str | None = Field(default=None, max_length=12, unique=True)
    status: str = Field(default=ClaimStatus.WAITING, max_length=16, index=True)
    # How many may hold it at once (a rapid-response incident may want two), and how many do.
    capacity: int = 1
    held: int = 0
    # Alert rounds sent so far, and when the next one is due while nobody holds it.
    rounds: int = 0
    next_alert_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    # A holder left (deactivated, deleted) and whoever asked has not been told yet.
    returned: bool = False
    created_at: datetime = Field(sa_column=_moment())
    updated_at: datetime = Field(sa_column=_moment())


class ClaimAlert(SQLModel, table=True):
    """A volunteer who was alerted to a claim: only they may take it."""

    __tablename__ = "claim_alert"

    claim_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("claim.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    volunteer_id: int = Field(sa_column=_volunteer_fk(primary_key=True))
    at: datetime = Field(sa_column=_moment())


class ClaimHolder(SQLModel, table=True):
    """Who holds a claim: a volunteer, or the backup number (no volunteer row)."""

    __tablename__ = "claim_holder"
    __table_args__ = (
        UniqueConstraint("claim_id", "volunteer_id"),
        CheckConstraint("(volunteer_id IS NULL) = backup", name="one_holder"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("claim.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    volunteer_id: int | None = Field(default=None, sa_column=_volunteer_fk(nullable=True))
    backup: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    at: datetime = Field(sa_column=_moment())


class ClaimFailure(SQLModel, table=True):
    """A code a volunteer sent that matched nothing they may take. Kept an hour."""

    __tablename__ = "claim_failure"

    id: int | None = Field(default=None, primary_key=True)
    volunteer_id: int = Field(sa_column=_volunteer_fk())
    at: datetime = Field(sa_column=_moment())


class ClaimLockout(SQLModel, table=True):
    """A volunteer whose codes are not read until `until`, after too many wrong ones."""

    __tablename__ = "claim_lockout"

    volunteer_id: int = Field(sa_column=_volunteer_fk(primary_key=True))
    until: datetime = Field(sa_column=_moment())
