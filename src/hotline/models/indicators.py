"""What volunteers noted about the calls they took, and the monthly counts that outlive
the events they were counted from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, ForeignKey, Integer
from sqlmodel import Field, SQLModel

DISPOSITION_KINDS = ("rights", "sighting", "detention", "clinic", "not_immigration", "other")


class Disposition(SQLModel, table=True):
    """What an urgent call or text case turned out to be about, in one word; never more.

    Exactly one of `call_record_id` and `sms_case_id` is set.
    """

    __tablename__ = "disposition"

    id: int | None = Field(default=None, primary_key=True)
    call_record_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer,
            ForeignKey("call_record.id", ondelete="CASCADE"),
            nullable=True,
            unique=True,
        ),
    )
    sms_case_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("sms_case.id", ondelete="CASCADE"), nullable=True, unique=True
        ),
    )
    volunteer_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("volunteer.id", ondelete="SET NULL"), nullable=True),
    )
    kind: str = Field(max_length=24)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))


class IndicatorRollup(SQLModel, table=True):
    """A count for one month (UTC, "2026-11"), folded in by the purge from the rows it
    deleted. Live rows are counted apart, so rollup plus live is the month's total."""

    __tablename__ = "indicator_rollup"

    month: str = Field(primary_key=True, max_length=7)
    metric: str = Field(primary_key=True, max_length=24)
    key: str = Field(primary_key=True, max_length=24)
    value: int = 0
