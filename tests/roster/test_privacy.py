"""No volunteer number in any answer, table row, audit entry or log line; the API described."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hotline.deps import Runtime
from tests.roster.conftest import Users
from tests.roster.factories import audit, everything, leaks

CANARY = "+17735550199"
OTHER = "+13125550198"


def test_no_answer_row_audit_entry_or_log_holds_a_volunteer_number(
    http: TestClient,
    users: Users,
    engine: Engine,
    runtime: Runtime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    headers = users.coordinator
    answers = []
    created = http.post(
        "/api/v1/volunteers",
        json={"name": "Ana", "phone": "773 555 0199", "languages": ["es"]},
        headers=headers,
    )
    answers.append(created)
    volunteer = created.json()["id"]
    for payload in [
        {"name": "Ana", "phone": CANARY, "languages": ["es"]},  # 409
        {"name": "Ana", "phone": CANARY, "languages": ["xx"]},
        {"name": "Ana", "phone": CANARY, "languages": "es"},
        {"name": "Ana", "phone": CANARY + "9", "languages": ["es"]},
        {"name": "Ana", "phone": CANARY, "languages": ["es"], "role": "boss"},
        {"name": "Ana", "phone": [CANARY], "languages": ["es"]},
        {"name": CANARY * 20, "phone": CANARY, "languages": ["es"]},
        {"name": "Ana", "phone": CANARY, "languages": [CANARY]},
        {"name": "Ana", "phone": CANARY, "languages": ["es"], CANARY: CANARY},
    ]:
        answers.append(http.post("/api/v1/volunteers", json=payload, headers=headers))
    answers.append(
        http.post("/api/v1/volunteers", content=f'{{"phone": "{CANARY}"', headers=headers)
    )
    for payload in [{"phone": OTHER}, {"phone": CANARY}, {"phone": CANARY + "0"}]:
        answers.append(http.patch(f"/api/v1/volunteers/{volunteer}", json=payload, headers=headers))
    answers.append(
        http.patch(f"/api/v1/volunteers/{volunteer}", json={"phone": CANARY}, headers=headers)
    )
    answers.append(http.get("/api/v1/volunteers", headers=headers))
    answers.append(http.get(f"/api/v1/on-call?language={CANARY}", headers=headers))
    answers.append(http.get("/api/v1/shifts", params={"from": CANARY}, headers=headers))
    answers.append(http.get("/api/v1/volunteers", headers={"Authorization": f"Bearer {CANARY}"}))

    assert {a.status_code for a in answers} == {200, 201, 401, 409, 422}
    for answer in answers:
        assert leaks(answer.text, CANARY) == [], answer.text
        assert leaks(answer.text, OTHER) == [], answer.text
    dumped = repr(everything(engine))
    assert leaks(dumped, CANARY) == []
    assert leaks(dumped, OTHER) == []
    assert "phone" in {field for entry in audit(engine) for field in entry.fields.split(",")}
    # The test's own HTTP client logs the URLs it requests; the service must log nothing.
    service_logs = "\n".join(
        record.getMessage() for record in caplog.records if not record.name.startswith("httpx")
    )
    assert leaks(service_logs, CANARY) == []


def test_the_openapi_document_describes_the_roster_api(http: TestClient) -> None:
    document = http.get("/openapi.json").json()
    paths = document["paths"]
    expected = {
        "/api/v1/volunteers": {"get", "post"},
        "/api/v1/volunteers/{volunteer_id}": {"get", "patch", "delete"},
        "/api/v1/volunteers/{volunteer_id}/availability": {"put"},
        "/api/v1/shifts": {"get", "post"},
        "/api/v1/shifts/{shift_id}": {"delete"},
        "/api/v1/overrides": {"get", "post"},
        "/api/v1/overrides/{override_id}": {"delete"},
        "/api/v1/on-call": {"get"},
        "/api/v1/coverage": {"get"},
        "/api/v1/calls": {"get"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) == methods, path
        for operation in paths[path].values():
            assert operation["tags"], path
            assert operation["security"] == [{"HTTPBearer": []}], path
            assert "401" in operation["responses"], path
    create = paths["/api/v1/volunteers"]["post"]
    assert create["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/VolunteerPublic"
    }
    assert create["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ValidationProblem"
    }
    assert "409" in create["responses"]
    schemas = document["components"]["schemas"]
    assert "phone" not in schemas["VolunteerPublic"]["properties"]
    assert set(schemas["FieldProblem"]["properties"]) == {"loc", "msg", "type"}
