"""The rapid-response API: zones, responders' zones, reports, incidents, subscriptions, alerts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hotline import db
from hotline.deps import Runtime
from hotline.rapid import subscriptions
from tests.roster.conftest import Users
from tests.roster.factories import audit, everything, leaks

PILSEN = {"name": "Pilsen", "zips": ["60608"]}
CALLER = "+17735550150"


def zone(http: TestClient, users: Users, body: dict[str, Any]) -> dict[str, Any]:
    answer = http.post("/api/v1/zones", json=body, headers=users.coordinator)
    assert answer.status_code == 201, answer.text
    found: dict[str, Any] = answer.json()
    return found


def test_a_coordinator_makes_zones_with_neighbours(
    http: TestClient, users: Users, engine: Engine
) -> None:
    pilsen = zone(http, users, PILSEN)
    assert (pilsen["name"], pilsen["zips"], pilsen["neighbours"]) == ("Pilsen", ["60608"], [])
    village = zone(http, users, {"name": "Little Village", "zips": ["60623", "60632"],
                                 "neighbours": ["pilsen"]})  # fmt: skip
    assert village["neighbours"] == ["Pilsen"]
    again = http.get(f"/api/v1/zones/{pilsen['id']}", headers=users.coordinator).json()
    assert again["neighbours"] == ["Little Village"]
    listed = http.get("/api/v1/zones", headers=users.coordinator).json()
    assert [z["name"] for z in listed] == ["Little Village", "Pilsen"]
    changed = http.patch(
        f"/api/v1/zones/{village['id']}",
        json={"zips": ["60623"], "neighbours": []},
        headers=users.coordinator,
    ).json()
    assert (changed["zips"], changed["neighbours"]) == (["60623"], [])
    assert [(e.action, e.entity, e.fields) for e in audit(engine) if e.entity == "zone"] == [
        ("create", "zone", "name,zips,neighbours"),
        ("create", "zone", "name,zips,neighbours"),
        ("update", "zone", "zips,neighbours"),
    ]
    assert (
        http.delete(f"/api/v1/zones/{pilsen['id']}", headers=users.coordinator).status_code == 204
    )
    assert http.get(f"/api/v1/zones/{pilsen['id']}", headers=users.coordinator).status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "loc"),
    [
        ({"name": "Pilsen", "zips": ["60609"]}, 409, None),
        ({"name": "Bridgeport", "zips": ["60608"]}, 409, None),
        ({"name": "Bridgeport", "zips": ["6060"]}, 422, ["body", "zips", 0]),
        ({"name": "Bridgeport", "zips": ["+17735550150"]}, 422, ["body", "zips", 0]),
        ({"name": "Bridgeport", "zips": []}, 422, ["body", "zips"]),
        ({"name": "Bridgeport", "zips": ["60616"], "neighbours": ["Nowhere"]}, 422,
         ["body", "neighbours", 0]),
    ],
)  # fmt: skip
def test_a_bad_zone_is_refused_changes_nothing_and_echoes_nothing(
    http: TestClient, users: Users, engine: Engine, body: dict[str, Any], status: int,
    loc: list[object] | None,
) -> None:  # fmt: skip
    zone(http, users, PILSEN)
    before = everything(engine)
    answer = http.post("/api/v1/zones", json=body, headers=users.coordinator)
    assert answer.status_code == status, answer.text
    if loc is not None:
        assert answer.json()["detail"][0]["loc"] == loc
    assert leaks(answer.text, CALLER) == []
    assert everything(engine) == before


def test_only_coordinators_touch_zones_incidents_subscriptions_and_alerts(
    http: TestClient, users: Users
) -> None:
    for method, path in [
        ("post", "/api/v1/zones"),
        ("get", "/api/v1/zones"),
        ("get", "/api/v1/incidents"),
        ("get", "/api/v1/subscriptions"),
        ("get", "/api/v1/alerts"),
        ("post", "/api/v1/alerts/1/approve"),
        ("patch", "/api/v1/incidents/1"),
    ]:
        body = {"json": PILSEN} if method in ("post", "patch") else {}
        refused = getattr(http, method)(path, headers=users.volunteer, **body)
        assert refused.status_code == 403, (method, path)
        assert getattr(http, method)(path, **body).status_code == 401


def test_volunteers_take_zones_and_the_roster_knows_them(
    http: TestClient, users: Users, engine: Engine, runtime: Runtime
) -> None:
    pilsen = zone(http, users, PILSEN)
    made = http.post(
        "/api/v1/volunteers",
        json={"name": "Ana", "phone": "+13125550142", "languages": ["es"], "zones": ["Pilsen"]},
        headers=users.coordinator,
    ).json()
    assert made["zones"] == ["Pilsen"]
    assert [e.fields for e in audit(engine) if e.entity == "volunteer"][-1].endswith(",zones")
    runtime.roster.refresh()
    assert runtime.roster.snapshot.people[made["id"]].zones == (pilsen["id"],)
    bad = http.patch(
        f"/api/v1/volunteers/{made['id']}", json={"zones": ["Nowhere"]}, headers=users.coordinator
    )
    assert (bad.status_code, bad.json()["detail"][0]["loc"]) == (422, ["body", "zones", 0])
    cleared = http.patch(
        f"/api/v1/volunteers/{made['id']}", json={"zones": []}, headers=users.coordinator
    )
    assert cleared.json()["zones"] == []
    assert (
        http.get(f"/api/v1/zones/{pilsen['id']}", headers=users.coordinator).json()["responders"]
        == []
    )


def test_a_volunteer_enters_a_report_a_caller_gave_them_by_phone(
    http: TestClient, users: Users, engine: Engine
) -> None:
    zone(http, users, PILSEN)
    taken = http.post(
        "/api/v1/reports",
        json={"kind": "taken", "zip": "60608", "place": "18th & Blue Island", "language": "es",
              "caller_phone": "(773) 555-0150"},
        headers=users.volunteer,
    )  # fmt: skip
    assert taken.status_code == 201, taken.text
    incident_id = taken.json()["incident_id"]
    assert taken.json()["new_incident"] is True
    assert [e.fields for e in audit(engine) if e.entity == "report"] == [
        "kind,zip,zone,place,ongoing,language,caller_phone"
    ]
    listed = http.get("/api/v1/incidents?open=true", headers=users.coordinator).json()
    assert listed == [
        {"id": incident_id, "zone": "Pilsen", "kind": "taken", "status": "reported",
         "reports": 1, "opened_at": listed[0]["opened_at"]}
    ]  # fmt: skip
    detail = http.get(f"/api/v1/incidents/{incident_id}", headers=users.coordinator)
    body = detail.json()
    assert body["report_list"][0]["place"] == "18th & Blue Island"
    assert body["report_list"][0]["channel"] == "api"
    assert body["history"][0]["step"] == "reported"
    assert leaks(detail.text, CALLER) == []
    assert (
        http.get("/api/v1/incidents?zone=Pilsen&kind=home", headers=users.coordinator).json() == []
    )


def test_a_coordinator_closes_an_incident_by_hand_and_it_is_audited(
    http: TestClient, users: Users, engine: Engine
) -> None:
    zone(http, users, PILSEN)
    created = http.post(
        "/api/v1/reports", json={"kind": "home", "zip": "60608"}, headers=users.coordinator
    ).json()
    path = f"/api/v1/incidents/{created['incident_id']}"
    reopened = http.patch(path, json={"status": "dispatched"}, headers=users.coordinator)
    assert (reopened.status_code, reopened.json()["detail"][0]["loc"]) == (422, ["body", "status"])
    closed = http.patch(path, json={"status": "not-enforcement"}, headers=users.coordinator)
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "not-enforcement"
    assert closed.json()["history"][-1]["step"] == "status"
    assert closed.json()["history"][-1]["user_id"] == users.coordinator_id
    assert [e.fields for e in audit(engine) if e.entity == "incident"] == ["status"]


def test_an_incident_without_a_zone_is_given_one_and_calls_it_out(
    http: TestClient, users: Users
) -> None:
    zone(http, users, PILSEN)
    created = http.post(
        "/api/v1/reports", json={"kind": "street", "place": "18th and Halsted"},
        headers=users.coordinator,
    ).json()  # fmt: skip
    path = f"/api/v1/incidents/{created['incident_id']}"
    placed = http.patch(path, json={"zone": "Pilsen"}, headers=users.coordinator).json()
    assert placed["zone"] == "Pilsen"
    assert "zone-set" in [step["step"] for step in placed["history"]]
    again = http.patch(path, json={"zone": "Pilsen"}, headers=users.coordinator)
    assert again.status_code == 409


def test_subscriptions_are_counts_by_zone_and_language_only(
    http: TestClient, users: Users, runtime: Runtime
) -> None:
    zone(http, users, PILSEN)
    with db.transaction(runtime.engine) as session:
        for number, lang, zips in [
            ("+17735550150", "es", ["60608"]),
            ("+17735550151", "es", ["60608", "60999"]),
            ("+17735550152", "zh", ["60999"]),
        ]:
            request = subscriptions.Subscription(number, zips, lang, line="+13125550100")
            subscriptions.subscribe(
                session, rapid=runtime.rapid, request=request, now=datetime.now(UTC)
            )
    answer = http.get("/api/v1/subscriptions", headers=users.coordinator)
    assert answer.json() == {
        "total": 3,
        "by_zone": [{"zone": "Pilsen", "subscribers": 2}],
        "by_language": [{"language": "es", "subscribers": 2}, {"language": "zh", "subscribers": 1}],
        "uncovered_zips": 1,
    }
    assert leaks(answer.text, CALLER) == []


def test_the_openapi_document_describes_the_rapid_response_api(http: TestClient) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    for path in [
        "/api/v1/zones", "/api/v1/zones/{zone_id}", "/api/v1/reports", "/api/v1/incidents",
        "/api/v1/incidents/{incident_id}", "/api/v1/subscriptions", "/api/v1/alerts",
        "/api/v1/alerts/{alert_id}/approve",
    ]:  # fmt: skip
        assert path in paths


def test_a_coordinator_approves_an_alert_when_approval_is_required(
    http: TestClient, users: Users, runtime: Runtime, engine: Engine
) -> None:
    settings = replace(runtime.rapid.settings, approval=True)
    object.__setattr__(runtime, "rapid", replace(runtime.rapid, settings=settings))
    zone(http, users, PILSEN)
    created = http.post(
        "/api/v1/reports", json={"kind": "home", "zip": "60608"}, headers=users.coordinator
    ).json()
    http.patch(
        f"/api/v1/incidents/{created['incident_id']}",
        json={"status": "confirmed"},
        headers=users.coordinator,
    )
    [waiting] = http.get(
        "/api/v1/alerts?status=awaiting-approval", headers=users.coordinator
    ).json()
    assert (waiting["kind"], waiting["zone"], waiting["recipients"]) == ("confirmed", "Pilsen", 0)
    path = f"/api/v1/alerts/{waiting['id']}/approve"
    approved = http.post(path, headers=users.coordinator)
    assert approved.status_code == 200, approved.text
    assert approved.json()["approved_by"] == users.coordinator_id
    assert http.post(path, headers=users.coordinator).status_code == 409
    assert [e.fields for e in audit(engine) if e.entity == "alert"] == ["status"]
    assert http.post("/api/v1/alerts/999/approve", headers=users.coordinator).status_code == 404
