"""A hostile volunteer and hostile data: other people's pages, numbers, and markup."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from hotline import db
from hotline.deps import Runtime
from tests.console.conftest import OMAR_NUMBER, VERA_NUMBER, Browser, People
from tests.roster.factories import add_shift, add_volunteer, everything, leaks

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_a_volunteer_cannot_reach_another_volunteers_pages_or_shifts_by_id(
    browser: Browser, people: People, engine: Engine
) -> None:
    with db.transaction(engine) as session:
        shift = add_shift(session, volunteer_id=people.omar, weekly=True)
    browser.sign_in("Vera")
    before = everything(engine)
    for path in (
        f"/console/roster/volunteers/{people.omar}",
        f"/console/roster/shifts/{shift.id}",
    ):
        answer = browser.get(path)
        assert answer.status_code == 403
        assert "Omar" not in answer.text
    for path, data in (
        (f"/console/roster/volunteers/{people.omar}/availability", {"status": "off"}),
        (f"/console/roster/shifts/{shift.id}/delete", {}),
        (
            f"/console/roster/shifts/{shift.id}/move",
            {"day": "2026-12-01", "start": "01:00", "end": "02:00"},
        ),
        (
            "/console/roster/shifts",
            {"volunteer_id": people.omar, "day": "2026-12-01", "start": "01:00", "end": "02:00"},
        ),
    ):
        assert browser.post(path, data).status_code == 403, path
    assert everything(engine) == before
    # Her own roster is her week only: nobody else's name or shifts.
    roster = browser.get("/console/roster")
    assert "Vera" in roster.text
    assert "Omar" not in roster.text


def test_no_page_shows_a_volunteers_whole_number(
    browser: Browser, other_browser: Browser, people: People, engine: Engine
) -> None:
    with db.transaction(engine) as session:
        add_shift(session, volunteer_id=people.omar, weekly=True)
        add_shift(session, volunteer_id=people.vera, weekly=True)
    browser.sign_in("Dana")
    other_browser.sign_in("Vera")
    pages = [
        "/console/now", "/console/roster", "/console/calls", "/console/indicators",
        "/console/indicators.csv", "/console/languages",
        f"/console/roster/volunteers/{people.vera}", f"/console/roster/volunteers/{people.omar}",
    ]  # fmt: skip
    for path in pages:
        text = browser.get(path).text + other_browser.get(path).text
        assert leaks(text, VERA_NUMBER) == [], path
        assert leaks(text, OMAR_NUMBER) == [], path
    # What coordinators see of a number: its country code and last two digits.
    assert "+1•••62" in browser.get(f"/console/roster/volunteers/{people.omar}").text


def test_names_are_escaped_everywhere(
    browser: Browser, people: People, engine: Engine, runtime: Runtime
) -> None:
    with db.transaction(engine) as session:
        villain = add_volunteer(session, runtime.vault, name=SCRIPT[:120], number="+13125550175")
        add_shift(session, volunteer_id=villain.id, weekly=True)
    runtime.roster.refresh()
    browser.sign_in("Dana")
    for path in ("/console/now", "/console/roster", f"/console/roster/volunteers/{villain.id}"):
        text = browser.get(path).text
        assert "<script>alert" not in text, path
        assert "<img src=x" not in text, path
    assert "&lt;script&gt;" in browser.get("/console/roster").text


@pytest.mark.parametrize(
    "row",
    [
        f'"{SCRIPT}",+13125550176,es,,,,,',
        'Ana,+13125550176,"<b>x</b>",,,,,',
        'Ana,+13125550176,es,"<i>boss</i>",,,,',
        'Ana,+13125550176,es,,"<u>",<s>,,',
    ],
)
def test_csv_content_is_escaped_in_the_import_report(
    browser: Browser, people: People, engine: Engine, row: str
) -> None:
    browser.sign_in("Dana")
    header = "name,phone,languages,role,active,shift_weekday,shift_start,shift_end\n"
    bad = "Bad,not a number,es,,,,,\n"
    before = everything(engine)
    answer = browser.post(
        "/console/roster/import", files={"file": ("r.csv", (header + row + "\n" + bad).encode())}
    )
    assert answer.status_code == 422
    for raw in ("<script>", "<b>", "<i>", "<u>", "<s>", "<img"):
        assert raw not in answer.text.split("<main", 1)[1].replace("<strong", ""), raw
    assert "Line 3, phone" in answer.text
    assert everything(engine) == before


def test_an_import_with_one_bad_row_imports_nothing_and_names_the_line(
    browser: Browser, people: People, engine: Engine
) -> None:
    browser.sign_in("Dana")
    csv = (
        "name,phone,languages,role,active,shift_weekday,shift_start,shift_end\n"
        "Lena,+13125550181,pl,,,Monday,18:00,24:00\n"
        "Kofi,+13125550182,fr en,,,Funday,18:00,22:00\n"
    )
    before = everything(engine)
    answer = browser.post("/console/roster/import", files={"file": ("r.csv", csv.encode())})
    assert answer.status_code == 422
    assert "Line 3, shift_weekday" in answer.text
    assert "Nothing was imported: 1 problem." in answer.text
    assert everything(engine) == before
    fixed = csv.replace("Funday", "Tuesday")
    answer = browser.post("/console/roster/import", files={"file": ("r.csv", fixed.encode())})
    assert answer.status_code == 200
    assert "Imported: 2 volunteers added" in answer.text
    assert "Lena" in browser.get("/console/roster").text


def test_validation_errors_never_echo_what_was_sent(browser: Browser, people: People) -> None:
    browser.sign_in("Dana")
    answer = browser.post(
        "/console/roster/volunteers",
        {"name": "Zed", "phone": "+1312555017", "languages": ["es"]},
    )
    assert answer.status_code == 422
    assert "555017" not in answer.text
    too_long = browser.post("/console/language", {"language": "+13125550199" * 3})
    assert too_long.status_code == 422
    assert "5550199" not in too_long.text
