"""Volunteers through the API: the fixed contract, refusals, and who may do what."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from hotline import db
from hotline.deps import Runtime
from hotline.models import Shift, User, Volunteer
from hotline.routing.service import volunteer_phone_place
from tests.roster.conftest import Users, bearer
from tests.roster.factories import add_shift, add_volunteer, audit, everything, leaks

NUMBER = "+13125550142"
ANA = {"name": "Ana", "phone": NUMBER, "languages": ["es", "en"]}


def test_a_coordinator_adds_a_volunteer(
    http: TestClient, users: Users, engine: Engine, runtime: Runtime
) -> None:
    answer = http.post(
        "/api/v1/volunteers",
        json={"name": "Ana", "phone": "(312) 555-0142", "languages": ["es", "en"]},
        headers=users.coordinator,
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert isinstance(body["id"], int)
    assert body["name"] == "Ana"
    assert body["phone_hint"] == "+1•••42"
    assert body["languages"] == ["es", "en"]
    assert (body["role"], body["active"], body["availability"]) == ("legal_volunteer", True, "on")
    assert body["created_at"].endswith(("-05:00", "-06:00"))
    assert "phone" not in body
    assert leaks(answer.text, NUMBER) == []

    with Session(engine) as session:
        row = session.get(Volunteer, body["id"])
        assert row is not None
        assert row.phone_key == runtime.vault.fingerprint(NUMBER, purpose="volunteer")
        opened = runtime.vault.open(row.phone_sealed, place=volunteer_phone_place(row.phone_key))
        assert opened == NUMBER
        assert row.phone_hint == "+1•••42"
    [entry] = [e for e in audit(engine) if e.entity == "volunteer"][1:]
    assert (entry.user_id, entry.action, entry.entity_id) == (
        users.coordinator_id,
        "create",
        body["id"],
    )
    assert entry.fields == "name,phone,languages,role,active"

    listed = http.get("/api/v1/volunteers", headers=users.coordinator)
    assert listed.status_code == 200
    assert [v["id"] for v in listed.json()] == [users.own_id, body["id"]]
    one = http.get(f"/api/v1/volunteers/{body['id']}", headers=users.coordinator)
    assert one.json() == body


def test_role_and_active_can_be_given(http: TestClient, users: Users) -> None:
    answer = http.post(
        "/api/v1/volunteers",
        json={**ANA, "role": "attorney", "active": False, "languages": ["ES", " en "]},
        headers=users.coordinator,
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["role"], body["active"], body["languages"]) == ("attorney", False, ["es", "en"])


BAD_VOLUNTEERS: list[tuple[dict[str, Any], list[str | int]]] = [
    ({**ANA, "phone": "+1312555014"}, ["body", "phone"]),
    ({**ANA, "phone": "+15555555555"}, ["body", "phone"]),
    ({**ANA, "phone": "not a number"}, ["body", "phone"]),
    ({**ANA, "phone": ""}, ["body", "phone"]),
    ({"name": "Ana", "languages": ["es"]}, ["body", "phone"]),
    ({**ANA, "languages": ["es", "xx"]}, ["body", "languages", 1]),
    ({**ANA, "languages": ["es", "+13125550142"]}, ["body", "languages", 1]),
    ({**ANA, "languages": []}, ["body", "languages"]),
    ({**ANA, "role": "boss"}, ["body", "role"]),
    ({**ANA, "name": "   "}, ["body", "name"]),
    ({**ANA, "active": "maybe"}, ["body", "active"]),
    ({**ANA, "phone_number": NUMBER}, ["body", "(unknown field)"]),
]


def test_a_bad_volunteer_is_422_naming_the_field_and_changes_nothing(
    http: TestClient, users: Users, engine: Engine
) -> None:
    before = everything(engine)
    for payload, loc in BAD_VOLUNTEERS:
        answer = http.post("/api/v1/volunteers", json=payload, headers=users.coordinator)
        assert answer.status_code == 422, (payload, answer.text)
        problems = answer.json()["detail"]
        assert [p["loc"] for p in problems] == [loc], payload
        assert set(problems[0]) == {"loc", "msg", "type"}
        assert leaks(answer.text, NUMBER) == [], payload
    assert everything(engine) == before


def test_a_body_that_is_not_json_is_422(http: TestClient, users: Users) -> None:
    answer = http.post(
        "/api/v1/volunteers",
        content=b'{"phone": "+13125550142",',
        headers={**users.coordinator, "content-type": "application/json"},
    )
    assert answer.status_code == 422
    assert leaks(answer.text, NUMBER) == []


def test_the_same_number_twice_is_a_conflict(
    http: TestClient, users: Users, engine: Engine
) -> None:
    first = http.post("/api/v1/volunteers", json=ANA, headers=users.coordinator)
    assert first.status_code == 201
    before = everything(engine)
    again = http.post(
        "/api/v1/volunteers",
        json={**ANA, "name": "Another", "phone": "312.555.0142"},
        headers=users.coordinator,
    )
    assert again.status_code == 409
    assert again.json()["error"] == "conflict"
    # Which volunteer has it is not said: a 409 must not confirm whose number it is.
    assert again.json()["message"] == "another volunteer has this phone number"
    assert str(first.json()["id"]) not in again.text
    assert leaks(again.text, NUMBER) == []
    assert everything(engine) == before


def test_a_coordinator_changes_a_volunteer(
    http: TestClient, users: Users, engine: Engine, runtime: Runtime
) -> None:
    created = http.post("/api/v1/volunteers", json=ANA, headers=users.coordinator).json()
    answer = http.patch(
        f"/api/v1/volunteers/{created['id']}",
        json={"phone": "+1 773 555 0150", "languages": ["en"], "role": "attorney"},
        headers=users.coordinator,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["phone_hint"], body["languages"], body["role"], body["name"]) == (
        "+1•••50",
        ["en"],
        "attorney",
        "Ana",
    )
    assert leaks(answer.text, "+17735550150") == []
    with Session(engine) as session:
        row = session.get(Volunteer, created["id"])
        assert row is not None
        place = volunteer_phone_place(row.phone_key)
        assert runtime.vault.open(row.phone_sealed, place=place) == "+17735550150"
    entry = audit(engine)[-1]
    assert (entry.action, entry.entity_id, entry.fields) == (
        "update",
        created["id"],
        "phone,languages,role",
    )
    # The old number is free again.
    assert http.post("/api/v1/volunteers", json=ANA, headers=users.coordinator).status_code == 201


def test_a_change_that_is_no_change_is_not_logged(
    http: TestClient, users: Users, engine: Engine
) -> None:
    created = http.post("/api/v1/volunteers", json=ANA, headers=users.coordinator).json()
    entries = len(audit(engine))
    answer = http.patch(
        f"/api/v1/volunteers/{created['id']}",
        json={"name": "Ana", "phone": "312 555 0142"},
        headers=users.coordinator,
    )
    assert answer.status_code == 200
    assert len(audit(engine)) == entries


BAD_CHANGES: list[tuple[dict[str, Any], list[str | int] | None, int]] = [
    ({"name": None}, ["body", "name"], 422),
    ({"active": None}, ["body", "active"], 422),
    ({"phone": "12"}, ["body", "phone"], 422),
    ({"languages": ["xx"]}, ["body", "languages", 0], 422),
    ({"role": "attorney", "availability": "off"}, ["body", "(unknown field)"], 422),
    # Vera's number, from the `users` fixture.
    ({"phone": "+13125550161"}, None, 409),
]


def test_a_bad_change_is_refused_and_changes_nothing(
    http: TestClient, users: Users, engine: Engine
) -> None:
    created = http.post("/api/v1/volunteers", json=ANA, headers=users.coordinator).json()
    before = everything(engine)
    for payload, loc, status in BAD_CHANGES:
        answer = http.patch(
            f"/api/v1/volunteers/{created['id']}", json=payload, headers=users.coordinator
        )
        assert answer.status_code == status, (payload, answer.text)
        if loc is not None:
            assert [p["loc"] for p in answer.json()["detail"]] == [loc]
        assert leaks(answer.text, "+13125550161") == []
    assert everything(engine) == before


def test_deleting_a_volunteer_removes_their_shifts(
    http: TestClient, users: Users, engine: Engine, runtime: Runtime
) -> None:
    with db.transaction(engine) as session:
        volunteer = add_volunteer(session, runtime.vault)
        assert volunteer.id is not None
        add_shift(session, volunteer_id=volunteer.id)
    answer = http.delete(f"/api/v1/volunteers/{volunteer.id}", headers=users.coordinator)
    assert answer.status_code == 204
    assert answer.content == b""
    with Session(engine) as session:
        assert session.get(Volunteer, volunteer.id) is None
        assert session.exec(select(Shift).where(Shift.volunteer_id == volunteer.id)).all() == []
    entry = audit(engine)[-1]
    assert (entry.action, entry.entity, entry.entity_id, entry.fields) == (
        "delete",
        "volunteer",
        volunteer.id,
        "",
    )
    gone = http.get(f"/api/v1/volunteers/{volunteer.id}", headers=users.coordinator)
    assert gone.status_code == 404


def test_deleting_a_linked_volunteer_unlinks_their_user(
    http: TestClient, users: Users, engine: Engine
) -> None:
    answer = http.delete(f"/api/v1/volunteers/{users.own_id}", headers=users.coordinator)
    assert answer.status_code == 204
    with Session(engine) as session:
        helper = session.get(User, users.volunteer_user_id)
        assert helper is not None
        assert helper.volunteer_id is None
    # Deleting a volunteer disables their API user.
    assert http.get("/api/v1/shifts", headers=users.volunteer).status_code == 401


UNKNOWN_IDS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/v1/volunteers/999", None),
    ("PATCH", "/api/v1/volunteers/999", {"name": "X"}),
    ("DELETE", "/api/v1/volunteers/999", None),
    ("PUT", "/api/v1/volunteers/999/availability", {"status": "on"}),
    ("DELETE", "/api/v1/shifts/999", None),
    ("DELETE", "/api/v1/overrides/999", None),
    (
        "POST",
        "/api/v1/shifts",
        {
            "volunteer_id": 999,
            "starts_at": "2026-12-01T09:00:00-06:00",
            "ends_at": "2026-12-01T17:00:00-06:00",
        },
    ),
]


def test_an_unknown_id_is_404_and_changes_nothing(
    http: TestClient, users: Users, engine: Engine
) -> None:
    before = everything(engine)
    for method, path, payload in UNKNOWN_IDS:
        answer = http.request(method, path, json=payload, headers=users.coordinator)
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.json()["error"] == "not_found"
    assert everything(engine) == before


ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/v1/volunteers", None),
    ("POST", "/api/v1/volunteers", ANA),
    ("GET", "/api/v1/volunteers/1", None),
    ("PATCH", "/api/v1/volunteers/1", {"name": "X"}),
    ("DELETE", "/api/v1/volunteers/1", None),
    ("PUT", "/api/v1/volunteers/1/availability", {"status": "off"}),
    ("GET", "/api/v1/shifts", None),
    ("POST", "/api/v1/shifts", {"volunteer_id": 1}),
    ("DELETE", "/api/v1/shifts/1", None),
    ("GET", "/api/v1/overrides", None),
    ("POST", "/api/v1/overrides", {"shift_id": 1}),
    ("DELETE", "/api/v1/overrides/1", None),
    ("GET", "/api/v1/on-call?language=es", None),
    ("GET", "/api/v1/coverage", None),
    ("GET", "/api/v1/calls", None),
]


def test_every_route_needs_a_valid_token(http: TestClient, users: Users, engine: Engine) -> None:
    before = everything(engine)
    for headers in [{}, bearer("hl_not-a-token"), {"Authorization": "Basic YTpi"}, bearer("")]:
        for method, path, payload in ROUTES:
            answer = http.request(method, path, json=payload, headers=headers)
            assert answer.status_code == 401, (headers, method, path, answer.text)
            assert answer.headers["www-authenticate"] == "Bearer"
            assert answer.json()["error"] == "unauthorized"
    assert everything(engine) == before


def test_a_volunteer_may_read_only_themself(
    http: TestClient, users: Users, engine: Engine, runtime: Runtime
) -> None:
    with db.transaction(engine) as session:
        other = add_volunteer(session, runtime.vault)
    own = http.get(f"/api/v1/volunteers/{users.own_id}", headers=users.volunteer)
    assert own.status_code == 200
    assert own.json()["name"] == "Vera"
    before = everything(engine)
    forbidden = [
        ("GET", f"/api/v1/volunteers/{other.id}", None),
        ("GET", "/api/v1/volunteers/999", None),
        ("GET", "/api/v1/volunteers", None),
        ("POST", "/api/v1/volunteers", {**ANA, "phone": "+13125550170"}),
        ("PATCH", f"/api/v1/volunteers/{users.own_id}", {"name": "X"}),
        ("PATCH", f"/api/v1/volunteers/{other.id}", {"name": "X"}),
        ("DELETE", f"/api/v1/volunteers/{users.own_id}", None),
        ("PUT", f"/api/v1/volunteers/{other.id}/availability", {"status": "off"}),
        ("GET", "/api/v1/overrides", None),
        ("GET", "/api/v1/on-call?language=es", None),
        ("GET", "/api/v1/coverage", None),
        ("GET", "/api/v1/calls", None),
    ]
    for method, path, payload in forbidden:
        answer = http.request(method, path, json=payload, headers=users.volunteer)
        assert answer.status_code == 403, (method, path, answer.text)
        assert answer.json()["error"] == "forbidden"
    assert everything(engine) == before
