"""Who is on call: explicit examples in America/Chicago, and properties against a reference.

The reference below is written independently of `hotline.routing.oncall`: it walks every
weekly shift from its first occurrence, week by week, building each occurrence from its
local wall-clock date and time with zoneinfo, applies covers instant by instant and
filters availability. The module under test instead jumps close to the instant, expands
intervals once and indexes them by hour.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.routing.oncall import (
    CoverSpec,
    Person,
    RosterSnapshot,
    ShiftSpec,
    intervals,
    occurrences,
)

CHICAGO = ZoneInfo("America/Chicago")
LANGUAGES = ("en", "es", "fr")
TICK = timedelta(microseconds=1)
WEEK = timedelta(days=7)
DAY_MINUTES = 24 * 60
T = TypeVar("T")

# 2026 in Chicago: clocks spring forward at 02:00 CST on Sunday March 8 (08:00 UTC)
# and fall back at 02:00 CDT on Sunday November 1 (07:00 UTC).
SPRING_FORWARD = datetime(2026, 3, 8, 8, tzinfo=UTC)
FALL_BACK = datetime(2026, 11, 1, 7, tzinfo=UTC)

PROPERTY = settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# --- factories ------------------------------------------------------------------------


def chicago(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0
) -> datetime:
    """The UTC instant of a Chicago wall-clock time."""
    return datetime(year, month, day, hour, minute, tzinfo=CHICAGO, fold=fold).astimezone(UTC)


def person(id: int = 1, **overrides: Any) -> Person:
    fields: dict[str, Any] = {"name": f"volunteer {id}", "languages": ("en",)}
    fields.update(overrides)
    return Person(id=id, **fields)


def shift(
    id: int = 1,
    *,
    volunteer_id: int = 1,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    **overrides: Any,
) -> ShiftSpec:
    starts_at = starts_at or chicago(2026, 1, 13, 9)
    ends_at = ends_at or starts_at + timedelta(hours=8)
    return ShiftSpec(
        id=id, volunteer_id=volunteer_id, starts_at=starts_at, ends_at=ends_at, **overrides
    )


def cover(
    id: int = 1, *, shift_id: int = 1, volunteer_id: int = 2, starts_at: datetime, ends_at: datetime
) -> CoverSpec:
    return CoverSpec(
        id=id, shift_id=shift_id, volunteer_id=volunteer_id, starts_at=starts_at, ends_at=ends_at
    )


def snapshot(
    *,
    people: Sequence[Person] = (),
    shifts: Sequence[ShiftSpec] = (),
    covers: Sequence[CoverSpec] = (),
    taken_at: datetime | None = None,
    horizon: timedelta = timedelta(days=8),
) -> RosterSnapshot:
    if not people:
        people = [person(1), person(2)]
    if taken_at is None:
        taken_at = min((s.starts_at for s in shifts), default=chicago(2026, 1, 13))
    return RosterSnapshot(
        people=people,
        shifts=shifts,
        covers=covers,
        timezone=CHICAGO,
        taken_at=taken_at,
        horizon=horizon,
    )


def ids(people: Sequence[Person]) -> list[int]:
    return [p.id for p in people]


def local_times(moments: Sequence[tuple[datetime, datetime]]) -> list[tuple[str, str]]:
    """Occurrences as Chicago wall-clock strings, easy to read in a failure."""
    fmt = "%a %Y-%m-%d %H:%M %Z"
    return [
        (b.astimezone(CHICAGO).strftime(fmt), e.astimezone(CHICAGO).strftime(fmt))
        for b, e in moments
    ]


# --- one-off shifts -------------------------------------------------------------------


class TestOneOffShift:
    START = chicago(2026, 1, 13, 9)
    END = chicago(2026, 1, 13, 17)

    def roster(self) -> RosterSnapshot:
        return snapshot(shifts=[shift(starts_at=self.START, ends_at=self.END)])

    def test_on_call_from_the_first_instant(self) -> None:
        assert ids(self.roster().on_call(self.START)) == [1]

    def test_on_call_inside(self) -> None:
        assert ids(self.roster().on_call(chicago(2026, 1, 13, 12, 30))) == [1]
        assert ids(self.roster().on_call(self.END - TICK)) == [1]

    def test_not_on_call_before_the_start(self) -> None:
        assert self.roster().on_call(self.START - TICK) == []

    def test_not_on_call_at_the_end_half_open(self) -> None:
        assert self.roster().on_call(self.END) == []


# --- weekly shifts across daylight-saving changes -------------------------------------


class TestWeeklyMondayEveningAcrossDst:
    """Monday 18:00 to 22:00 stays 18:00 to 22:00 local, so its UTC time moves by an hour."""

    def test_spring_forward_keeps_six_pm_local(self) -> None:
        monday = shift(
            starts_at=chicago(2026, 3, 2, 18), ends_at=chicago(2026, 3, 2, 22), weekly=True
        )
        found = list(occurrences(monday, CHICAGO, chicago(2026, 3, 1), chicago(2026, 3, 17)))
        assert found == [
            (datetime(2026, 3, 3, 0, tzinfo=UTC), datetime(2026, 3, 3, 4, tzinfo=UTC)),  # CST
            (datetime(2026, 3, 9, 23, tzinfo=UTC), datetime(2026, 3, 10, 3, tzinfo=UTC)),  # CDT
            (datetime(2026, 3, 16, 23, tzinfo=UTC), datetime(2026, 3, 17, 3, tzinfo=UTC)),
        ]
        assert local_times(found)[1] == ("Mon 2026-03-09 18:00 CDT", "Mon 2026-03-09 22:00 CDT")

    def test_spring_forward_on_call_follows_local_time_not_utc(self) -> None:
        monday = shift(
            starts_at=chicago(2026, 3, 2, 18), ends_at=chicago(2026, 3, 2, 22), weekly=True
        )
        roster = snapshot(shifts=[monday], taken_at=chicago(2026, 3, 9, 12))
        # 18:15 CDT is 23:15 UTC: a shift kept in UTC would not have started yet.
        assert ids(roster.on_call(chicago(2026, 3, 9, 18, 15))) == [1]
        assert roster.on_call(chicago(2026, 3, 9, 18) - TICK) == []
        # 22:15 CDT is 03:15 UTC: a shift kept in UTC would still be running.
        assert roster.on_call(chicago(2026, 3, 9, 22, 15)) == []
        assert roster.on_call(chicago(2026, 3, 9, 22)) == []

    def test_fall_back_keeps_six_pm_local(self) -> None:
        monday = shift(
            starts_at=chicago(2026, 10, 26, 18), ends_at=chicago(2026, 10, 26, 22), weekly=True
        )
        found = list(occurrences(monday, CHICAGO, chicago(2026, 10, 25), chicago(2026, 11, 3)))
        assert found == [
            (datetime(2026, 10, 26, 23, tzinfo=UTC), datetime(2026, 10, 27, 3, tzinfo=UTC)),  # CDT
            (datetime(2026, 11, 3, 0, tzinfo=UTC), datetime(2026, 11, 3, 4, tzinfo=UTC)),  # CST
        ]
        assert local_times(found)[1] == ("Mon 2026-11-02 18:00 CST", "Mon 2026-11-02 22:00 CST")

    def test_fall_back_on_call_follows_local_time_not_utc(self) -> None:
        monday = shift(
            starts_at=chicago(2026, 10, 26, 18), ends_at=chicago(2026, 10, 26, 22), weekly=True
        )
        roster = snapshot(shifts=[monday], taken_at=chicago(2026, 11, 2, 12))
        # 17:30 CST is 23:30 UTC: a shift kept in UTC would already be running.
        assert roster.on_call(chicago(2026, 11, 2, 17, 30)) == []
        assert ids(roster.on_call(chicago(2026, 11, 2, 18))) == [1]
        # 21:30 CST is 03:30 UTC: a shift kept in UTC would be over.
        assert ids(roster.on_call(chicago(2026, 11, 2, 21, 30))) == [1]


class TestOvernightWeeklyShiftOnDstNight:
    """Saturday 22:00 to Sunday 06:00 local, on the nights the clocks change."""

    def overnight(self, saturday: date) -> ShiftSpec:
        start = chicago(saturday.year, saturday.month, saturday.day, 22)
        sunday = saturday + timedelta(days=1)
        end = chicago(sunday.year, sunday.month, sunday.day, 6)
        return shift(starts_at=start, ends_at=end, weekly=True)

    def test_spring_forward_night_is_seven_hours_ending_at_six_local(self) -> None:
        saturday = self.overnight(date(2026, 2, 28))
        found = list(occurrences(saturday, CHICAGO, chicago(2026, 3, 7), chicago(2026, 3, 9)))
        assert local_times(found) == [("Sat 2026-03-07 22:00 CST", "Sun 2026-03-08 06:00 CDT")]
        [(begins, ends)] = found
        assert ends - begins == timedelta(hours=7)

    def test_spring_forward_night_on_call_until_six_local(self) -> None:
        roster = snapshot(shifts=[self.overnight(date(2026, 2, 28))], taken_at=SPRING_FORWARD)
        assert ids(roster.on_call(chicago(2026, 3, 8, 1, 59))) == [1]
        assert ids(roster.on_call(chicago(2026, 3, 8, 5, 59))) == [1]
        assert roster.on_call(chicago(2026, 3, 8, 6)) == []

    def test_fall_back_night_is_nine_hours_ending_at_six_local(self) -> None:
        saturday = self.overnight(date(2026, 10, 24))
        found = list(occurrences(saturday, CHICAGO, chicago(2026, 10, 31), chicago(2026, 11, 2)))
        assert local_times(found) == [("Sat 2026-10-31 22:00 CDT", "Sun 2026-11-01 06:00 CST")]
        [(begins, ends)] = found
        assert ends - begins == timedelta(hours=9)

    def test_fall_back_night_on_call_through_the_repeated_hour_until_six_local(self) -> None:
        roster = snapshot(shifts=[self.overnight(date(2026, 10, 24))], taken_at=FALL_BACK)
        assert ids(roster.on_call(chicago(2026, 11, 1, 1, 30, fold=0))) == [1]
        assert ids(roster.on_call(chicago(2026, 11, 1, 1, 30, fold=1))) == [1]
        assert ids(roster.on_call(chicago(2026, 11, 1, 5, 59))) == [1]
        assert roster.on_call(chicago(2026, 11, 1, 6)) == []


class TestRepeatUntil:
    WEDNESDAY = shift(
        starts_at=chicago(2026, 1, 7, 10),
        ends_at=chicago(2026, 1, 7, 12),
        weekly=True,
        repeat_until=chicago(2026, 1, 21),
    )

    def test_occurrences_stop_at_repeat_until(self) -> None:
        found = list(occurrences(self.WEDNESDAY, CHICAGO, chicago(2026, 1, 1), chicago(2026, 3, 1)))
        assert [b for b, _ in found] == [chicago(2026, 1, 7, 10), chicago(2026, 1, 14, 10)]

    def test_not_on_call_after_repeat_until(self) -> None:
        roster = snapshot(shifts=[self.WEDNESDAY], taken_at=chicago(2026, 1, 18))
        assert ids(roster.on_call(chicago(2026, 1, 14, 11))) == [1]
        assert roster.on_call(chicago(2026, 1, 21, 11)) == []
        assert roster.on_call(chicago(2026, 1, 28, 11)) == []

    def test_an_occurrence_starting_exactly_at_repeat_until_is_dropped(self) -> None:
        ends_on_third = replace(self.WEDNESDAY, repeat_until=chicago(2026, 1, 21, 10))
        found = list(occurrences(ends_on_third, CHICAGO, chicago(2026, 1, 1), chicago(2026, 3, 1)))
        assert len(found) == 2


# --- covers, overlaps, availability, languages -----------------------------------------


class TestCover:
    DAY = shift(starts_at=chicago(2026, 1, 12, 9), ends_at=chicago(2026, 1, 12, 17), weekly=True)
    LUNCH = cover(starts_at=chicago(2026, 1, 12, 11), ends_at=chicago(2026, 1, 12, 13))

    def roster(self) -> RosterSnapshot:
        return snapshot(shifts=[self.DAY], covers=[self.LUNCH], taken_at=chicago(2026, 1, 12))

    def test_cover_replaces_the_volunteer_inside_its_window(self) -> None:
        roster = self.roster()
        assert ids(roster.on_call(chicago(2026, 1, 12, 11))) == [2]
        assert ids(roster.on_call(chicago(2026, 1, 12, 13) - TICK)) == [2]

    def test_original_volunteer_before_and_after_the_cover(self) -> None:
        roster = self.roster()
        assert ids(roster.on_call(chicago(2026, 1, 12, 11) - TICK)) == [1]
        assert ids(roster.on_call(chicago(2026, 1, 12, 13))) == [1]
        assert ids(roster.on_call(chicago(2026, 1, 12, 16))) == [1]

    def test_cover_applies_to_one_occurrence_only(self) -> None:
        assert ids(self.roster().on_call(chicago(2026, 1, 19, 12))) == [1]

    def test_cover_outside_the_shift_puts_nobody_on_call(self) -> None:
        evening = cover(starts_at=chicago(2026, 1, 12, 16), ends_at=chicago(2026, 1, 12, 20))
        roster = snapshot(shifts=[self.DAY], covers=[evening], taken_at=chicago(2026, 1, 12))
        assert ids(roster.on_call(chicago(2026, 1, 12, 16, 30))) == [2]
        assert roster.on_call(chicago(2026, 1, 12, 18)) == []


class TestGaps:
    """gaps(): when no active speaker of a language is on a shift (availability ignored)."""

    MIDNIGHT = chicago(2026, 1, 13)  # no clock change that day: hours add up

    def at(self, hour: int) -> datetime:
        return self.MIDNIGHT + timedelta(hours=hour)

    def roster(self, *covers: CoverSpec) -> RosterSnapshot:
        people = [
            person(1, languages=("es",)),
            person(2, languages=("en", "es"), availability="off"),
            person(3, languages=("es",), active=False),
            person(4, languages=("fr",)),
        ]
        shifts = [
            shift(1, volunteer_id=1, starts_at=self.at(9), ends_at=self.at(17)),
            shift(2, volunteer_id=2, starts_at=self.at(10), ends_at=self.at(12)),  # nested
            shift(3, volunteer_id=2, starts_at=self.at(19), ends_at=self.at(21)),
            shift(4, volunteer_id=3, starts_at=self.at(21), ends_at=self.at(23)),
            shift(5, volunteer_id=4, starts_at=self.at(6), ends_at=self.at(8)),
        ]
        return snapshot(people=people, shifts=shifts, covers=covers)

    def test_gaps_between_speakers_shifts(self) -> None:
        gaps = self.roster().gaps("es", self.at(0), self.at(24))
        assert gaps == [
            (self.at(0), self.at(9)),
            (self.at(17), self.at(19)),
            (self.at(21), self.at(24)),
        ]

    def test_whole_range_is_a_gap_for_a_language_nobody_speaks(self) -> None:
        assert self.roster().gaps("de", self.at(0), self.at(24)) == [(self.at(0), self.at(24))]

    def test_no_gap_inside_a_shift_and_none_for_an_empty_range(self) -> None:
        assert self.roster().gaps("es", self.at(10), self.at(16)) == []
        assert self.roster().gaps("es", self.at(3), self.at(3)) == []

    def test_cover_by_a_non_speaker_opens_a_gap(self) -> None:
        french = cover(shift_id=1, volunteer_id=4, starts_at=self.at(13), ends_at=self.at(14))
        gaps = self.roster(french).gaps("es", self.at(9), self.at(17))
        assert gaps == [(self.at(13), self.at(14))]


def test_overlapping_shifts_of_two_volunteers_both_count() -> None:
    morning = shift(
        1, volunteer_id=1, starts_at=chicago(2026, 1, 13, 8), ends_at=chicago(2026, 1, 13, 12)
    )
    midday = shift(
        2, volunteer_id=2, starts_at=chicago(2026, 1, 13, 11), ends_at=chicago(2026, 1, 13, 15)
    )
    roster = snapshot(shifts=[midday, morning])
    assert ids(roster.on_call(chicago(2026, 1, 13, 10))) == [1]
    assert ids(roster.on_call(chicago(2026, 1, 13, 11, 30))) == [1, 2]
    assert ids(roster.on_call(chicago(2026, 1, 13, 12))) == [2]


class TestAvailability:
    SHIFT = shift(starts_at=chicago(2026, 1, 13, 9), ends_at=chicago(2026, 1, 13, 17))

    def on_call_ids(self, volunteer: Person, at: datetime) -> list[int]:
        return ids(snapshot(people=[volunteer], shifts=[self.SHIFT]).on_call(at))

    def test_available_volunteer_is_on_call(self) -> None:
        assert self.on_call_ids(person(availability="on"), chicago(2026, 1, 13, 12)) == [1]

    def test_off_is_never_on_call(self) -> None:
        off = person(availability="off")
        for hour in (9, 12, 16):
            assert self.on_call_ids(off, chicago(2026, 1, 13, hour)) == []

    def test_break_until_t_not_on_call_before_t_and_on_call_from_t(self) -> None:
        until = chicago(2026, 1, 13, 12)
        on_break = person(availability="break", break_until=until)
        assert self.on_call_ids(on_break, chicago(2026, 1, 13, 10)) == []
        assert self.on_call_ids(on_break, until - TICK) == []
        assert self.on_call_ids(on_break, until) == [1]
        assert self.on_call_ids(on_break, chicago(2026, 1, 13, 15)) == [1]

    def test_inactive_is_never_on_call_even_when_on(self) -> None:
        retired = person(active=False, availability="on")
        for hour in (9, 12, 16):
            assert self.on_call_ids(retired, chicago(2026, 1, 13, hour)) == []

    def test_inactive_cover_leaves_the_shift_uncovered(self) -> None:
        lunch = cover(starts_at=chicago(2026, 1, 13, 11), ends_at=chicago(2026, 1, 13, 13))
        roster = snapshot(
            people=[person(1), person(2, active=False)], shifts=[self.SHIFT], covers=[lunch]
        )
        assert roster.on_call(chicago(2026, 1, 13, 12)) == []


class TestLanguageFilter:
    AT = chicago(2026, 1, 13, 12)
    PEOPLE = (
        person(1, languages=("en", "es")),
        person(2, languages=("es",)),
        person(3, languages=("fr", "es")),
        person(4, languages=("es", "en")),
        person(5, languages=("fr",)),
    )

    def roster(self) -> RosterSnapshot:
        everyone = [
            shift(p.id, volunteer_id=p.id, starts_at=chicago(2026, 1, 13, 9)) for p in self.PEOPLE
        ]
        return snapshot(people=self.PEOPLE, shifts=list(reversed(everyone)))

    def test_without_language_everyone_by_id(self) -> None:
        assert ids(self.roster().on_call(self.AT)) == [1, 2, 3, 4, 5]

    def test_first_language_speakers_first_then_by_id(self) -> None:
        assert ids(self.roster().on_call(self.AT, language="es")) == [2, 4, 1, 3]

    def test_only_speakers(self) -> None:
        assert ids(self.roster().on_call(self.AT, language="fr")) == [3, 5]
        assert self.roster().on_call(self.AT, language="de") == []


class TestOutsideTheHorizon:
    """Beyond the indexed window on_call expands the roster on the spot (the slow path)."""

    MONDAY = shift(starts_at=chicago(2026, 1, 5, 18), ends_at=chicago(2026, 1, 5, 22), weekly=True)
    EARLY = chicago(2026, 1, 6)  # the indexed window ends on January 14

    @pytest.mark.parametrize(
        "at",
        [
            chicago(2026, 3, 9, 18),
            chicago(2026, 3, 9, 18) - TICK,
            chicago(2026, 3, 9, 21, 59),
            chicago(2026, 3, 9, 22),
            chicago(2026, 11, 2, 18),
            chicago(2026, 11, 2, 17, 59),
        ],
        ids=[
            "spring-start",
            "spring-before",
            "spring-inside",
            "spring-end",
            "fall-start",
            "fall-before",
        ],
    )
    def test_slow_path_agrees_with_the_indexed_path(self, at: datetime) -> None:
        early = snapshot(shifts=[self.MONDAY], taken_at=self.EARLY)
        fresh = snapshot(shifts=[self.MONDAY], taken_at=at)
        assert not early.window[0] <= at < early.window[1]
        assert fresh.window[0] <= at < fresh.window[1]
        assert early.on_call(at) == fresh.on_call(at)

    def test_slow_path_answers_after_the_horizon(self) -> None:
        early = snapshot(shifts=[self.MONDAY], taken_at=self.EARLY)
        assert ids(early.on_call(chicago(2026, 3, 9, 18, 15))) == [1]
        assert early.on_call(chicago(2026, 3, 9, 22, 15)) == []

    def test_slow_path_answers_before_the_window(self) -> None:
        late = snapshot(shifts=[self.MONDAY], taken_at=chicago(2026, 6, 1))
        assert ids(late.on_call(chicago(2026, 1, 12, 19))) == [1]
        assert late.on_call(chicago(2026, 1, 5, 17)) == []


# --- the reference ----------------------------------------------------------------------


def reference_occurrences(shift: ShiftSpec, until: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Every occurrence starting before `until`, walked from the first, week by week.

    The first occurrence is the shift exactly as stored; each later one is built from the
    first's local wall-clock date and time, the ambiguous hour read as its first pass
    (zoneinfo's fold=0) and a missing hour read with the offset before the change.
    """
    if not shift.weekly:
        if shift.starts_at < until:
            yield shift.starts_at, shift.ends_at
        return
    first_start = shift.starts_at.astimezone(CHICAGO)
    first_end = shift.ends_at.astimezone(CHICAGO)
    for week in range(10_000):
        if week == 0:
            begins, ends = shift.starts_at, shift.ends_at
        else:
            days = timedelta(days=7 * week)
            begins = datetime.combine(
                first_start.date() + days, first_start.time(), tzinfo=CHICAGO
            ).astimezone(UTC)
            ends = datetime.combine(
                first_end.date() + days, first_end.time(), tzinfo=CHICAGO
            ).astimezone(UTC)
        if begins >= until:
            return
        if shift.repeat_until is not None and begins >= shift.repeat_until:
            return
        yield begins, ends
    raise AssertionError("reference walked too far")


class Reference:
    """Brute force over a roster: every occurrence up to `until`, every cover, every person."""

    def __init__(self, roster: Roster, until: datetime) -> None:
        self.roster = roster
        self.occurrences = {
            one.id: list(reference_occurrences(one, until)) for one in roster.shifts
        }

    def on_shift(self, at: datetime) -> set[int]:
        """Who is on a shift at `at` (covers applied, availability ignored).

        Where covers of one shift overlap, the most recent (highest id) stands.
        """
        found: set[int] = set()
        for one in self.roster.shifts:
            if any(b <= at < e for b, e in self.occurrences[one.id]):
                covering = [
                    c
                    for c in self.roster.covers
                    if c.shift_id == one.id and c.starts_at <= at < c.ends_at
                ]
                latest = max(covering, key=lambda c: c.id, default=None)
                found.add(one.volunteer_id if latest is None else latest.volunteer_id)
        return found

    def on_call(self, at: datetime, language: str | None = None) -> list[int]:
        on_shift = self.on_shift(at)
        people = [p for p in self.roster.people if p.id in on_shift and available(p, at)]
        if language is None:
            return sorted(p.id for p in people)
        speakers = [p for p in people if language in p.languages]
        return [p.id for p in sorted(speakers, key=lambda p: (p.languages.index(language), p.id))]

    def coverage(
        self, language: str, start: datetime, end: datetime
    ) -> list[tuple[datetime, datetime]]:
        """The merged stretches of [start, end) when an active speaker is on a shift."""
        speakers = {p.id for p in self.roster.people if p.active and language in p.languages}
        edges = {start, end}
        for found in self.occurrences.values():
            edges.update(t for b, e in found for t in (b, e))
        edges.update(t for c in self.roster.covers for t in (c.starts_at, c.ends_at))
        cuts = sorted(t for t in edges if start <= t <= end)
        covered: list[tuple[datetime, datetime]] = []
        # Between two consecutive edges nobody comes or goes: test the left end.
        for left, right in pairwise(cuts):
            if self.on_shift(left) & speakers:
                if covered and covered[-1][1] == left:
                    covered[-1] = (covered[-1][0], right)
                else:
                    covered.append((left, right))
        return covered


def available(volunteer: Person, at: datetime) -> bool:
    if not volunteer.active or volunteer.availability == "off":
        return False
    if volunteer.availability == "break":
        assert volunteer.break_until is not None, "the strategies always set break_until"
        return at >= volunteer.break_until
    return True


def complement(
    pieces: Sequence[tuple[datetime, datetime]], start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    holes: list[tuple[datetime, datetime]] = []
    cursor = start
    for b, e in pieces:
        if b > cursor:
            holes.append((cursor, b))
        cursor = max(cursor, e)
    if cursor < end:
        holes.append((cursor, end))
    return holes


# --- strategies -------------------------------------------------------------------------


@dataclass(frozen=True)
class Roster:
    people: tuple[Person, ...]
    shifts: tuple[ShiftSpec, ...]
    covers: tuple[CoverSpec, ...]
    taken_at: datetime
    horizon: timedelta = field(default=timedelta(days=8))

    def snapshot(self, *, taken_at: datetime | None = None) -> RosterSnapshot:
        return RosterSnapshot(
            people=self.people,
            shifts=self.shifts,
            covers=self.covers,
            timezone=CHICAGO,
            taken_at=taken_at or self.taken_at,
            horizon=self.horizon,
        )

    @property
    def window(self) -> tuple[datetime, datetime]:
        return self.taken_at - timedelta(days=1), self.taken_at + self.horizon

    def edges(self, until: datetime) -> list[datetime]:
        """Instants before `until` where someone may come or go, with their neighbours."""
        found: set[datetime] = set()
        for one in self.shifts:
            for b, e in reference_occurrences(one, until):
                found |= {b, e}
        for c in self.covers:
            found |= {c.starts_at, c.ends_at}
        for p in self.people:
            if p.break_until is not None:
                found.add(p.break_until)
        return sorted({t + d for t in found for d in (-TICK, timedelta(0), TICK)})


def minutes(low: int, high: int) -> st.SearchStrategy[timedelta]:
    return st.integers(low, high).map(lambda m: timedelta(minutes=m))


def quarter_hours(low: int, high: int) -> st.SearchStrategy[timedelta]:
    return st.integers(low, high).map(lambda q: timedelta(minutes=15 * q))


def steps(low: int, high: int) -> st.SearchStrategy[timedelta]:
    """Whole hours or quarter hours, from `low` to `high` quarter hours."""
    hours = st.integers(-(-low // 4), high // 4).map(lambda h: timedelta(hours=h))
    return st.one_of(hours, quarter_hours(low, high))


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


# Built once: drawing from module-level strategies keeps each example cheap.
ANCHORS = st.sampled_from(
    [
        SPRING_FORWARD,
        FALL_BACK,
        datetime(2026, 1, 14, 18, tzinfo=UTC),
        datetime(2026, 7, 1, tzinfo=UTC),
    ]
)
AROUND_ANCHOR = minutes(-5 * DAY_MINUTES, 5 * DAY_MINUTES)
LANGUAGE_ORDERS = st.permutations(LANGUAGES)
HOW_MANY_LANGUAGES = st.integers(0, len(LANGUAGES))
AVAILABILITY = st.sampled_from(["on", "on", "off", "break"])
BREAK_ENDS = minutes(-DAY_MINUTES, 3 * DAY_MINUTES)
ACTIVE = st.sampled_from([True, True, True, False])
# Shifts and covers start and end on whole or quarter hours counted from the hour of
# `taken_at`, so they often meet hour boundaries (where the index splits) and one another.
# Starts cluster in the days just after `taken_at`, so shifts overlap one another often;
# weekly ones began up to eight weeks earlier and recur there.
WEEKS_BACK = st.integers(0, 8).map(lambda n: -n * WEEK)
SOON = steps(-4 * 24, 3 * 4 * 24)
LATER = steps(-2 * 4 * 24, 9 * 4 * 24)
SHIFT_LENGTH = steps(1, 4 * 30)
REPEAT_FOR = st.one_of(
    st.none(), st.integers(0, 10).map(lambda n: n * WEEK), minutes(0, 10 * 7 * DAY_MINUTES)
)
COVER_WEEK = st.integers(-1, 1)
COVER_START = steps(-4 * 6, 4 * 30)
COVER_LENGTH = steps(1, 4 * 20)
ON_TOP = st.booleans()
INTO_EARLIER_COVER = steps(0, 4 * 8)
# A cover made "from now" carries microseconds; the hour index must count them.
JITTER = st.one_of(
    st.just(timedelta(0)),
    st.integers(1, 999_999).map(lambda n: n * TICK),
    st.integers(1, 999_999).map(lambda n: -n * TICK),
)
HORIZONS = st.sampled_from([timedelta(days=8), timedelta(days=2), timedelta(hours=30)])
FAR = minutes(10 * DAY_MINUTES, 8 * 7 * DAY_MINUTES)


def draw_person(draw: st.DrawFn, id: int, taken_at: datetime) -> Person:
    languages = tuple(draw(LANGUAGE_ORDERS)[: draw(HOW_MANY_LANGUAGES)])
    availability = draw(AVAILABILITY)
    break_until = taken_at + draw(BREAK_ENDS) if availability == "break" else None
    return person(
        id,
        languages=languages,
        availability=availability,
        break_until=break_until,
        active=draw(ACTIVE),
    )


def draw_shift(draw: st.DrawFn, id: int, volunteers: list[int], taken_at: datetime) -> ShiftSpec:
    weekly = draw(st.booleans())
    starts_at = hour_of(taken_at) + draw(st.one_of(SOON, LATER))
    if weekly:
        starts_at += draw(WEEKS_BACK)
    ends_at = starts_at + draw(SHIFT_LENGTH)
    repeat_for = draw(REPEAT_FOR) if weekly else None
    return shift(
        id,
        volunteer_id=pick(draw, volunteers),
        starts_at=starts_at,
        ends_at=ends_at,
        weekly=weekly,
        repeat_until=None if repeat_for is None else starts_at + repeat_for,
    )


def draw_cover(
    draw: st.DrawFn, id: int, of: ShiftSpec, volunteers: list[int], taken_at: datetime
) -> CoverSpec:
    """A cover near one occurrence of `of` close to `taken_at`."""
    base = of.starts_at
    if of.weekly:
        base += max(0, round((taken_at - of.starts_at) / WEEK) + draw(COVER_WEEK)) * WEEK
    starts_at = base + draw(COVER_START) + draw(JITTER)
    return cover(
        id,
        shift_id=of.id,
        volunteer_id=pick(draw, volunteers),
        starts_at=starts_at,
        ends_at=starts_at + draw(COVER_LENGTH) + draw(JITTER),
    )


@st.composite
def rosters(draw: st.DrawFn) -> Roster:
    """A few volunteers, up to six shifts and five covers (which may overlap one another),
    around a DST change or not."""
    taken_at = draw(ANCHORS) + draw(AROUND_ANCHOR)
    people = [draw_person(draw, id, taken_at) for id in range(1, draw(st.integers(1, 4)) + 1)]
    # Now and then a shift or cover names someone no longer in the roster.
    volunteers = [p.id for p in people] * 3 + [99]
    shifts = [
        draw_shift(draw, id, volunteers, taken_at) for id in range(1, draw(st.integers(0, 6)) + 1)
    ]
    covers: list[CoverSpec] = []
    for id in range(1, (draw(st.integers(0, 5)) if shifts else 0) + 1):
        if len(covers) > 0 and draw(ON_TOP):
            # A later cover over part of an earlier one: the most recent must stand.
            under = pick(draw, covers)
            starts_at = under.starts_at + draw(INTO_EARLIER_COVER)
            on_top = cover(
                id,
                shift_id=under.shift_id,
                volunteer_id=pick(draw, volunteers),
                starts_at=starts_at,
                ends_at=starts_at + draw(COVER_LENGTH),
            )
            covers.append(on_top)
        else:
            covers.append(draw_cover(draw, id, pick(draw, shifts), volunteers, taken_at))
    return Roster(tuple(people), tuple(shifts), tuple(covers), taken_at, draw(HORIZONS))


class Draw(Protocol):
    """What `st.composite` hands over and what `st.data()` offers: a way to draw."""

    def __call__(self, strategy: st.SearchStrategy[T], label: Any = None) -> T: ...


def pick(draw: Draw, choices: Sequence[T]) -> T:
    """One of `choices`: an index from a cached strategy, cheaper than a new sampled_from."""
    return choices[draw(st.integers(0, len(choices) - 1))]


AT_AN_EDGE = st.booleans()
POSITION = st.integers(0, 2**32 - 1)


def draw_instants(
    draw: Draw, roster: Roster, start: datetime, end: datetime, *, count: int = 1
) -> list[datetime]:
    """Instants in [start, end): anywhere, or right at someone's coming or going."""
    edges = [t for t in roster.edges(until=end) if start <= t < end]
    span = (end - start) // TICK
    found = []
    for _ in range(count):
        if len(edges) > 0 and draw(AT_AN_EDGE):
            found.append(pick(draw, edges))
        else:
            found.append(start + (draw(POSITION) * span >> 32) * TICK)
    return found


# --- properties -------------------------------------------------------------------------


@PROPERTY
@given(data=st.data())
def test_indexed_on_call_matches_the_reference(data: st.DataObject) -> None:
    roster = data.draw(rosters(), label="roster")
    current = roster.snapshot()
    start, end = roster.window
    reference = Reference(roster, until=end)
    # Every instant where someone comes or goes (and its neighbours), then a few more.
    for at in roster.edges(until=end):
        if start <= at < end:
            assert ids(current.on_call(at)) == reference.on_call(at), at
    for at in draw_instants(data.draw, roster, start, end, count=6):
        assert ids(current.on_call(at)) == reference.on_call(at), at
        for language in LANGUAGES:
            assert ids(current.on_call(at, language)) == reference.on_call(at, language), at


@PROPERTY
@given(data=st.data())
def test_slow_path_outside_the_horizon_matches_the_reference_and_the_index(
    data: st.DataObject,
) -> None:
    roster = data.draw(rosters(), label="roster")
    start, end = roster.window
    where = pick(data.draw, [(start, end), (start - 3 * WEEK, start), (end, end + 3 * WEEK)])
    [at] = draw_instants(data.draw, roster, *where)
    # A snapshot taken long before or after `at`, so `at` falls outside its window.
    taken_at = at + pick(data.draw, [-1, 1]) * data.draw(FAR)
    stale = roster.snapshot(taken_at=taken_at)
    assert not stale.window[0] <= at < stale.window[1]
    indexed = roster.snapshot(taken_at=at)
    assert ids(stale.on_call(at)) == Reference(roster, until=at + TICK).on_call(at)
    for language in (None, *LANGUAGES):
        assert stale.on_call(at, language) == indexed.on_call(at, language)


@st.composite
def weekly_shifts_near_dst(draw: st.DrawFn) -> ShiftSpec:
    """A weekly shift entered as a Chicago wall-clock time in the weeks around a change."""
    change = draw(st.sampled_from([date(2026, 3, 8), date(2026, 11, 1)]))
    day = change + timedelta(days=draw(st.integers(-21, 7)))
    wall = datetime.combine(day, time(draw(st.integers(0, 23)), draw(st.integers(0, 59))))
    starts_at = wall.replace(tzinfo=CHICAGO, fold=draw(st.integers(0, 1))).astimezone(UTC)
    return shift(starts_at=starts_at, ends_at=starts_at + draw(minutes(15, 30 * 60)), weekly=True)


def exists(wall: datetime) -> bool:
    """Whether a naive Chicago wall-clock time happens (it does not in the spring gap)."""
    there = wall.replace(tzinfo=CHICAGO)
    return there.astimezone(UTC).astimezone(CHICAGO).replace(tzinfo=None) == wall


@PROPERTY
@given(weekly=weekly_shifts_near_dst())
def test_weekly_occurrences_keep_local_weekday_and_time_of_day(weekly: ShiftSpec) -> None:
    first_start = weekly.starts_at.astimezone(CHICAGO)
    first_end = weekly.ends_at.astimezone(CHICAGO)
    # Local wall-clock weeks last 12 weeks ± 1 hour in UTC.
    until = weekly.starts_at + 12 * WEEK - timedelta(hours=1)
    found = list(occurrences(weekly, CHICAGO, weekly.starts_at, until))
    assert len(found) == 12
    for week, (begins, ends) in enumerate(found):
        days = timedelta(days=7 * week)
        for moment, first in ((begins, first_start), (ends, first_end)):
            local = moment.astimezone(CHICAGO)
            wall = datetime.combine(first.date() + days, first.time())
            assert local.weekday() == first.weekday()
            if exists(wall):
                assert local.replace(tzinfo=None) == wall, (week, local)
            else:
                # The missing hour: the same wall-clock time read before the change.
                assert local.replace(tzinfo=None) == wall + timedelta(hours=1), (week, local)


@PROPERTY
@given(data=st.data())
def test_gaps_and_coverage_partition_the_range(data: st.DataObject) -> None:
    roster = data.draw(rosters(), label="roster")
    language = data.draw(st.sampled_from(LANGUAGES), label="language")
    start = roster.taken_at + data.draw(minutes(-DAY_MINUTES, 8 * DAY_MINUTES), label="start")
    end = start + data.draw(minutes(0, 3 * DAY_MINUTES), label="length")

    current = roster.snapshot()
    gaps = current.gaps(language, start, end)
    assert current.gaps_by_language(LANGUAGES, start, end)[language] == gaps
    reference = Reference(roster, until=end)
    covered = reference.coverage(language, start, end)

    for b, e in gaps:
        assert start <= b < e <= end
    assert all(gaps[i][1] < gaps[i + 1][0] for i in range(len(gaps) - 1)), "not sorted/disjoint"
    assert gaps == complement(covered, start, end)
    total = sum((e - b for b, e in [*gaps, *covered]), timedelta(0))
    assert total == end - start

    if start < end:
        speakers = {p.id for p in roster.people if p.active and language in p.languages}
        for at in draw_instants(data.draw, roster, start, end, count=5):
            in_gap = any(b <= at < e for b, e in gaps)
            assert bool(reference.on_shift(at) & speakers) is not in_gap, at


@PROPERTY
@given(roster=rosters())
def test_covers_leave_each_shift_exactly_one_volunteer_at_a_time(roster: Roster) -> None:
    """Covers, even overlapping ones, never put two volunteers on one shift at once."""
    start, end = roster.window
    found = intervals(roster.shifts, roster.covers, CHICAGO, start, end)
    for one in roster.shifts:
        pieces = sorted((i.start, i.end) for i in found if i.shift_id == one.id and i.start < i.end)
        for (_, first_end), (second_start, _) in pairwise(pieces):
            assert first_end <= second_start, f"shift {one.id}: two volunteers at {second_start}"
        # ... and somebody through every instant of every occurrence.
        expected = [(b, e) for b, e in reference_occurrences(one, until=end) if e > start and b < e]
        assert complement(pieces, start, end) == complement(sorted(expected), start, end)


# --- bugs these tests found in oncall.py, fixed; kept so they stay fixed ------------------


def test_two_overlapping_covers_put_only_one_volunteer_on_the_shift() -> None:
    day = shift(starts_at=chicago(2026, 1, 13, 9), ends_at=chicago(2026, 1, 13, 17))
    covers = [
        cover(
            1, volunteer_id=2, starts_at=chicago(2026, 1, 13, 10), ends_at=chicago(2026, 1, 13, 13)
        ),
        cover(
            2, volunteer_id=3, starts_at=chicago(2026, 1, 13, 12), ends_at=chicago(2026, 1, 13, 15)
        ),
    ]
    roster = snapshot(people=[person(1), person(2), person(3)], shifts=[day], covers=covers)
    assert ids(roster.on_call(chicago(2026, 1, 13, 12, 30))) == [3]  # the most recent cover
    assert ids(roster.on_call(chicago(2026, 1, 13, 11))) == [2]
    assert ids(roster.on_call(chicago(2026, 1, 13, 14))) == [3]
    assert ids(roster.on_call(chicago(2026, 1, 13, 16))) == [1]


def test_interval_ending_a_fraction_past_the_hour_is_indexed() -> None:
    ends_at = datetime(2026, 1, 13, 15, 0, 0, 500_000, tzinfo=UTC)
    roster = snapshot(shifts=[shift(starts_at=chicago(2026, 1, 13, 8), ends_at=ends_at)])
    assert ids(roster.on_call(datetime(2026, 1, 13, 15, 0, 0, 100_000, tzinfo=UTC))) == [1]


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (datetime(2026, 1, 13, 11, 0, 0, 499_999, tzinfo=UTC), [1]),
        (datetime(2026, 1, 13, 11, 0, 0, 500_000, tzinfo=UTC), [2]),
        (datetime(2026, 1, 13, 12, 30, tzinfo=UTC), [2]),
        (datetime(2026, 1, 13, 13, 59, 59, 499_999, tzinfo=UTC), [2]),
        (datetime(2026, 1, 13, 13, 59, 59, 500_000, tzinfo=UTC), [1]),
    ],
    ids=["before-cover", "cover-starts", "inside", "cover-ends-soon", "cover-ended"],
)
def test_cover_a_fraction_of_a_second_off_the_hours_is_indexed_exactly(
    at: datetime, expected: list[int]
) -> None:
    # The cover touches hours 11 and 13 only in part: neither is all the volunteer's.
    day = shift(starts_at=datetime(2026, 1, 13, 9, tzinfo=UTC))
    lunch = cover(
        starts_at=datetime(2026, 1, 13, 11, 0, 0, 500_000, tzinfo=UTC),
        ends_at=datetime(2026, 1, 13, 13, 59, 59, 500_000, tzinfo=UTC),
    )
    roster = snapshot(shifts=[day], covers=[lunch])
    assert ids(roster.on_call(at)) == expected


def test_weekly_shift_starting_in_the_repeated_hour_first_occurs_as_entered() -> None:
    # 01:30 CST, the second 01:30 of November 1 (07:30 UTC), for an hour.
    starts_at = chicago(2026, 11, 1, 1, 30, fold=1)
    weekly = shift(starts_at=starts_at, ends_at=starts_at + timedelta(hours=1), weekly=True)
    first = next(occurrences(weekly, CHICAGO, starts_at - timedelta(days=1), starts_at + WEEK))
    assert first == (weekly.starts_at, weekly.ends_at)


def test_gaps_partition_when_a_covered_occurrence_falls_in_the_spring_gap() -> None:
    # Sunday 02:30–03:10: on March 8 02:30 does not exist (read as 03:30 CDT), 03:10 does.
    sunday = shift(
        starts_at=chicago(2026, 3, 1, 2, 30), ends_at=chicago(2026, 3, 1, 3, 10), weekly=True
    )
    night = cover(
        starts_at=datetime(2026, 3, 8, 7, tzinfo=UTC), ends_at=datetime(2026, 3, 8, 10, tzinfo=UTC)
    )
    roster = snapshot(shifts=[sunday], covers=[night], taken_at=SPRING_FORWARD)
    start, end = datetime(2026, 3, 8, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC)
    gaps = roster.gaps("en", start, end)
    assert all(gaps[i][1] < gaps[i + 1][0] for i in range(len(gaps) - 1)), gaps
    assert sum((e - b for b, e in gaps), timedelta(0)) <= end - start


def test_slow_path_with_a_cover_reports_only_who_holds_the_shift_at_that_instant() -> None:
    day = shift(starts_at=chicago(2026, 1, 13, 9), ends_at=chicago(2026, 1, 13, 17))
    lunch = cover(starts_at=chicago(2026, 1, 13, 11), ends_at=chicago(2026, 1, 13, 13))
    stale = snapshot(shifts=[day], covers=[lunch], taken_at=chicago(2026, 6, 1))
    assert ids(stale.on_call(chicago(2026, 1, 13, 10))) == [1]
    assert ids(stale.on_call(chicago(2026, 1, 13, 12))) == [2]


def test_responders_of_a_zone_are_those_on_call_and_available_there() -> None:
    at = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    people = [
        Person(1, "Ana", ("es",), zones=(7,)),
        Person(2, "Luis", ("es",), zones=(7, 8), availability="off"),
        Person(3, "Wei", ("zh",), zones=(8,)),
        Person(4, "Sam", ("en",), zones=(7,)),
    ]
    shifts = [ShiftSpec(i, i, at - timedelta(hours=1), at + timedelta(hours=1)) for i in (1, 2, 3)]
    snapshot = RosterSnapshot(
        people=people, shifts=shifts, covers=[], timezone=ZoneInfo("UTC"), taken_at=at
    )
    assert [p.id for p in snapshot.responders(at, 7)] == [1]
    assert [p.id for p in snapshot.responders(at, 8)] == [3]
    assert snapshot.responders(at + timedelta(hours=2), 7) == []
    assert snapshot.responders(at, 9) == []
