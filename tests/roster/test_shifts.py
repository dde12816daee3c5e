"""Shifts through the API: times with offsets, weekly repeats, filters, and ownership."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from hotline import db
from hotline.db import aware
from hotline.deps import Runtime
from hotline.models import Shift
from tests.roster.conftest import Users
from tests.roster.factories import add_shift, add_volunteer, audit, everything

NINE = "2026-12-01T09:00:00-06:00"
FIVE = "2026-12-01T17:00:00-06:00"


def shift(volunteer_id: int, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"volunteer_id": volunteer_id, "starts_at": NINE, "ends_at": FIVE, **(fields or {})}


def test_a_coordinator_adds_a_shift(http: TestClient, users: Users, engine: Engine) -> None:
    answer = http.post("/api/v1/shifts", json=shift(users.own_id), headers=users.coordinator)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["volunteer_id"] == users.own_id
    assert (body["starts_at"], body["ends_at"]) == (NINE, FIVE)
    assert (body["weekly"], body["repeat_until"]) == (False, None)
    with Session(engine) as session:
        row = session.get(Shift, body["id"])
        assert row is not None
        assert aware(row.starts_at) == datetime(2026, 12, 1, 15, tzinfo=UTC)
    entry = audit(engine)[-1]
    assert (entry.user_id, entry.action, entry.entity, entry.entity_id) == (
        users.coordinator_id,
        "create",
        "shift",
        body["id"],
    )
    assert entry.fields == "volunteer_id,starts_at,ends_at,weekly,repeat_until"


def test_a_weekly_shift_may_end_its_repeats(http: TestClient, users: Users) -> None:
    answer = http.post(
        "/api/v1/shifts",
        json={
            "volunteer_id": users.own_id,
            "starts_at": "2026-12-01T15:00:00Z",
            "ends_at": "2026-12-01T23:00:00+00:00",
            "weekly": True,
            "repeat_until": "2027-03-01T00:00:00-06:00",
        },
        headers=users.coordinator,
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    # Answers are on the hotline's clock, with the offset.
    assert (body["starts_at"], body["ends_at"]) == (NINE, FIVE)
    assert (body["weekly"], body["repeat_until"]) == (True, "2027-03-01T00:00:00-06:00")


BAD_SHIFTS: list[tuple[dict[str, Any], list[str | int]]] = [
    ({"starts_at": "2026-12-01T09:00:00"}, ["body", "starts_at"]),
    ({"ends_at": "2026-12-01T17:00:00"}, ["body", "ends_at"]),
    ({"starts_at": "next tuesday"}, ["body", "starts_at"]),
    ({"starts_at": 1796126400}, ["body", "starts_at"]),
    ({"starts_at": "1796126400"}, ["body", "starts_at"]),
    ({"starts_at": "2026-12-01"}, ["body", "starts_at"]),
    ({"ends_at": "2026-12-01T08:00:00-06:00"}, ["body", "ends_at"]),
    ({"ends_at": NINE}, ["body", "ends_at"]),
    ({"repeat_until": "2027-01-01T00:00:00-06:00"}, ["body", "repeat_until"]),
    ({"weekly": True, "repeat_until": "2026-11-01T00:00:00-06:00"}, ["body", "repeat_until"]),
    ({"weekly": True, "repeat_until": "2027-01-01T00:00:00"}, ["body", "repeat_until"]),
    ({"weekly": True, "ends_at": "2026-12-09T09:00:00-06:00"}, ["body", "ends_at"]),
    ({"volunteer_id": "Vera"}, ["body", "volunteer_id"]),
    ({"volunteer_id": 0}, ["body", "volunteer_id"]),
    ({"every": "week"}, ["body", "(unknown field)"]),
]


def test_a_bad_shift_is_422_naming_the_field_and_changes_nothing(
    http: TestClient, users: Users, engine: Engine
) -> None:
    before = everything(engine)
    for fields, loc in BAD_SHIFTS:
        answer = http.post(
            "/api/v1/shifts", json=shift(users.own_id, fields), headers=users.coordinator
        )
        assert answer.status_code == 422, (fields, answer.text)
        assert [p["loc"] for p in answer.json()["detail"]] == [loc], fields
    missing = http.post(
        "/api/v1/shifts", json={"volunteer_id": users.own_id}, headers=users.coordinator
    )
    assert sorted(p["loc"][1] for p in missing.json()["detail"]) == ["ends_at", "starts_at"]
    assert everything(engine) == before


def test_shifts_are_listed_by_volunteer_and_by_time(
    http: TestClient, users: Users, engine: Engine, runtime: Runtime
) -> None:
    now = datetime.now(UTC)
    week, hour = timedelta(days=7), timedelta(hours=1)
    with db.transaction(engine) as session:
        other = add_volunteer(session, runtime.vault)
        assert other.id is not None
        rows = {
            "past": add_shift(
                session,
                volunteer_id=users.own_id,
                starts_at=now - 4 * week,
                ends_at=now - 4 * week + hour,
            ),
            "soon": add_shift(
                session, volunteer_id=users.own_id, starts_at=now + hour, ends_at=now + 2 * hour
            ),
            # Began three weeks ago, and is on again three hours from now.
            "weekly": add_shift(
                session,
                volunteer_id=users.own_id,
                starts_at=now - 3 * week + 3 * hour,
                ends_at=now - 3 * week + 4 * hour,
                weekly=True,
            ),
            "theirs": add_shift(session, volunteer_id=other.id),
        }
    names = {row.id: name for name, row in rows.items()}

    def listed(**params: str | int) -> list[str]:
        answer = http.get("/api/v1/shifts", params=params, headers=users.coordinator)
        assert answer.status_code == 200, answer.text
        return sorted(names[s["id"]] for s in answer.json())

    assert listed() == ["past", "soon", "theirs", "weekly"]
    assert listed(volunteer_id=other.id) == ["theirs"]
    window = {"from": now.isoformat(), "to": (now + 6 * hour).isoformat()}
    assert listed(**window) == ["soon", "theirs", "weekly"]
    assert listed(**window, volunteer_id=users.own_id) == ["soon", "weekly"]
    assert listed(**{"from": (now + 3 * hour).isoformat()}) == ["weekly"]
    assert listed(to=(now - week).isoformat()) == ["past", "weekly"]

    for params, loc in [
        ({"from": "2026-12-01T09:00:00"}, ["query", "from"]),
        ({"from": "1796126400"}, ["query", "from"]),
        ({"from": FIVE, "to": NINE}, ["query", "to"]),
        ({"volunteer_id": "me"}, ["query", "volunteer_id"]),
    ]:
        answer = http.get("/api/v1/shifts", params=params, headers=users.coordinator)
        assert answer.status_code == 422, params
        assert [p["loc"] for p in answer.json()["detail"]] == [loc]


def test_a_coordinator_removes_a_shift(
    http: TestClient, users: Users, engine: Engine, runtime: Runtime
) -> None:
    with db.transaction(engine) as session:
        row = add_shift(session, volunteer_id=users.own_id)
    answer = http.delete(f"/api/v1/shifts/{row.id}", headers=users.coordinator)
    assert answer.status_code == 204
    with Session(engine) as session:
        assert session.get(Shift, row.id) is None
    entry = audit(engine)[-1]
    assert (entry.action, entry.entity, entry.entity_id) == ("delete", "shift", row.id)
    assert http.delete(f"/api/v1/shifts/{row.id}", headers=users.coordinator).status_code == 404


def test_a_volunteer_keeps_their_own_shifts_only(
    http: TestClient, users: Users, engine: Engine, runtime: Runtime
) -> None:
    with db.transaction(engine) as session:
        other = add_volunteer(session, runtime.vault)
        assert other.id is not None
        theirs = add_shift(session, volunteer_id=other.id)

    mine = http.post("/api/v1/shifts", json=shift(users.own_id), headers=users.volunteer)
    assert mine.status_code == 201, mine.text
    assert audit(engine)[-1].user_id == users.volunteer_user_id
    listed = http.get("/api/v1/shifts", headers=users.volunteer)
    assert [s["id"] for s in listed.json()] == [mine.json()["id"]]
    own_filter = http.get(
        "/api/v1/shifts", params={"volunteer_id": users.own_id}, headers=users.volunteer
    )
    assert [s["id"] for s in own_filter.json()] == [mine.json()["id"]]

    before = everything(engine)
    for method, path, payload in [
        ("POST", "/api/v1/shifts", shift(other.id)),
        ("POST", "/api/v1/shifts", shift(999)),
        ("GET", f"/api/v1/shifts?volunteer_id={other.id}", None),
        ("DELETE", f"/api/v1/shifts/{theirs.id}", None),
    ]:
        answer = http.request(method, path, json=payload, headers=users.volunteer)
        assert answer.status_code == 403, (method, path, answer.text)
    assert everything(engine) == before

    gone = http.delete(f"/api/v1/shifts/{mine.json()['id']}", headers=users.volunteer)
    assert gone.status_code == 204
