"""What the Now and Roster pages show, built from the roster: framework-free view data."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select as rows_of
from sqlmodel import Session, col

from hotline.db import aware
from hotline.errors import HotlineError
from hotline.models import Shift, ShiftOverride, Volunteer
from hotline.routing.oncall import CoverSpec, Interval, RosterSnapshot, ShiftSpec, intervals

DAY = timedelta(days=1)
PER_PAGE = 50


class BadInput(HotlineError):
    """A form value the console cannot use; the message names the field, not the value."""

    status_code = 422
    code = "bad_input"


def local_moment(day: str, clock: str, zone: ZoneInfo, *, field_name: str) -> datetime:
    """`day` (YYYY-MM-DD) at `clock` (HH:MM, 24:00 for midnight after) on the hotline's clock."""
    try:
        when = date.fromisoformat(day.strip())
        hours, _, minutes = clock.strip().partition(":")
        hour, minute = int(hours), int(minutes)
    except ValueError:
        raise BadInput(f"{field_name} is not a date and time") from None
    if (hour, minute) == (24, 0):
        return datetime.combine(when + DAY, time(0), tzinfo=zone)
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise BadInput(f"{field_name} is not a time of day") from None
    return datetime.combine(when, time(hour, minute), tzinfo=zone)


def stretch(day: str, start: str, end: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """A shift's start and end from a day and two clock times; an end before the start
    runs overnight."""
    begins = local_moment(day, start, zone, field_name="start")
    ends = local_moment(day, end, zone, field_name="end")
    if ends <= begins:
        ends = local_moment((date.fromisoformat(day.strip()) + DAY).isoformat(), end, zone,
                            field_name="end")  # fmt: skip
    if ends <= begins:
        raise BadInput("end must be after start")
    return begins, ends


def monday(moment: datetime, zone: ZoneInfo) -> date:
    """The Monday of `moment`'s week on the hotline's clock."""
    today = moment.astimezone(zone).date()
    return today - timedelta(days=today.weekday())


def _uncovered(
    start: datetime, end: datetime, covered: Iterable[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    gaps, cursor = [], start
    for begins, ends in sorted(covered):
        if ends <= cursor or begins >= end:
            continue
        if begins > cursor:
            gaps.append((cursor, begins))
        cursor = max(cursor, ends)
    if cursor < end:
        gaps.append((cursor, end))
    return gaps


def _clock(moment: datetime, zone: ZoneInfo, day_end: datetime | None) -> str:
    # In a day's cell, the end of the day reads 24:00 rather than the next day's 00:00.
    return "24:00" if day_end and moment >= day_end else f"{moment.astimezone(zone):%H:%M}"


@dataclass(frozen=True, slots=True)
class Stretch:
    """Part of a stretch of time on the page: local clock times, and where on a bar."""

    start: str
    end: str
    left: float
    right: float


def _pieces(
    spans: Iterable[tuple[datetime, datetime]],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    *,
    day: bool = True,
) -> list[Stretch]:
    length = (end - start).total_seconds()
    found = []
    for begins, ends in spans:
        a, b = max(begins, start), min(ends, end)
        if a >= b:
            continue
        found.append(
            Stretch(
                _clock(a, zone, end if day else None),
                _clock(b, zone, end if day else None),
                (a - start).total_seconds() / length,
                (b - start).total_seconds() / length,
            )
        )
    return found


@dataclass(frozen=True, slots=True)
class LanguageNow:
    """One language on the Now page: who is on call now, and the gaps of the next day."""

    code: str
    on_call: list[str]
    gaps: list[Stretch]


def now_by_language(
    snapshot: RosterSnapshot, *, now: datetime, languages: Sequence[str], hours: int = 24
) -> list[LanguageNow]:
    """Per language, who is on call now and the gaps of the next `hours`."""
    end = now + timedelta(hours=hours)
    gaps = snapshot.gaps_by_language(languages, now, end)
    return [
        LanguageNow(
            code,
            [person.name for person in snapshot.on_call(now, code)],
            _pieces(gaps[code], now, end, snapshot.timezone, day=False),
        )
        for code in languages
    ]


def next_stretches(
    snapshot: RosterSnapshot, *, volunteer_id: int, now: datetime, hours: int = 24
) -> list[Stretch]:
    """When `volunteer_id` is on call in the next `hours`."""
    end = now + timedelta(hours=hours)
    found = intervals(snapshot.shifts, snapshot.covers, snapshot.timezone, now, end)
    mine = [(i.start, i.end) for i in found if i.volunteer_id == volunteer_id]
    return _pieces(sorted(mine), now, end, snapshot.timezone, day=False)


@dataclass(frozen=True, slots=True)
class Chip:
    """A stretch on call in one day's cell: a shift of the volunteer's own, or a cover."""

    shift_id: int
    start: str
    end: str
    cover: bool


@dataclass
class VolunteerWeek:
    volunteer: Member
    days: list[list[Chip]] = field(default_factory=list)


@dataclass
class Week:
    """The Roster page's week: its days, each language's gaps per day, volunteers' cells."""

    start: date
    days: list[date]
    languages: list[tuple[str, list[list[Stretch]]]]
    rows: list[VolunteerWeek]
    total: int
    page: int
    pages: int


def _specs(
    session: Session, start: datetime, end: datetime
) -> tuple[list[ShiftSpec], list[CoverSpec]]:
    # Plain rows, not ORM objects: a week of a large roster is thousands of shifts.
    shift_rows = session.execute(
        rows_of(
            col(Shift.id), col(Shift.volunteer_id), col(Shift.starts_at), col(Shift.ends_at),
            col(Shift.weekly), col(Shift.repeat_until),
        ).where(col(Shift.starts_at) < end)
    ).all()  # fmt: skip
    shifts = [
        ShiftSpec(
            id=row.id or 0,
            volunteer_id=row.volunteer_id,
            starts_at=aware(row.starts_at),
            ends_at=aware(row.ends_at),
            weekly=row.weekly,
            repeat_until=aware(row.repeat_until) if row.repeat_until else None,
        )
        for row in shift_rows
    ]
    cover_rows = session.execute(
        rows_of(
            col(ShiftOverride.id), col(ShiftOverride.shift_id), col(ShiftOverride.volunteer_id),
            col(ShiftOverride.starts_at), col(ShiftOverride.ends_at),
        )
        .where(col(ShiftOverride.starts_at) < end)
        .where(col(ShiftOverride.ends_at) > start)
    ).all()  # fmt: skip
    covers = [
        CoverSpec(
            id=row.id or 0,
            shift_id=row.shift_id,
            volunteer_id=row.volunteer_id,
            starts_at=aware(row.starts_at),
            ends_at=aware(row.ends_at),
        )
        for row in cover_rows
    ]
    return shifts, covers


@dataclass(frozen=True, slots=True)
class Member:
    """What the Roster page shows of a volunteer: never their number, not even sealed."""

    id: int
    name: str
    languages: str
    role: str
    active: bool
    availability: str


def _members(session: Session) -> list[Member]:
    rows = session.execute(
        rows_of(
            col(Volunteer.id), col(Volunteer.name), col(Volunteer.languages),
            col(Volunteer.role), col(Volunteer.active), col(Volunteer.availability),
        ).order_by(col(Volunteer.name), col(Volunteer.id))
    ).all()  # fmt: skip
    return [Member(r.id or 0, r.name, r.languages, r.role, r.active, r.availability) for r in rows]


@dataclass(frozen=True, slots=True)
class WeekQuery:
    """Which week, and which volunteers of it: a language, a name, a page, or one person."""

    week: date
    language: str | None = None
    name: str = ""
    page: int = 1
    volunteer_id: int | None = None


def roster_week(
    session: Session, *, zone: ZoneInfo, languages: Sequence[str], query: WeekQuery
) -> Week:
    """The week of `query.week` (a Monday): gaps per language and day, and one page of
    volunteers with their shifts and covers per day."""
    days = [query.week + timedelta(days=n) for n in range(7)]
    bounds = [datetime.combine(day, time(0), tzinfo=zone) for day in [*days, days[-1] + DAY]]
    start, end = bounds[0], bounds[-1]
    volunteers = _members(session)
    shifts, covers = _specs(session, start, end)
    found = intervals(shifts, covers, zone, start, end)
    by_language = []
    if query.volunteer_id is None:
        for code in languages:
            speakers = {v.id for v in volunteers if v.active and code in v.languages.split(",")}
            gaps = _uncovered(
                start, end, ((i.start, i.end) for i in found if i.volunteer_id in speakers)
            )
            by_language.append(
                (code, [_pieces(gaps, bounds[n], bounds[n + 1], zone) for n in range(7)])
            )
    chosen = [v for v in volunteers if _wanted(v, query)]
    pages = max(1, -(-len(chosen) // PER_PAGE))
    page = min(max(query.page, 1), pages)
    shown = chosen[(page - 1) * PER_PAGE : page * PER_PAGE]
    owner = {s.id: s.volunteer_id for s in shifts}
    held: dict[int, list[Interval]] = {}
    for interval in found:
        held.setdefault(interval.volunteer_id, []).append(interval)
    rows = [_row(v, held.get(v.id, []), owner, bounds, zone) for v in shown]
    return Week(query.week, days, by_language, rows, len(chosen), page, pages)


def _wanted(volunteer: Member, query: WeekQuery) -> bool:
    if query.volunteer_id is not None:
        return volunteer.id == query.volunteer_id
    if query.language and query.language not in volunteer.languages.split(","):
        return False
    return query.name.casefold() in volunteer.name.casefold()


def _row(
    volunteer: Member,
    found: Sequence[Interval],
    owner: dict[int, int],
    bounds: Sequence[datetime],
    zone: ZoneInfo,
) -> VolunteerWeek:
    row = VolunteerWeek(volunteer, [[] for _ in range(7)])
    for interval in found:
        for n in range(7):
            for piece in _pieces([(interval.start, interval.end)], bounds[n], bounds[n + 1], zone):
                cover = owner.get(interval.shift_id) != volunteer.id
                row.days[n].append(Chip(interval.shift_id, piece.start, piece.end, cover))
    for cell in row.days:
        cell.sort(key=lambda chip: chip.start)
    return row
