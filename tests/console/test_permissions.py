"""Every console page and form, for a coordinator, a volunteer and someone signed out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from hotline import db
from hotline.models import CallRecord
from tests.console.conftest import Browser, People
from tests.roster.factories import add_shift, everything

COORDINATOR, VOLUNTEER, SIGNED_OUT = "coordinator", "volunteer", "signed out"


def shifts(engine: Engine, people: People) -> dict[str, int]:
    with db.transaction(engine) as session:
        vera = add_shift(session, volunteer_id=people.vera, weekly=True)
        omar = add_shift(session, volunteer_id=people.omar, weekly=True)
    assert vera.id is not None
    assert omar.id is not None
    return {"vera_shift": vera.id, "omar_shift": omar.id}


def as_(browser: Browser, who: str) -> Browser:
    if who == COORDINATOR:
        return browser.sign_in("Dana")
    if who == VOLUNTEER:
        return browser.sign_in("Vera")
    return browser


PAGES = [
    # path, coordinator, volunteer (Vera)
    ("/console/now", 200, 200),
    ("/console/now/live", 200, 200),
    ("/console/roster", 200, 200),
    ("/console/calls", 200, 200),
    ("/console/indicators", 200, 403),
    ("/console/indicators.csv", 200, 403),
    ("/console/languages", 200, 403),
    ("/console/roster/volunteers/{vera}", 200, 200),
    ("/console/roster/volunteers/{omar}", 200, 403),
    ("/console/roster/shifts/{vera_shift}", 200, 200),
    ("/console/roster/shifts/{omar_shift}", 200, 403),
]


@pytest.mark.parametrize("who", [COORDINATOR, VOLUNTEER, SIGNED_OUT])
def test_every_page_answers_each_role_as_it_should(
    browser: Browser, people: People, engine: Engine, who: str
) -> None:
    ids = {"vera": people.vera, "omar": people.omar, **shifts(engine, people)}
    as_(browser, who)
    for path, coordinator, volunteer in PAGES:
        answer = browser.get(path.format(**ids))
        expected = {COORDINATOR: coordinator, VOLUNTEER: volunteer, SIGNED_OUT: 303}[who]
        assert answer.status_code == expected, path
        if who == SIGNED_OUT:
            assert answer.headers["location"].startswith("/console/login?next=/console/")
        if expected == 200 and not path.endswith(".csv"):
            assert answer.headers["content-type"].startswith("text/html")
            assert "default-src 'self'" in answer.headers["content-security-policy"]
            assert answer.headers["x-frame-options"] == "DENY"


def _call(engine: Engine, accepted_by: int) -> int:
    now = datetime.now(UTC)
    with db.transaction(engine) as session:
        record = CallRecord(
            call_ref=f"ref-{accepted_by}",
            language="es",
            started_at=now - timedelta(minutes=5),
            urgent_at=now - timedelta(minutes=5),
            answered_at=now - timedelta(minutes=4),
            accepted_by=accepted_by,
            outcome="answered",
            tier_reached=1,
        )
        session.add(record)
        session.flush()
        assert record.id is not None
        return record.id


def forms(ids: dict[str, int]) -> list[tuple[str, dict[str, object], int, int]]:
    """path, form, the coordinator's answer, Vera's answer."""
    day = datetime.now(UTC).date().isoformat()
    stretch = {"day": day, "start": "09:00", "end": "12:00"}
    return [
        ("/console/roster/volunteers/{vera}/availability", {"status": "off"}, 303, 303),
        ("/console/roster/volunteers/{omar}/availability", {"status": "off"}, 303, 403),
        ("/console/roster/shifts", {"volunteer_id": ids["vera"], **stretch}, 303, 303),
        ("/console/roster/shifts", {"volunteer_id": ids["omar"], **stretch}, 303, 403),
        ("/console/roster/shifts/{omar_shift}/move", stretch, 303, 403),
        (
            "/console/roster/shifts/{vera_shift}/covers",
            {"volunteer_id": ids["omar"], **stretch},
            303,
            403,
        ),
        ("/console/calls/call/{omar_call}/note", {"kind": "detention"}, 303, 403),
        ("/console/calls/call/{vera_call}/note", {"kind": "detention"}, 303, 303),
        ("/console/roster/volunteers/{omar}", {"name": "Omar B", "languages": ["ar"]}, 303, 403),
        ("/console/roster/volunteers/{vera}", {"name": "Vera B", "languages": ["es"]}, 303, 403),
        (
            "/console/roster/volunteers",
            {"name": "Noor", "phone": "+13125550170", "languages": ["ar"]},
            303,
            403,
        ),
        ("/console/roster/shifts/{omar_shift}/delete", {}, 303, 403),
        ("/console/roster/volunteers/{omar}/delete", {}, 303, 403),
    ]


@pytest.mark.parametrize("who", [COORDINATOR, VOLUNTEER])
def test_every_form_answers_each_role_as_it_should(
    browser: Browser, people: People, engine: Engine, who: str
) -> None:
    ids = {"vera": people.vera, "omar": people.omar, **shifts(engine, people)}
    ids |= {"vera_call": _call(engine, people.vera), "omar_call": _call(engine, people.omar)}
    as_(browser, who)
    for path, data, coordinator, volunteer in forms(ids):
        expected = coordinator if who == COORDINATOR else volunteer
        before = everything(engine)
        answer = browser.post(path.format(**ids), data)
        assert answer.status_code == expected, (path, answer.text[:400])
        if expected == 403:
            assert everything(engine) == before, path
    refused = browser.post("/console/roster/import", files={"file": ("r.csv", b"name\n")})
    assert refused.status_code == (422 if who == COORDINATOR else 403)


def test_signed_out_forms_go_to_the_sign_in_page_and_change_nothing(
    browser: Browser, people: People, engine: Engine
) -> None:
    ids = {"vera": people.vera, "omar": people.omar, **shifts(engine, people)}
    ids |= {"vera_call": _call(engine, people.vera), "omar_call": _call(engine, people.omar)}
    before = everything(engine)
    for path, data, _, _ in forms(ids):
        answer = browser.post(path.format(**ids), data)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == "/console/login"
    assert everything(engine) == before
