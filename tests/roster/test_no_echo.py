"""No 4xx answer of the API repeats what was submitted: a value can be a phone number or
a name typed into the wrong field. Canary values go into every field (and as unknown
fields) of every /api/v1 operation, in the body, the query and the path."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.roster.conftest import Users

# Shapes a careless message would repeat: a word, a number, a language-like code.
CANARIES = ("zqcanary", "3125550199", "qx")


def _operations(api: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, item in api.openapi()["paths"].items():
        if path.startswith("/api/v1"):
            found += [(method.upper(), path, op) for method, op in item.items()]
    return found


def _body_fields(api: FastAPI, operation: dict[str, Any]) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return []
    ref = content["schema"].get("$ref", "")
    schema = api.openapi()["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else {}
    return list(schema.get("properties", {}))


def _requests(api: FastAPI, canary: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Each operation, with `canary` in one place at a time (and everywhere at once)."""
    requests = []
    for method, path, op in _operations(api):
        params = [p for p in op.get("parameters", []) if p["in"] in ("path", "query")]
        url = path
        for param in params:
            if param["in"] == "path":
                url = url.replace("{" + param["name"] + "}", canary)
        query = {p["name"]: canary for p in params if p["in"] == "query"}
        fields = _body_fields(api, op)
        bodies: list[dict[str, Any] | None] = [None] if not fields else []
        bodies += [{field: canary} for field in fields]
        bodies += [{field: canary for field in fields} | {canary: canary}] if fields else []
        for body in bodies:
            requests.append((method, url, {"params": query, "json": body}))
    return requests


@pytest.mark.parametrize("canary", CANARIES)
def test_no_4xx_answer_repeats_a_submitted_value(
    api: FastAPI, http: TestClient, users: Users, canary: str
) -> None:
    requests = _requests(api, canary)
    assert len(requests) > 20, "every operation must have been tried"
    refused = 0
    for method, url, kwargs in requests:
        for headers in (users.coordinator, users.volunteer):
            answer = http.request(method, url, headers=headers, **kwargs)
            if 400 <= answer.status_code < 500:
                refused += 1
                assert canary not in answer.text, (method, url, kwargs, answer.text)
    assert refused > len(requests), "the canaries must have been refused somewhere"


def test_an_enabled_language_check_does_not_quote_the_code(http: TestClient, users: Users) -> None:
    answer = http.post(
        "/api/v1/volunteers",
        json={"name": "Ana", "phone": "+13125550142", "languages": ["es", "qx"]},
        headers=users.coordinator,
    )
    assert answer.status_code == 422
    assert "qx" not in answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", "languages", 1]
