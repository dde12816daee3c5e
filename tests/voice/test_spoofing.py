"""A caller-ID spoofer learns nothing: what a caller hears depends on what is held under
their number only when the carrier vouches for the number (STIR/SHAKEN attestation A)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from hotline.deps import Runtime
from hotline.models import CallerPreference, CallEvent
from tests.support import ATTESTED, HOTLINE, call_params, place_call, signed_post

KNOWN = "+13125550161"
STRANGER = "+13125550162"
WITHHELD = ("anonymous", "restricted", "unavailable", "Unknown", "+266696687", "")


def runtime_of(app: FastAPI) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


def first_answer(client: TestClient, caller: str, **extra: str) -> str:
    params = call_params(From=caller, Caller=caller, CallSid="CA" + "a" * 32, **extra)
    answer = signed_post(client, "/twilio/voice", params)
    assert answer.status_code == 200
    return answer.text


def test_an_unvouched_number_that_called_before_hears_what_a_stranger_hears(
    app: FastAPI, engine: Engine
) -> None:
    with TestClient(app) as client:
        place_call(client, ["7", "0"], caller=KNOWN, attestation=ATTESTED)  # Russian, vouched
        runtime_of(app).recorder.flush()
        stranger = first_answer(client, STRANGER)
        for verdict in (
            None,
            "TN-Validation-Passed-B",
            "TN-Validation-Passed-C",
            "No-TN-Validation",
        ):
            extra = {"StirVerstat": verdict} if verdict else {}
            assert first_answer(client, KNOWN, **extra) == stranger
        # The carrier vouches: the caller skips the menu, in Russian.
        assert "ru-RU" in first_answer(client, KNOWN, StirVerstat=ATTESTED)


def test_a_spoofed_call_cannot_set_the_number_owners_language(app: FastAPI, engine: Engine) -> None:
    with TestClient(app) as client:
        place_call(client, ["4", "0"], caller=KNOWN)  # Polish, not vouched for
        runtime_of(app).recorder.flush()
    with Session(engine) as session:
        assert session.exec(select(CallerPreference)).all() == []


@pytest.mark.parametrize("withheld", WITHHELD)
def test_a_withheld_number_gets_no_pseudonym_memory_or_link(
    app: FastAPI, engine: Engine, withheld: str
) -> None:
    with TestClient(app) as client:
        place_call(client, ["2", "0"], caller=withheld, attestation=ATTESTED)
        place_call(client, ["3", "0"], caller=withheld, attestation=ATTESTED)
        runtime_of(app).recorder.flush()
    with Session(engine) as session:
        events = session.exec(select(CallEvent)).all()
        assert len({event.call_ref for event in events}) == 2
        assert (
            session.exec(select(CallEvent).where(col(CallEvent.caller_key).is_not(None))).all()
            == []
        )
        assert session.exec(select(CallerPreference)).all() == []


def test_a_line_bound_to_a_language_skips_the_menu_without_any_attestation(
    app: FastAPI,
) -> None:
    runtime = runtime_of(app)
    runtime.settings.line_languages[HOTLINE] = "es"
    try:
        with TestClient(app) as client:
            assert "es-US" in first_answer(client, STRANGER)
    finally:
        runtime.settings.line_languages.pop(HOTLINE)
