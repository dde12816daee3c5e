"""Rapid response: zones, sighting reports, incidents and their history, subscribers, alerts.

What a report keeps is what responders need and no more: the kind, the zone, a coarse
place (sealed), the minute, the language, the channel and whether it was still going on.
The reporter's number is sealed only while the report is open. A subscriber's number
is the one number kept on purpose, sealed, until they unsubscribe or ask to be deleted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, ForeignKey, Integer, LargeBinary, String
from sqlmodel import Field, SQLModel


def _moment(*, nullable: bool = False, index: bool = False) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


def _parent(table: str, *, nullable: bool = False, index: bool = True) -> Column[int]:
    ondelete = "SET NULL" if nullable else "CASCADE"
    return Column(
        Integer, ForeignKey(f"{table}.id", ondelete=ondelete), nullable=nullable, index=index
    )


class Zone(SQLModel, table=True):
    """A named area made of ZIP codes: responders cover zones, subscribers hear of them."""

    __tablename__ = "zone"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    created_at: datetime = Field(sa_column=_moment())
    updated_at: datetime = Field(sa_column=_moment())


class ZoneZip(SQLModel, table=True):
    """A ZIP code of a zone; a ZIP code belongs to one zone at most."""

    __tablename__ = "zone_zip"

    zip: str = Field(sa_column=Column(String(5), primary_key=True))
    zone_id: int = Field(sa_column=_parent("zone"))


class ZoneNeighbour(SQLModel, table=True):
    """Zone `neighbour_id` is next to zone `zone_id`; kept both ways round."""

    __tablename__ = "zone_neighbour"

    zone_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("zone.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    neighbour_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("zone.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )


class VolunteerZone(SQLModel, table=True):
    """A volunteer responds in this zone while on shift."""

    __tablename__ = "volunteer_zone"

    volunteer_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("volunteer.id", ondelete="CASCADE"),
            primary_key=True,
            nullable=False,
        )
    )
    zone_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("zone.id", ondelete="CASCADE"),
            primary_key=True,
            nullable=False,
            index=True,
        )
    )


class Incident(SQLModel, table=True):
    """Reports of one kind in one zone, close in time: one call-out, one verification."""

    __tablename__ = "incident"

    id: int | None = Field(default=None, primary_key=True)
    zone_id: int | None = Field(default=None, sa_column=_parent("zone", nullable=True))
    kind: str = Field(max_length=16)
    status: str = Field(default="reported", max_length=24, index=True)
    # Any of its reports said it was still going on.
    ongoing: bool = True
    reports: int = 1
    # The call-out's claim (shared claims module), and its code, which responders reply
    # with (GO, CONFIRMED, …).
    claim_id: int | None = Field(default=None, sa_column=_parent("claim", nullable=True))
    code: str | None = Field(default=None, max_length=8, index=True)
    # The hotline number call-outs about it are sent from.
    line: str = Field(default="", max_length=40)
    # How far the call-out has escalated, and when it escalates next.
    stage: int = 0
    next_step_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    opened_at: datetime = Field(sa_column=_moment(index=True))
    last_report_at: datetime = Field(sa_column=_moment())
    expires_at: datetime = Field(sa_column=_moment())
    closed_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    updated_at: datetime = Field(sa_column=_moment())


class IncidentEvent(SQLModel, table=True):
    """One step in an incident's life: who did what, when. Never a number or a place."""

    __tablename__ = "incident_event"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(sa_column=_parent("incident"))
    at: datetime = Field(sa_column=_moment())
    step: str = Field(max_length=24)
    status: str = Field(max_length=24)
    volunteer_id: int | None = None
    user_id: int | None = None
    detail: str = Field(default="", max_length=120)


class Report(SQLModel, table=True):
    """One sighting, as minimal as responders can work with."""

    __tablename__ = "report"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(sa_column=_parent("incident"))
    kind: str = Field(max_length=16)
    zone_id: int | None = Field(default=None, sa_column=_parent("zone", nullable=True))
    # A ZIP code or cross streets, coarsened, sealed to this row.
    place_sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    # The minute it was reported, seconds dropped.
    minute: datetime = Field(sa_column=_moment(index=True))
    ongoing: bool = True
    language: str = Field(max_length=16)
    channel: str = Field(max_length=8)
    status: str = Field(default="open", max_length=8, index=True)
    # The reporter's number, sealed, while the report is open; and its pseudonym, so a
    # DELETE from that number finds it.
    reporter_sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    reporter_key: str | None = Field(default=None, max_length=64, index=True)
    # The hotline number a reporter by text wrote to: a follow-up question comes from it.
    line: str = Field(default="", max_length=40)
    # A responder asked the reporter a question (ASK): their answers go to that responder.
    asked_by: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("volunteer.id", ondelete="SET NULL"), nullable=True),
    )
    asked_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))


class ReportDraft(SQLModel, table=True):
    """A report by text under way (REPORT, or "reply 1 to report this"), kept between the
    texter's texts under their pseudonym, its place sealed, for a quarter of an hour."""

    __tablename__ = "report_draft"

    id: int | None = Field(default=None, primary_key=True)
    texter_key: str = Field(max_length=64, unique=True)
    key_epoch: int
    # What the texter is asked next: offer (reply 1), what, where, when.
    step: str = Field(max_length=8)
    language: str = Field(max_length=16)
    kind: str | None = Field(default=None, max_length=16)
    place_sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    expires_at: datetime = Field(sa_column=_moment(index=True))
    updated_at: datetime = Field(sa_column=_moment())


class Subscriber(SQLModel, table=True):
    """Someone who asked for verified alerts by text: their number, sealed, until they stop."""

    __tablename__ = "subscriber"

    id: int | None = Field(default=None, primary_key=True)
    # A keyed hash that does not rotate: ALERTS STOP next year must still find them.
    number_key: str = Field(max_length=64, unique=True)
    number_sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    language: str = Field(max_length=16)
    corrections: bool = False
    # The hotline number they texted: alerts come from it when no pool is configured.
    line: str = Field(max_length=40)
    created_at: datetime = Field(sa_column=_moment())
    updated_at: datetime = Field(sa_column=_moment())


class SubscriberZip(SQLModel, table=True):
    """A ZIP code a subscriber wants alerts for; its zone is looked up when an alert goes."""

    __tablename__ = "subscriber_zip"

    subscriber_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("subscriber.id", ondelete="CASCADE"),
            primary_key=True,
            nullable=False,
        )
    )
    zip: str = Field(sa_column=Column(String(5), primary_key=True, index=True))


class Alert(SQLModel, table=True):
    """A verified alert (or a correction) to the subscribers of a zone, and its progress."""

    __tablename__ = "alert"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int | None = Field(default=None, sa_column=_parent("incident", nullable=True))
    zone_id: int | None = Field(default=None, sa_column=_parent("zone", nullable=True))
    kind: str = Field(max_length=16)
    status: str = Field(max_length=24, index=True)
    # The last subscriber id already queued: a fan-out cut short resumes after it.
    cursor: int = 0
    recipients: int = 0
    created_at: datetime = Field(sa_column=_moment())
    approved_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    approved_by: int | None = None
    finished_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    expires_at: datetime = Field(sa_column=_moment())
