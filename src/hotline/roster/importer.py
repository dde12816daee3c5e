"""Import a roster from CSV, all or nothing.

The header names the columns, in any order:

    name,phone,languages,role,active,shift_weekday,shift_start,shift_end

- ``name``, ``phone`` and ``languages`` are required on a volunteer's first row.
- ``phone``: E.164 (``+13125550142``) or a national number of the hotline's country.
  It identifies the volunteer: one already in the roster with this number is updated,
  not added again.
- ``languages``: enabled language codes separated by spaces or semicolons, most fluent
  first (``es;en``).
- ``role``: ``legal_volunteer`` (when empty), ``attorney`` or ``coordinator_backup``.
- ``active``: ``true`` (when empty) or ``false``; also yes/no, 1/0.
- ``shift_weekday``, ``shift_start``, ``shift_end``: one weekly shift. The day in English
  (``Monday`` or ``Mon``) or 1 to 7 (Monday is 1); the times ``HH:MM`` on the hotline's
  local clock. An end before the start runs overnight; ``24:00`` is the end of the day.
  All three empty: the row adds no shift.

One row per volunteer and shift: a volunteer on several rows gets several weekly shifts,
and may leave name, languages, role and active empty after their first row (given again,
they must agree). Each weekly shift starts at its next weekday from now (or the one
running now). A weekly shift the volunteer already has at that day and time is kept,
not doubled, so importing the same file twice changes nothing.

Every bad row is reported with its line (the header is line 1) and its column, and when
any row is bad nothing is written. No message holds a phone number.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TextIO, TypeVar, cast, get_args
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from hotline.auth.service import InvalidField
from hotline.config import Settings
from hotline.db import aware
from hotline.models import Shift, User, Volunteer
from hotline.privacy.vault import Vault
from hotline.roster import service
from hotline.roster.schemas import Role, ShiftCreate, VolunteerCreate, VolunteerUpdate

COLUMNS = (
    "name",
    "phone",
    "languages",
    "role",
    "active",
    "shift_weekday",
    "shift_start",
    "shift_end",
)
REQUIRED = ("name", "phone", "languages")
SHIFT_COLUMNS = ("shift_weekday", "shift_start", "shift_end")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
TRUE = ("true", "yes", "y", "1")
FALSE = ("false", "no", "n", "0")
MAX_NAME = 120
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_SPLIT = re.compile(r"[\s;,]+")
EXTRA_CELLS = "(extra cells)"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RowProblem:
    """What is wrong with one cell; line 1 is the header."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.message}"


@dataclass
class ImportReport:
    """What an import did, or the problems that stopped it (and then it did nothing)."""

    problems: list[RowProblem] = field(default_factory=list)
    volunteers_created: int = 0
    volunteers_updated: int = 0
    volunteers_unchanged: int = 0
    shifts_created: int = 0
    shifts_kept: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class WeeklySlot:
    """A weekly shift as the file gives it: a weekday (Monday is 0) and local clock times."""

    weekday: int
    start: time
    end: time
    # The end falls on the next day: an overnight shift, or one that ends at 24:00.
    next_day: bool


@dataclass
class _Person:
    line: int
    number: str
    name: str
    languages: list[str]
    role: Role
    active: bool
    slots: list[WeeklySlot] = field(default_factory=list)


class _Bad(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _shown(_value: str) -> str:
    # A message names the line and the column, never what was in it: a cell can hold a
    # phone number or a name typed in the wrong place.
    return "this value"


def _name(value: str) -> str:
    if not 1 <= len(value) <= MAX_NAME:
        raise _Bad(f"a name has 1 to {MAX_NAME} characters")
    return value


def _languages(value: str, enabled: Collection[str]) -> list[str]:
    codes: list[str] = []
    for code in _SPLIT.split(value.lower()):
        if not code:
            continue
        if code not in enabled:
            raise _Bad(f"{_shown(code)} is not an enabled language ({', '.join(sorted(enabled))})")
        if code not in codes:
            codes.append(code)
    if not codes:
        raise _Bad("at least one language code is needed, like es;en")
    return codes


def _role(value: str) -> Role:
    roles: tuple[Role, ...] = get_args(Role)
    for role in roles:
        if value == role:
            return role
    raise _Bad(f"role is one of {', '.join(roles)}")


def _active(value: str) -> bool:
    lowered = value.lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise _Bad(f"{_shown(value)} is neither true nor false")


def _weekday(value: str) -> int:
    lowered = value.lower()
    if lowered in ("1", "2", "3", "4", "5", "6", "7"):
        return int(lowered) - 1
    for index, day in enumerate(WEEKDAYS):
        if lowered in (day, day[:3]):
            return index
    raise _Bad(f"{_shown(value)} is not a weekday: Monday to Sunday, or 1 to 7")


def _clock(value: str, *, end: bool) -> tuple[time, bool]:
    found = _CLOCK.match(value)
    if found is not None:
        hours, minutes = int(found.group(1)), int(found.group(2))
        if end and (hours, minutes) == (24, 0):
            return time(0, 0), True
        if hours < 24 and minutes < 60:
            return time(hours, minutes), False
    raise _Bad(f"{_shown(value)} is not a time of day like 18:30")


def _phone(value: str, country: str) -> str:
    if not value:
        raise _Bad("a phone number is needed")
    try:
        return service.phone_number(value, country=country)
    except InvalidField as error:
        raise _Bad(error.message) from None


def _read(
    problems: list[RowProblem], line: int, column: str, read: Callable[[str], T], value: str
) -> T | None:
    try:
        return read(value)
    except _Bad as bad:
        problems.append(RowProblem(line, column, bad.message))
        return None


def _slot(problems: list[RowProblem], line: int, cells: Mapping[str, str]) -> WeeklySlot | None:
    filled = [column for column in SHIFT_COLUMNS if cells.get(column)]
    if not filled:
        return None
    if len(filled) < len(SHIFT_COLUMNS):
        for column in SHIFT_COLUMNS:
            if column not in filled:
                problems.append(RowProblem(line, column, "a shift needs a weekday, start and end"))
        return None
    weekday = _read(problems, line, "shift_weekday", _weekday, cells["shift_weekday"])
    start = _read(
        problems, line, "shift_start", lambda v: _clock(v, end=False), cells["shift_start"]
    )
    end = _read(problems, line, "shift_end", lambda v: _clock(v, end=True), cells["shift_end"])
    if weekday is None or start is None or end is None:
        return None
    if start[0] == end[0] and not end[1]:
        problems.append(RowProblem(line, "shift_end", "the shift ends when it starts"))
        return None
    return WeeklySlot(weekday, start[0], end[0], next_day=end[1] or end[0] < start[0])


def _row(
    line: int,
    cells: Mapping[str, str],
    *,
    country: str,
    enabled: Collection[str],
    people: dict[str, _Person],
    problems: list[RowProblem],
) -> None:
    """Check one row and add it to `people`, or add its problems to `problems`."""
    found_before = len(problems)
    number = _read(problems, line, "phone", lambda v: _phone(v, country), cells.get("phone", ""))
    first = people.get(number) if number is not None else None
    given: dict[str, object] = {}
    for column, read in (
        ("name", _name),
        ("languages", lambda v: _languages(v, enabled)),
        ("role", _role),
        ("active", _active),
    ):
        value = cells.get(column, "")
        if value:
            given[column] = _read(problems, line, column, read, value)
        elif first is None and column in REQUIRED:
            problems.append(
                RowProblem(line, column, f"{column} is needed on a volunteer's first row")
            )
    slot = _slot(problems, line, cells)
    if first is not None:
        for column, read_value in given.items():
            if read_value is not None and read_value != getattr(first, column):
                problems.append(
                    RowProblem(line, column, f"differs from this volunteer's line {first.line}")
                )
    if len(problems) > found_before or number is None:
        return
    if first is None:
        first = people[number] = _Person(
            line=line,
            number=number,
            name=cast(str, given["name"]),
            languages=cast(list[str], given["languages"]),
            role=cast(Role, given.get("role", "legal_volunteer")),
            active=cast(bool, given.get("active", True)),
        )
    if slot is not None:
        first.slots.append(slot)


def _numbered(
    rows: Iterable[Mapping[str, str]] | TextIO,
) -> tuple[list[str] | None, list[tuple[int, dict[str, str]]]]:
    """The header and the rows with their line numbers, cells stripped."""
    if isinstance(rows, io.TextIOBase):
        reader = csv.DictReader(rows)
        numbered = [(reader.line_num, _clean(row)) for row in reader]
        header = reader.fieldnames
        return (list(header) if header is not None else None), numbered
    listed = [
        (line, _clean(row))
        for line, row in enumerate(cast(Iterable[Mapping[str, str]], rows), start=2)
    ]
    return (list(listed[0][1]) if listed else []), listed


def _clean(row: Mapping[Any, object]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for key, value in row.items():
        if not isinstance(key, str):
            # csv puts the cells beyond the header's columns under None.
            cleaned[EXTRA_CELLS] = "x"
        else:
            cleaned[key.strip()] = value.strip() if isinstance(value, str) else ""
    return cleaned


def _check_header(header: list[str] | None) -> list[RowProblem]:
    if not header:
        return [RowProblem(1, "name", f"the first line names the columns: {', '.join(COLUMNS)}")]
    columns = [column.strip() for column in header]
    problems = [
        RowProblem(
            1,
            # Named by position: a file without a header has a volunteer's cells here.
            f"column {index}",
            f"unknown column; the columns are {', '.join(COLUMNS)}",
        )
        for index, column in enumerate(columns, start=1)
        if column not in COLUMNS
    ]
    problems += [
        RowProblem(1, column, "this column is missing")
        for column in REQUIRED
        if column not in columns
    ]
    return problems


def _bounds(slot: WeeklySlot, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, slot.start, tzinfo=zone)
    end_day = day + timedelta(days=1) if slot.next_day else day
    end = datetime.combine(end_day, slot.end, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def first_occurrence(
    slot: WeeklySlot, *, zone: ZoneInfo, now: datetime
) -> tuple[datetime, datetime]:
    """The start and end (UTC) of `slot` on its next weekday from `now`, or the one running now."""
    today = now.astimezone(zone).date()
    day = today + timedelta(days=(slot.weekday - today.weekday()) % 7)
    running = _bounds(slot, day - timedelta(days=7), zone)
    return running if running[1] > now else _bounds(slot, day, zone)


def _weekly_slots(session: Session, volunteer_id: int, zone: ZoneInfo) -> set[WeeklySlot]:
    query = select(Shift).where(
        Shift.volunteer_id == volunteer_id,
        col(Shift.weekly).is_(True),
        col(Shift.repeat_until).is_(None),
    )
    slots = set()
    for shift in session.exec(query).all():
        start = aware(shift.starts_at).astimezone(zone)
        end = aware(shift.ends_at).astimezone(zone)
        slots.add(WeeklySlot(start.weekday(), start.time(), end.time(), end.date() > start.date()))
    return slots


def _save_person(
    session: Session,
    person: _Person,
    *,
    vault: Vault,
    settings: Settings,
    enabled: Collection[str],
    user: User | None,
    now: datetime,
    report: ImportReport,
) -> Volunteer:
    existing = service.find_by_phone(session=session, vault=vault, number=person.number)
    if existing is None:
        report.volunteers_created += 1
        return service.create_volunteer(
            session=session,
            vault=vault,
            country=settings.country,
            enabled=enabled,
            volunteer_in=VolunteerCreate(
                name=person.name,
                phone=person.number,
                languages=person.languages,
                role=person.role,
                active=person.active,
            ),
            user=user,
            now=now,
        )
    before = (existing.name, existing.languages, existing.role, existing.active)
    service.update_volunteer(
        session=session,
        vault=vault,
        country=settings.country,
        enabled=enabled,
        volunteer=existing,
        volunteer_in=VolunteerUpdate(
            name=person.name, languages=person.languages, role=person.role, active=person.active
        ),
        user=user,
        now=now,
    )
    if before == (existing.name, existing.languages, existing.role, existing.active):
        report.volunteers_unchanged += 1
    else:
        report.volunteers_updated += 1
    return existing


def import_roster(
    *,
    session: Session,
    vault: Vault,
    settings: Settings,
    languages: Collection[str],
    rows: Iterable[Mapping[str, str]] | TextIO,
    user: User | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Add or update the volunteers and weekly shifts of `rows`; nothing at all if one is bad."""
    now = now or datetime.now(UTC)
    header, numbered = _numbered(rows)
    report = ImportReport(problems=_check_header(header))
    if not report.ok:
        return report
    people: dict[str, _Person] = {}
    for line, cells in numbered:
        if EXTRA_CELLS in cells:
            report.problems.append(
                RowProblem(line, EXTRA_CELLS, "more cells than the header has columns")
            )
            continue
        _row(
            line,
            cells,
            country=settings.country,
            enabled=languages,
            people=people,
            problems=report.problems,
        )
    if not report.ok:
        return report
    for person in people.values():
        volunteer = _save_person(
            session,
            person,
            vault=vault,
            settings=settings,
            enabled=languages,
            user=user,
            now=now,
            report=report,
        )
        assert volunteer.id is not None
        slots = _weekly_slots(session, volunteer.id, settings.zone)
        for slot in person.slots:
            if slot in slots:
                report.shifts_kept += 1
                continue
            starts_at, ends_at = first_occurrence(slot, zone=settings.zone, now=now)
            service.create_shift(
                session=session,
                shift_in=ShiftCreate(
                    volunteer_id=volunteer.id, weekly=True, starts_at=starts_at, ends_at=ends_at
                ),
                user=user,
                now=now,
            )
            slots.add(slot)
            report.shifts_created += 1
    return report
