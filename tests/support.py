"""Helpers for tests: signed Twilio requests and TwiML parsing."""

from __future__ import annotations

import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx
import uvicorn
from fastapi.testclient import TestClient
from starlette.types import ASGIApp
from twilio.request_validator import RequestValidator

from hotline.config import LOCAL_STANDIN_PATH, Settings
from hotline.simulator.call import CallResult, CallSimulator, DialAnswer, ScriptedKeys

TOKEN = "test-auth-token-0123456789"
ACCOUNT_SID = "AC" + "0" * 32
PUBLIC_URL = "https://hotline.example.org"
CALLER = "+13125550188"
HOTLINE = "+13125550100"
# The carrier vouches for the caller's number (STIR/SHAKEN A-level attestation).
ATTESTED = "TN-Validation-Passed-A"
SIGNER = RequestValidator(TOKEN)


def call_params(**extra: str) -> dict[str, str]:
    """The parameters Twilio sends with every voice request."""
    params = {
        "CallSid": "CA" + "f" * 32,
        "AccountSid": "AC" + "0" * 32,
        "From": CALLER,
        "To": HOTLINE,
        "Caller": CALLER,
        "Called": HOTLINE,
        "CallStatus": "in-progress",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }
    params.update(extra)
    return params


def signed_post(
    client: TestClient, url: str, params: Mapping[str, str], *, token: str = TOKEN
) -> httpx.Response:
    """POST `params` to `url` (absolute, under PUBLIC_URL) signed as Twilio signs."""
    if not url.startswith("http"):
        url = PUBLIC_URL + url
    signature = RequestValidator(token).compute_signature(url, dict(params))
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return client.post(path, data=dict(params), headers={"X-Twilio-Signature": signature})


def twiml(response: httpx.Response) -> ET.Element:
    """The parsed TwiML of a webhook response, after checking it is one."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.text)
    assert root.tag == "Response"
    return root


def says(element: ET.Element) -> list[tuple[str, str]]:
    """Every (language, text) spoken under `element`, in order."""
    return [(say.get("language", ""), say.text or "") for say in element.iter("Say")]


@contextmanager
def served(app: ASGIApp, *, lifespan: str = "off") -> Iterator[str]:
    """`app` served by uvicorn on a free loopback port, for clients that need a socket.

    With lifespan "on", the app's background work (the recorder, roster refreshes) runs.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    # Listening before uvicorn starts: early connections wait in the backlog.
    listener.listen()
    port = listener.getsockname()[1]
    config = uvicorn.Config(app, lifespan=lifespan, log_config=None, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


def place_call(
    client: httpx.Client,
    keys: list[str],
    *,
    caller: str = CALLER,
    to: str = HOTLINE,
    answer: Callable[[str], DialAnswer] | None = None,
    attestation: str | None = None,
) -> CallResult:
    """One call through the simulator, keys pressed in order ("-" presses nothing)."""
    return CallSimulator(
        client=client,
        public_url=PUBLIC_URL,
        auth_token=TOKEN,
        caller=caller,
        hotline=to,
        keys=ScriptedKeys(keys),
        out=lambda _line: None,
        answer=answer,
        attestation=attestation,
    ).run()


def as_demo(settings: Settings) -> Settings:
    """`settings` as `hotline serve --demo` has them: the local stand-in mounted."""
    demo = settings.model_copy(update={"twilio_api_url": settings.public_url + LOCAL_STANDIN_PATH})
    demo._demo = True
    return demo
