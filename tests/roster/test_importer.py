"""The CSV roster import: weekly shifts on the local clock, all or nothing, line numbers."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from hotline import db
from hotline.config import ALL_LANGUAGES, Settings
from hotline.db import aware
from hotline.models import Shift, Volunteer
from hotline.privacy.vault import Vault
from hotline.roster.importer import (
    ImportReport,
    RowProblem,
    WeeklySlot,
    first_occurrence,
    import_roster,
)
from tests.roster.factories import add_volunteer, audit, everything, leaks

CHICAGO = ZoneInfo("America/Chicago")
# A Wednesday, at noon in Chicago.
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=CHICAGO)
HEADER = "name,phone,languages,role,active,shift_weekday,shift_start,shift_end\n"
GOOD = HEADER + (
    "Ana,+13125550181,es;en,,,Monday,18:00,22:00\n"
    "Ana,+13125550181,,,,Fri,22:00,06:00\n"
    "Wei,(312) 555-0182,zh en,attorney,yes,,,\n"
    "Olena,3125550183,uk ru,,false,7,00:00,24:00\n"
)


@pytest.fixture
def vault(settings: Settings) -> Vault:
    _, secret = settings.require_secrets()
    return Vault(secret)


def run(
    engine: Engine, vault: Vault, settings: Settings, text: str, now: datetime = NOW
) -> ImportReport:
    with db.transaction(engine) as session:
        return import_roster(
            session=session,
            vault=vault,
            settings=settings,
            languages=ALL_LANGUAGES,
            rows=io.StringIO(text),
            now=now,
        )


def local_shifts(engine: Engine) -> dict[str, list[tuple[str, str, bool]]]:
    found: dict[str, list[tuple[str, str, bool]]] = {}
    with Session(engine) as session:
        for volunteer in session.exec(select(Volunteer).order_by(col(Volunteer.id))).all():
            shifts = session.exec(
                select(Shift).where(Shift.volunteer_id == volunteer.id).order_by(col(Shift.id))
            ).all()
            found[volunteer.name] = [
                (
                    aware(s.starts_at).astimezone(CHICAGO).isoformat(),
                    aware(s.ends_at).astimezone(CHICAGO).isoformat(),
                    s.weekly,
                )
                for s in shifts
            ]
    return found


def test_a_roster_is_imported_with_weekly_shifts_on_the_local_clock(
    engine: Engine, vault: Vault, settings: Settings
) -> None:
    report = run(engine, vault, settings, GOOD)
    assert report.ok, report.problems
    assert (report.volunteers_created, report.shifts_created) == (3, 3)
    assert local_shifts(engine) == {
        "Ana": [
            ("2026-12-07T18:00:00-06:00", "2026-12-07T22:00:00-06:00", True),
            ("2026-12-04T22:00:00-06:00", "2026-12-05T06:00:00-06:00", True),
        ],
        "Wei": [],
        "Olena": [("2026-12-06T00:00:00-06:00", "2026-12-07T00:00:00-06:00", True)],
    }
    with Session(engine) as session:
        people = {v.name: v for v in session.exec(select(Volunteer)).all()}
    assert (people["Ana"].languages, people["Ana"].role, people["Ana"].active) == (
        "es,en",
        "legal_volunteer",
        True,
    )
    assert (people["Wei"].languages, people["Wei"].role) == ("zh,en", "attorney")
    assert (people["Olena"].phone_hint, people["Olena"].active) == ("+1•••83", False)
    assert people["Wei"].phone_key == vault.fingerprint("+13125550182", purpose="volunteer")
    entries = audit(engine)
    assert [(e.action, e.entity) for e in entries].count(("create", "shift")) == 3
    assert all(e.user_id is None for e in entries)


def test_importing_the_same_file_again_changes_nothing(
    engine: Engine, vault: Vault, settings: Settings
) -> None:
    run(engine, vault, settings, GOOD)
    before = everything(engine)
    again = run(engine, vault, settings, GOOD, now=datetime(2026, 12, 20, 9, 0, tzinfo=CHICAGO))
    assert again.ok
    assert (again.volunteers_created, again.volunteers_updated, again.volunteers_unchanged) == (
        0,
        0,
        3,
    )
    assert (again.shifts_created, again.shifts_kept) == (0, 3)
    assert everything(engine) == before


def test_a_volunteer_already_on_the_roster_is_updated_not_added(
    engine: Engine, vault: Vault, settings: Settings
) -> None:
    with db.transaction(engine) as session:
        known = add_volunteer(
            session, vault, name="Ana M.", number="+13125550181", languages=["es"]
        )
    report = run(
        engine, vault, settings, HEADER + "Ana,312-555-0181,es;en,attorney,,Mon,09:00,12:00\n"
    )
    assert (report.volunteers_created, report.volunteers_updated, report.shifts_created) == (
        0,
        1,
        1,
    )
    with Session(engine) as session:
        [row] = session.exec(select(Volunteer)).all()
    assert (row.id, row.name, row.languages, row.role) == (known.id, "Ana", "es,en", "attorney")
    assert audit(engine)[-2].fields == "name,languages,role"


BAD = HEADER + (
    "Ana,+13125550181,es;en,,,Monday,18:00,22:00\n"  # 2: good
    "Bob,+1312555,es,,,,,\n"  # 3
    "Cy,+13125550183,xx,,,,,\n"  # 4
    "Dee,+13125550184,es,boss,maybe,Funday,25:00,10:00\n"  # 5
    "Eve,+13125550185,es,,,Monday,,\n"  # 6
    "Ana,+13125550181,fr,,,,,\n"  # 7
    ",+13125550186,,,,,,\n"  # 8
    "Fay,+13125550187,es,,,Monday,09:00,09:00\n"  # 9
    "Gus,+13125550188,es,,,,,,extra\n"  # 10
    "Hal,,es,,,,,\n"  # 11
)


def test_every_bad_row_is_reported_and_nothing_is_written(
    engine: Engine, vault: Vault, settings: Settings
) -> None:
    before = everything(engine)
    report = run(engine, vault, settings, BAD)
    assert not report.ok
    assert [(p.line, p.column) for p in report.problems] == [
        (3, "phone"),
        (4, "languages"),
        (5, "role"),
        (5, "active"),
        (5, "shift_weekday"),
        (5, "shift_start"),
        (6, "shift_start"),
        (6, "shift_end"),
        (7, "languages"),
        (8, "name"),
        (8, "languages"),
        (9, "shift_end"),
        (10, "(extra cells)"),
        (11, "phone"),
    ]
    assert report.problems[8].message == "differs from this volunteer's line 2"
    assert str(report.problems[0]) == "line 3, phone: phone is not a valid phone number"
    text = "\n".join(str(p) for p in report.problems)
    for number in ("+13125550181", "+13125550184", "+13125550186", "+13125550187"):
        assert leaks(text, number) == []
    # No cell is repeated back, whatever it holds.
    assert "'xx'" not in text
    assert "this value is not an enabled language" in text
    assert (report.volunteers_created, report.shifts_created) == (0, 0)
    assert everything(engine) == before


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("name,phone,langs\n", [(1, "column 3"), (1, "languages")]),
        ("name,languages\n", [(1, "phone")]),
        (
            "",
            [
                (1, "column 1"),
                (1, "column 2"),
                (1, "column 3"),
                (1, "name"),
                (1, "phone"),
                (1, "languages"),
            ],
        ),
    ],
)
def test_a_bad_header_is_line_1(
    engine: Engine, vault: Vault, settings: Settings, header: str, expected: list[tuple[int, str]]
) -> None:
    report = run(engine, vault, settings, header + "Ana,+13125550181,es\n")
    assert [(p.line, p.column) for p in report.problems] == expected
    assert leaks("\n".join(str(p) for p in report.problems), "+13125550181") == []
    assert everything(engine)["volunteer"] == []


def test_an_empty_file_is_refused(engine: Engine, vault: Vault, settings: Settings) -> None:
    assert [(p.line, p.column) for p in run(engine, vault, settings, "").problems] == [(1, "name")]


def test_line_numbers_count_blank_lines_and_rows_may_be_mappings(
    engine: Engine, vault: Vault, settings: Settings
) -> None:
    report = run(engine, vault, settings, "name,phone,languages\n\nAna,12,es\n")
    assert report.problems == [RowProblem(3, "phone", "phone is not a valid phone number")]
    with db.transaction(engine) as session:
        from_rows = import_roster(
            session=session,
            vault=vault,
            settings=settings,
            languages=["es"],
            rows=[
                {"name": "Ana", "phone": "+13125550181", "languages": "es"},
                {"name": "Bo", "phone": "+13125550182", "languages": "en"},
            ],
        )
    assert [(p.line, p.column) for p in from_rows.problems] == [(3, "languages")]


def test_a_weekly_slot_starts_on_its_next_weekday_or_the_one_running_now() -> None:
    friday_night = WeeklySlot(weekday=4, start=time(22), end=time(6), next_day=True)
    assert first_occurrence(friday_night, zone=CHICAGO, now=NOW) == (
        datetime(2026, 12, 5, 4, 0, tzinfo=UTC),
        datetime(2026, 12, 5, 12, 0, tzinfo=UTC),
    )
    saturday_2am = datetime(2026, 12, 5, 2, 0, tzinfo=CHICAGO)
    assert first_occurrence(friday_night, zone=CHICAGO, now=saturday_2am)[0] == datetime(
        2026, 12, 5, 4, 0, tzinfo=UTC
    )
    saturday_7am = datetime(2026, 12, 5, 7, 0, tzinfo=CHICAGO)
    assert first_occurrence(friday_night, zone=CHICAGO, now=saturday_7am)[0] == datetime(
        2026, 12, 12, 4, 0, tzinfo=UTC
    )
    wednesday_morning = WeeklySlot(weekday=2, start=time(9), end=time(11), next_day=False)
    # Today's, even though it is over: the series begins this week.
    assert first_occurrence(wednesday_morning, zone=CHICAGO, now=NOW)[0] == datetime(
        2026, 12, 2, 15, 0, tzinfo=UTC
    )
