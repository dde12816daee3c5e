"""The roster snapshot: read from the database, kept in memory, refreshed in the background.

Routing reads only the snapshot, so an urgent call still reaches volunteers while the
database is unreachable: the last good snapshot stays in use until a refresh succeeds.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from hotline.db import aware
from hotline.models import CallRecord, Shift, ShiftOverride, Volunteer, VolunteerZone
from hotline.routing.oncall import CoverSpec, Person, RosterSnapshot, ShiftSpec

log = logging.getLogger(__name__)


def person(volunteer: Volunteer, zones: tuple[int, ...] = ()) -> Person:
    """The routing view of a volunteer row, with the zones they respond in."""
    assert volunteer.id is not None
    return Person(
        id=volunteer.id,
        name=volunteer.name,
        languages=tuple(code for code in volunteer.languages.split(",") if code),
        role=volunteer.role,
        active=volunteer.active,
        availability=volunteer.availability,
        break_until=aware(volunteer.break_until) if volunteer.break_until else None,
        phone_sealed=volunteer.phone_sealed,
        phone_key=volunteer.phone_key,
        zones=zones,
    )


def volunteer_phone_place(phone_key: str) -> str:
    """What a volunteer's sealed number is bound to."""
    return f"volunteer|phone|{phone_key}"


def load_snapshot(session: Session, *, timezone: ZoneInfo, at: datetime) -> RosterSnapshot:
    """The whole roster as of `at`."""
    volunteers = session.exec(select(Volunteer)).all()
    shifts = session.exec(select(Shift)).all()
    covers = session.exec(select(ShiftOverride)).all()
    zones: dict[int, list[int]] = defaultdict(list)
    for link in session.exec(select(VolunteerZone)).all():
        zones[link.volunteer_id].append(link.zone_id)
    return RosterSnapshot(
        people=[person(v, tuple(sorted(zones.get(v.id or 0, ())))) for v in volunteers],
        shifts=[
            ShiftSpec(
                id=s.id or 0,
                volunteer_id=s.volunteer_id,
                starts_at=aware(s.starts_at),
                ends_at=aware(s.ends_at),
                weekly=s.weekly,
                repeat_until=aware(s.repeat_until) if s.repeat_until else None,
            )
            for s in shifts
        ],
        covers=[
            CoverSpec(
                id=c.id or 0,
                shift_id=c.shift_id,
                volunteer_id=c.volunteer_id,
                starts_at=aware(c.starts_at),
                ends_at=aware(c.ends_at),
            )
            for c in covers
        ],
        timezone=timezone,
        taken_at=at,
    )


class RosterCache:
    """The latest good snapshot; `refresh` replaces it, a failed refresh keeps it."""

    def __init__(self, *, engine: Engine, timezone: ZoneInfo) -> None:
        self._engine = engine
        self._timezone = timezone
        self._lock = threading.Lock()
        self.snapshot = RosterSnapshot(
            people=(), shifts=(), covers=(), timezone=timezone, taken_at=datetime.now(UTC)
        )
        self.failures = 0

    def refresh(self, at: datetime | None = None) -> bool:
        """Read the roster again; False (and the old snapshot kept) if the database fails."""
        try:
            with Session(self._engine) as session:
                fresh = load_snapshot(session, timezone=self._timezone, at=at or datetime.now(UTC))
        except SQLAlchemyError as error:
            self.failures += 1
            log.warning("roster not refreshed", extra={"error": type(error).__name__})
            return False
        with self._lock:
            self.snapshot = fresh
        return True


@dataclass(frozen=True, slots=True)
class RecordCall:
    """Write: what happened to an urgent call, merged into its call record.

    Times are only ever set once, and the tier only ever goes up, so writes that
    arrive late or twice leave the record right.
    """

    call_ref: str
    at: datetime
    language: str | None = None
    urgent: bool = False
    tier: int | None = None
    rang: bool = False
    accepted_by: int | None = None
    outcome: str | None = None

    def apply(self, session: Session) -> None:
        record = session.exec(
            select(CallRecord).where(CallRecord.call_ref == self.call_ref)
        ).first()
        if record is None:
            record = CallRecord(call_ref=self.call_ref, started_at=self.at)
        if self.language and not record.language:
            record.language = self.language
        if self.urgent and record.urgent_at is None:
            record.urgent_at = self.at
        if self.tier is not None:
            record.tier_reached = max(record.tier_reached, self.tier)
        if self.rang and record.first_ring_at is None:
            record.first_ring_at = self.at
        if self.accepted_by is not None and record.answered_at is None:
            record.answered_at = self.at
            record.accepted_by = self.accepted_by
            record.outcome = "answered"
        if self.outcome is not None and record.outcome in ("open", "ringing"):
            record.outcome = self.outcome
        session.add(record)
        session.flush()
