"""Who is on call at an instant, from a snapshot of the roster (pure).

Weekly shifts repeat at the same local wall-clock time in the hotline's time zone,
so a 6 pm shift stays a 6 pm shift across daylight-saving changes. The snapshot
expands every shift into concrete intervals around the moment it was taken and
indexes them by hour, so a lookup reads a handful of intervals, not the roster.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

HOUR = 3600
WEEK = timedelta(days=7)
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Person:
    """A volunteer as routing sees them."""

    id: int
    name: str
    languages: tuple[str, ...]
    role: str = "legal_volunteer"
    active: bool = True
    availability: str = "on"
    break_until: datetime | None = None
    phone_sealed: bytes = b""
    phone_key: str = ""
    # The zones they respond in while on call (rapid response), by zone id.
    zones: tuple[int, ...] = ()

    def available(self, at: datetime) -> bool:
        """Active, and neither off nor on a break that is still running at `at`."""
        if not self.active or self.availability == "off":
            return False
        return not (
            self.availability == "break" and self.break_until is not None and at < self.break_until
        )

    def fluency(self, language: str) -> int | None:
        """0 for their first language, 1 for the next…; None if they do not speak it."""
        return self.languages.index(language) if language in self.languages else None


@dataclass(frozen=True, slots=True)
class ShiftSpec:
    """A shift: one-off, or weekly until `repeat_until` (or for ever)."""

    id: int
    volunteer_id: int
    starts_at: datetime
    ends_at: datetime
    weekly: bool = False
    repeat_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class CoverSpec:
    """`volunteer_id` covers shift `shift_id` from `starts_at` to `ends_at`."""

    id: int
    shift_id: int
    volunteer_id: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class Interval:
    """Someone on call from `start` to `end` (UTC), through a shift."""

    start: datetime
    end: datetime
    volunteer_id: int
    shift_id: int


def occurrences(
    shift: ShiftSpec, tz: ZoneInfo, start: datetime, end: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """The UTC intervals of `shift` that overlap [start, end)."""
    if not shift.weekly:
        if shift.starts_at < end and shift.ends_at > start:
            yield shift.starts_at, shift.ends_at
        return
    local_start = shift.starts_at.astimezone(tz).replace(tzinfo=None)
    local_end = shift.ends_at.astimezone(tz).replace(tzinfo=None)
    first = shift.starts_at
    # Jump close to `start`, then walk week by week in local wall-clock time.
    weeks = max(0, int((start - first) / WEEK) - 1)
    while True:
        if weeks == 0:
            # The first occurrence is the shift as entered (it may sit in the repeated
            # autumn hour, which wall-clock arithmetic cannot tell apart).
            begins, ends = shift.starts_at, shift.ends_at
        else:
            begins = (local_start + weeks * WEEK).replace(tzinfo=tz).astimezone(UTC)
            ends = (local_end + weeks * WEEK).replace(tzinfo=tz).astimezone(UTC)
        if begins >= end:
            return
        if shift.repeat_until is not None and begins >= shift.repeat_until:
            return
        # A start that falls in the spring gap can land after the end: no such shift.
        if ends > start and ends > begins:
            yield begins, ends
        weeks += 1


def _minus(
    start: datetime, end: datetime, holes: list[tuple[datetime, datetime]]
) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) without the `holes`."""
    cursor = start
    for hole_start, hole_end in sorted(holes):
        if hole_end <= cursor or hole_start >= end:
            continue
        if hole_start > cursor:
            yield cursor, hole_start
        cursor = max(cursor, hole_end)
    if cursor < end:
        yield cursor, end


def intervals(
    shifts: Iterable[ShiftSpec],
    covers: Iterable[CoverSpec],
    tz: ZoneInfo,
    start: datetime,
    end: datetime,
) -> list[Interval]:
    """Everyone's on-call intervals overlapping [start, end), covers applied."""
    by_shift: dict[int, list[CoverSpec]] = defaultdict(list)
    for cover in sorted(covers, key=lambda c: c.id):
        by_shift[cover.shift_id].append(cover)
    found: list[Interval] = []
    for shift in shifts:
        shift_covers = by_shift.get(shift.id, [])
        for begins, ends in occurrences(shift, tz, start, end):
            for piece_start, piece_end, volunteer in _covered(
                begins, ends, shift.volunteer_id, shift_covers
            ):
                if piece_start < end and piece_end > start:
                    found.append(Interval(piece_start, piece_end, volunteer, shift.id))
    return found


def _covered(
    begins: datetime, ends: datetime, volunteer: int, covers: list[CoverSpec]
) -> list[tuple[datetime, datetime, int]]:
    """Who holds one occurrence of a shift when: its own volunteer, except where a
    cover says otherwise; where covers overlap, the most recent one stands."""
    pieces = [(begins, ends, volunteer)]
    for cover in covers:
        if cover.starts_at >= ends or cover.ends_at <= begins:
            continue
        window = (max(cover.starts_at, begins), min(cover.ends_at, ends))
        kept = [
            (rest_start, rest_end, holder)
            for piece_start, piece_end, holder in pieces
            for rest_start, rest_end in _minus(piece_start, piece_end, [window])
        ]
        kept.append((window[0], window[1], cover.volunteer_id))
        pieces = kept
    return sorted(pieces)


class RosterSnapshot:
    """The roster as it was at `taken_at`, indexed for lookups within `horizon` of it."""

    def __init__(
        self,
        *,
        people: Iterable[Person],
        shifts: Iterable[ShiftSpec],
        covers: Iterable[CoverSpec],
        timezone: ZoneInfo,
        taken_at: datetime,
        horizon: timedelta = timedelta(days=8),
    ) -> None:
        self.people = {person.id: person for person in people}
        self.shifts = tuple(shifts)
        self.covers = tuple(covers)
        self.timezone = timezone
        self.taken_at = taken_at
        self.window = (taken_at - timedelta(days=1), taken_at + horizon)
        # Per hour: who is on call for all of it, and the intervals that start or end
        # inside it, the only ones a lookup has to compare with the instant.
        self._whole_hour: dict[int, set[int]] = defaultdict(set)
        self._part_hour: dict[int, list[Interval]] = defaultdict(list)
        for interval in intervals(self.shifts, self.covers, timezone, *self.window):
            start, end = interval.start.timestamp(), interval.end.timestamp()
            # The last hour an interval touches, counting a fraction of a second past it.
            first, last = int(start) // HOUR, (math.ceil(end) - 1) // HOUR
            for hour in range(first, last + 1):
                if start <= hour * HOUR and end >= (hour + 1) * HOUR:
                    self._whole_hour[hour].add(interval.volunteer_id)
                else:
                    self._part_hour[hour].append(interval)
        self._speakers: dict[str, set[int]] = defaultdict(set)
        self._responders: dict[int, set[int]] = defaultdict(set)
        for person in self.people.values():
            for code in person.languages:
                self._speakers[code].add(person.id)
            for zone_id in person.zones:
                self._responders[zone_id].add(person.id)

    @cached_property
    def phone_keys(self) -> frozenset[str]:
        """Every volunteer's phone fingerprint: a text from one of them is theirs to answer."""
        return frozenset(p.phone_key for p in self.people.values() if p.phone_key)

    def scheduled(self, at: datetime) -> set[int]:
        """The ids of everyone on a shift at `at`, whatever their availability."""
        if not self.window[0] <= at < self.window[1]:
            return {
                i.volunteer_id
                for i in intervals(self.shifts, self.covers, self.timezone, at, at + _TICK)
                if i.start <= at < i.end
            }
        hour = int(at.timestamp()) // HOUR
        ids = set(self._whole_hour.get(hour, ()))
        ids.update(
            interval.volunteer_id
            for interval in self._part_hour.get(hour, ())
            if interval.start <= at < interval.end
        )
        return ids

    def on_call(self, at: datetime, language: str | None = None) -> list[Person]:
        """Who is on call and available at `at`; with `language`, only its speakers,
        those for whom it is a first language first."""
        ids = self.scheduled(at)
        if language is not None:
            ids &= self._speakers.get(language, set())
        people = [self.people[i] for i in ids if i in self.people and self.people[i].available(at)]
        if language is None:
            return sorted(people, key=lambda p: p.id)
        return sorted(people, key=lambda p: (p.fluency(language), p.id))

    def responders(self, at: datetime, zone_id: int) -> list[Person]:
        """Who is on call and available at `at` and responds in zone `zone_id`, by id."""
        ids = self.scheduled(at) & self._responders.get(zone_id, set())
        return sorted(
            (self.people[i] for i in ids if i in self.people and self.people[i].available(at)),
            key=lambda p: p.id,
        )

    def gaps(
        self, language: str, start: datetime, end: datetime
    ) -> list[tuple[datetime, datetime]]:
        """The stretches of [start, end) when no active volunteer on a shift speaks `language`.

        Availability toggles are a volunteer's state now, not a plan: coverage ignores them.
        """
        return self.gaps_by_language([language], start, end)[language]

    def gaps_by_language(
        self, languages: Iterable[str], start: datetime, end: datetime
    ) -> dict[str, list[tuple[datetime, datetime]]]:
        """`gaps` for several languages, expanding the shifts once."""
        found = intervals(self.shifts, self.covers, self.timezone, start, end)
        gaps = {}
        for language in languages:
            speakers = {
                p.id for p in self.people.values() if p.active and p.fluency(language) is not None
            }
            covered = sorted((i.start, i.end) for i in found if i.volunteer_id in speakers)
            gaps[language] = list(_minus(start, end, covered))
        return gaps
