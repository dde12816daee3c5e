"""The voice webhooks at the HTTP edge: signatures, fallbacks, the event log."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from hotline.config import Settings
from hotline.deps import Runtime
from hotline.models import CallEvent
from hotline.privacy.pseudonym import load_keyring
from hotline.voice import flow, intents
from tests.support import PUBLIC_URL, call_params, says, signed_post, twiml

NEXT = "/twilio/voice/next"


def count_events(app: FastAPI, engine: Engine) -> int:
    runtime: Runtime = app.state.runtime
    runtime.recorder.flush()
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(CallEvent)).scalar_one()


def test_a_new_call_gets_the_language_menu(client: TestClient) -> None:
    root = twiml(signed_post(client, "/twilio/voice", call_params()))
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("numDigits") == "1"
    assert gather.get("actionOnEmptyResult") == "true"
    assert gather.get("action") == f"{PUBLIC_URL}{NEXT}?attempt=0&step=language"
    assert says(gather)[:2] == [
        ("en-US", "For English, press 1."),
        ("es-US", "Para español, oprima 2."),
    ]
    languages = [language for language, _ in says(gather)]
    assert languages == [
        "en-US", "es-US", "cmn-CN", "pl-PL", "arb", "uk-UA", "ru-RU", "fr-FR", "fr-FR"
    ]  # fmt: skip
    # Haitian Creole has no Twilio voice: without a recording, the French voice says it.
    assert says(gather)[-1] == ("fr-FR", "Pou kreyòl ayisyen, peze 9.")


@pytest.mark.parametrize(
    ("path", "signature"),
    [
        ("/twilio/voice", None),
        ("/twilio/voice", "bm90IGEgc2lnbmF0dXJl"),
        (f"{NEXT}?attempt=0&step=language", None),
        ("/twilio/voice/status", "bm90IGEgc2lnbmF0dXJl"),
        ("/twilio/sms", None),
    ],
)
def test_a_bad_signature_gets_403_and_writes_nothing(
    app: FastAPI, client: TestClient, engine: Engine, path: str, signature: str | None
) -> None:
    headers = {"X-Twilio-Signature": signature} if signature else {}
    response = client.post(path, data=call_params(Digits="1"), headers=headers)
    assert response.status_code == 403
    assert count_events(app, engine) == 0


def test_a_signature_for_another_host_is_refused(client: TestClient) -> None:
    # The Host header never decides which URL was signed: the public URL does.
    response = client.post(
        "/twilio/voice", data=call_params(), headers={"Host": "attacker.example"}
    )
    assert response.status_code == 403


def test_the_dial_uses_the_hotline_number_as_caller_id(client: TestClient) -> None:
    url = f"{NEXT}?attempt=0&lang=en&step=main"
    root = twiml(signed_post(client, url, call_params(Digits="1")))
    dial = root.find("Dial")
    assert dial is not None
    assert dial.get("callerId") == "+13125550100"
    # Nobody is on call in these tests: the backup number is the third tier.
    assert dial.get("action") == f"{PUBLIC_URL}{NEXT}?attempt=0&lang=en&step=urgent&tier=3"
    number = dial.find("Number")
    assert number is not None
    assert number.text == "+13125550111"


def test_a_state_we_do_not_understand_starts_over(client: TestClient) -> None:
    root = twiml(signed_post(client, f"{NEXT}?step=elsewhere", call_params(Digits="1")))
    assert says(root)[0] == ("en-US", "For English, press 1.")


@pytest.mark.parametrize(
    ("url", "language", "apology"),
    [
        (f"{NEXT}?attempt=0&lang=es&step=main", "es-US", "Lo sentimos, algo salió mal."),
        ("/twilio/voice", "en-US", "We are sorry, something went wrong."),
    ],
)
def test_an_unexpected_error_answers_with_the_safe_fallback(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, url: str, language: str, apology: str
) -> None:
    def broken(*_args: object) -> intents.Reply:
        raise RuntimeError("boom")

    monkeypatch.setattr(flow, "respond", broken)
    root = twiml(signed_post(client, url, call_params(Digits="1")))
    spoken = says(root)
    assert spoken[0][0] == language
    assert spoken[0][1].startswith(apology)
    dial = root.find("Dial")
    assert dial is not None
    assert dial.findtext("Number") == "+13125550111"


def test_the_status_callback_is_logged(app: FastAPI, client: TestClient, engine: Engine) -> None:
    params = call_params(CallStatus="completed", CallDuration="42")
    response = signed_post(client, "/twilio/voice/status", params)
    assert response.status_code == 204
    runtime: Runtime = app.state.runtime
    runtime.recorder.flush()
    with Session(engine) as session:
        event = session.exec(select(CallEvent)).scalar_one()
    assert (event.kind, event.detail) == ("call.status", "completed")


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {
            "catalogs": True,
            "database": True,
            "writes": True,
            "keys": True,
            "signatures": True,
            "spool": True,
        },
        "spooled": 0,
    }


def test_readiness_says_what_cannot_be_done(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    key_file = tmp_path / "keys" / "pseudonym.json"
    load_keyring(key_file, epoch_days=30, create=True)
    runtime.keyring.path = key_file  # a keyring read from a file, as in a deployment
    assert client.get("/readyz").json()["checks"]["keys"] is False  # another key
    key_file.unlink()
    assert client.get("/readyz").json()["checks"]["keys"] is False  # none at all
    runtime.keyring.path = None
    (tmp_path / "spool").rmdir()
    (tmp_path / "spool").write_text("not a folder")
    runtime.recorder.writing = False
    ready = client.get("/readyz")
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert (checks["spool"], checks["writes"]) == (False, False)


def test_a_text_from_a_stranger_gets_the_language_menu(client: TestClient) -> None:
    params = {"MessageSid": "SM" + "1" * 32, "From": "+13125550188", "To": "+13125550100"}
    root = twiml(signed_post(client, "/twilio/sms", {**params, "Body": "???"}))
    lines = [m.text for m in root.iter("Message")]
    assert lines[0] is not None
    assert lines[0].splitlines()[:2] == ["For English, reply 1.", "2 Español"]
    assert "+13125550188" not in " ".join(line or "" for line in lines)


def test_an_error_outside_the_flow_still_answers_with_fallback_twiml(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the signature check itself broke")

    runtime: Runtime = app.state.runtime
    monkeypatch.setattr(runtime.signatures, "check", unreadable)
    with TestClient(app, raise_server_exceptions=False) as client:
        root = twiml(signed_post(client, "/twilio/voice", call_params()))
    assert says(root)[0][1].startswith("We are sorry, something went wrong.")
    assert root.findtext("Dial/Number") == "+13125550111"
