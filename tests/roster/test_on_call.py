"""Who is on call, covers, availability, coverage gaps and the calls log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hotline import db
from hotline.deps import Runtime
from hotline.models import CallRecord
from tests.roster.conftest import Users
from tests.roster.factories import HOUR, add_shift, add_volunteer, audit, everything

CHICAGO = ZoneInfo("America/Chicago")


def on_call(http: TestClient, users: Users, language: str | None = None) -> list[int]:
    params = {"language": language} if language else {}
    answer = http.get("/api/v1/on-call", params=params, headers=users.coordinator)
    assert answer.status_code == 200, answer.text
    assert answer.json()["language"] == language
    return [v["id"] for v in answer.json()["volunteers"]]


def test_on_call_lists_the_speakers_of_a_language_first_language_first(
    http: TestClient, users: Users, engine: Engine, runtime: Runtime
) -> None:
    with db.transaction(engine) as session:
        people = {
            name: add_volunteer(
                session, runtime.vault, name=name, number=number, languages=codes, active=active
            )
            for name, number, codes, active in [
                ("Ana", "+13125550171", ("es", "en"), True),
                ("Bob", "+13125550172", ("en", "es"), True),
                ("Cy", "+13125550173", ("en",), True),
                ("Dee", "+13125550174", ("es",), True),
                ("Eve", "+13125550175", ("es",), False),
            ]
        }
        ids = {name: person.id or 0 for name, person in people.items()}
        for name in ("Ana", "Bob", "Cy", "Eve"):
            add_shift(session, volunteer_id=ids[name])
        # Dee's shift is tomorrow.
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        add_shift(session, volunteer_id=ids["Dee"], starts_at=tomorrow, ends_at=tomorrow + HOUR)

    assert on_call(http, users, "es") == [ids["Ana"], ids["Bob"]]
    assert on_call(http, users, "en") == [ids["Bob"], ids["Cy"], ids["Ana"]]
    assert on_call(http, users, "zh") == []
    assert on_call(http, users) == sorted([ids["Ana"], ids["Bob"], ids["Cy"]])
    answer = http.get("/api/v1/on-call?language=es", headers=users.coordinator).json()
    assert answer["volunteers"][0]["phone_hint"] == "+1•••71"
    assert datetime.fromisoformat(answer["at"]).utcoffset() == datetime.now(CHICAGO).utcoffset()

    for language in ("xx", "+13125550171", "e"):
        refused = http.get(
            "/api/v1/on-call", params={"language": language}, headers=users.coordinator
        )
        assert refused.status_code == 422
        assert [p["loc"] for p in refused.json()["detail"]] == [["query", "language"]]
        assert "5550171" not in refused.text


def test_routing_sees_a_change_once_the_request_is_answered(
    http: TestClient, users: Users, runtime: Runtime
) -> None:
    now = datetime.now(UTC)
    added = http.post(
        "/api/v1/volunteers",
        json={"name": "Ana", "phone": "+13125550171", "languages": ["es"]},
        headers=users.coordinator,
    ).json()
    assert runtime.roster.snapshot.on_call(now, "es") == []
    http.post(
        "/api/v1/shifts",
        json={
            "volunteer_id": added["id"],
            "starts_at": (now - HOUR).isoformat(),
            "ends_at": (now + HOUR).isoformat(),
        },
        headers=users.coordinator,
    )
    assert [p.id for p in runtime.roster.snapshot.on_call(now, "es")] == [added["id"]]
    http.put(
        f"/api/v1/volunteers/{added['id']}/availability",
        json={"status": "off"},
        headers=users.coordinator,
    )
    assert runtime.roster.snapshot.on_call(datetime.now(UTC), "es") == []


def test_a_cover_takes_over_a_shift_for_a_while(
    http: TestClient, users: Users, engine: Engine, runtime: Runtime
) -> None:
    now = datetime.now(UTC)
    with db.transaction(engine) as session:
        ana = add_volunteer(session, runtime.vault, name="Ana", number="+13125550171")
        cy = add_volunteer(
            session, runtime.vault, name="Cy", number="+13125550173", languages=["en"]
        )
        shift = add_shift(session, volunteer_id=ana.id)
    cover = {
        "shift_id": shift.id,
        "volunteer_id": cy.id,
        "starts_at": (now - HOUR / 2).isoformat(),
        "ends_at": (now + HOUR / 2).isoformat(),
    }
    answer = http.post("/api/v1/overrides", json=cover, headers=users.coordinator)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["shift_id"], body["volunteer_id"]) == (shift.id, cy.id)
    assert on_call(http, users) == [cy.id]
    assert on_call(http, users, "es") == []
    entry = audit(engine)[-1]
    assert (entry.action, entry.entity, entry.entity_id, entry.user_id) == (
        "create",
        "shift_override",
        body["id"],
        users.coordinator_id,
    )

    listed = http.get(f"/api/v1/overrides?shift_id={shift.id}", headers=users.coordinator)
    assert [o["id"] for o in listed.json()] == [body["id"]]
    assert http.get("/api/v1/overrides?shift_id=999", headers=users.coordinator).json() == []

    before = everything(engine)
    for fields, status, loc in [
        ({"ends_at": cover["starts_at"]}, 422, ["body", "ends_at"]),
        ({"starts_at": "2026-12-01T09:00:00"}, 422, ["body", "starts_at"]),
        ({"shift_id": 999}, 404, None),
        ({"volunteer_id": 999}, 404, None),
    ]:
        refused = http.post(
            "/api/v1/overrides", json={**cover, **fields}, headers=users.coordinator
        )
        assert refused.status_code == status, (fields, refused.text)
        if loc is not None:
            assert [p["loc"] for p in refused.json()["detail"]] == [loc]
    by_volunteer = http.post("/api/v1/overrides", json=cover, headers=users.volunteer)
    assert by_volunteer.status_code == 403
    assert everything(engine) == before

    removed = http.delete(f"/api/v1/overrides/{body['id']}", headers=users.coordinator)
    assert removed.status_code == 204
    assert on_call(http, users) == [ana.id]
    assert audit(engine)[-1].action == "delete"


def test_availability_on_off_and_breaks(
    http: TestClient, users: Users, engine: Engine, runtime: Runtime
) -> None:
    with db.transaction(engine) as session:
        add_shift(session, volunteer_id=users.own_id)
    path = f"/api/v1/volunteers/{users.own_id}/availability"
    assert on_call(http, users) == [users.own_id]

    before = datetime.now(UTC)
    answer = http.put(path, json={"status": "break", "minutes": 30}, headers=users.volunteer)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["availability"] == "break"
    until = datetime.fromisoformat(body["break_until"])
    assert until.utcoffset() == until.astimezone(CHICAGO).utcoffset()
    assert before + timedelta(minutes=30) <= until <= datetime.now(UTC) + timedelta(minutes=30)
    assert on_call(http, users) == []
    entry = audit(engine)[-1]
    assert (entry.user_id, entry.action, entry.entity_id, entry.fields) == (
        users.volunteer_user_id,
        "update",
        users.own_id,
        "availability,break_until",
    )

    back = http.put(path, json={"status": "on"}, headers=users.coordinator)
    assert (back.json()["availability"], back.json()["break_until"]) == ("on", None)
    assert on_call(http, users) == [users.own_id]
    off = http.put(path, json={"status": "off"}, headers=users.volunteer)
    assert off.json()["availability"] == "off"
    assert on_call(http, users) == []

    unchanged = everything(engine)
    for payload, loc in [
        ({"status": "break"}, ["body", "minutes"]),
        ({"status": "break", "minutes": None}, ["body", "minutes"]),
        ({"status": "break", "minutes": 0}, ["body", "minutes"]),
        ({"status": "break", "minutes": 721}, ["body", "minutes"]),
        ({"status": "on", "minutes": 10}, ["body", "minutes"]),
        ({"status": "away"}, ["body", "status"]),
        ({}, ["body", "status"]),
    ]:
        refused = http.put(path, json=payload, headers=users.volunteer)
        assert refused.status_code == 422, payload
        assert [p["loc"] for p in refused.json()["detail"]] == [loc], payload
    assert everything(engine) == unchanged


def test_coverage_shows_the_gaps_per_language(
    http: TestClient, users: Users, engine: Engine, runtime: Runtime
) -> None:
    now = datetime.now(UTC)
    with db.transaction(engine) as session:
        ana = add_volunteer(session, runtime.vault, name="Ana", number="+13125550171")
        shift = add_shift(
            session, volunteer_id=ana.id, starts_at=now - HOUR, ends_at=now + 2 * HOUR
        )
        # Inactive volunteers cover nothing.
        eve = add_volunteer(
            session,
            runtime.vault,
            name="Eve",
            number="+13125550175",
            languages=["zh"],
            active=False,
        )
        add_shift(session, volunteer_id=eve.id)

    answer = http.get("/api/v1/coverage?days=1&language=es", headers=users.coordinator)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["days"] == 1
    [spanish] = body["languages"]
    assert spanish["language"] == "es"
    [gap] = spanish["gaps"]
    assert gap["start"] == shift.ends_at.astimezone(CHICAGO).isoformat()
    assert gap["end"] == body["end"]
    assert datetime.fromisoformat(gap["end"]).utcoffset() == datetime.now(CHICAGO).utcoffset()
    assert 21.9 < gap["hours"] <= 22.0
    assert spanish["uncovered_hours"] == gap["hours"]

    everyone = http.get("/api/v1/coverage", headers=users.coordinator).json()
    assert everyone["days"] == 7
    by_language = {c["language"]: c for c in everyone["languages"]}
    assert sorted(by_language) == sorted(runtime.catalogs.languages)
    assert 165.9 < by_language["en"]["uncovered_hours"] <= 166.0
    assert by_language["zh"]["uncovered_hours"] == 168.0
    assert len(by_language["zh"]["gaps"]) == 1

    for query, loc in [
        ("days=0", ["query", "days"]),
        ("days=29", ["query", "days"]),
        ("language=xx", ["query", "language"]),
    ]:
        refused = http.get(f"/api/v1/coverage?{query}", headers=users.coordinator)
        assert refused.status_code == 422, query
        assert [p["loc"] for p in refused.json()["detail"]] == [loc]


def test_the_calls_log_is_newest_first_with_the_waits(
    http: TestClient, users: Users, engine: Engine
) -> None:
    start = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    with db.transaction(engine) as session:
        for n, (ring, answer, outcome) in enumerate(
            [(8, 20, "answered"), (5, None, "unanswered"), (None, None, "open")]
        ):
            started = start + timedelta(hours=n)
            urgent = started + timedelta(seconds=30)
            session.add(
                CallRecord(
                    call_ref=f"ref{n}",
                    language="es",
                    started_at=started,
                    urgent_at=urgent,
                    first_ring_at=urgent + timedelta(seconds=ring) if ring else None,
                    answered_at=urgent + timedelta(seconds=answer) if answer else None,
                    tier_reached=1,
                    outcome=outcome,
                    accepted_by=None,
                )
            )
    answer = http.get("/api/v1/calls?limit=2", headers=users.coordinator)
    assert answer.status_code == 200, answer.text
    calls = answer.json()
    assert [c["call_ref"] for c in calls] == ["ref2", "ref1"]
    assert (calls[1]["seconds_to_first_ring"], calls[1]["seconds_to_answer"]) == (5.0, None)
    assert calls[1]["started_at"] == "2026-11-20T13:00:00-06:00"
    everything_ = http.get("/api/v1/calls", headers=users.coordinator).json()
    assert [c["call_ref"] for c in everything_] == ["ref2", "ref1", "ref0"]
    assert (everything_[2]["seconds_to_first_ring"], everything_[2]["seconds_to_answer"]) == (
        8.0,
        20.0,
    )
    assert set(everything_[2]) == {
        "call_ref",
        "language",
        "started_at",
        "urgent_at",
        "first_ring_at",
        "answered_at",
        "tier_reached",
        "outcome",
        "accepted_by",
        "seconds_to_first_ring",
        "seconds_to_answer",
    }
    for limit in (0, 501, "all"):
        refused = http.get(f"/api/v1/calls?limit={limit}", headers=users.coordinator)
        assert [p["loc"] for p in refused.json()["detail"]] == [["query", "limit"]]
