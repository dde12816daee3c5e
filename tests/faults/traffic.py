"""Callers and texters, as Twilio brings them to a service process: every request signed
for the public URL, sent to the process's loopback port, and its answer kept."""

from __future__ import annotations

import itertools
import secrets
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
from twilio.request_validator import RequestValidator

from hotline.simulator.call import (
    CallerHungUp,
    CallResult,
    CallSimulator,
    DialAnswer,
    SimulationError,
)

PUBLIC_URL = "https://hotline.coalition.net"
ACCOUNT_SID = "AC" + "a1" * 16
TOKEN = "f0" * 16
HOTLINE = "+13125550100"
BACKUP = "+13125551234"
# The carrier vouches for the caller's number, so their language is remembered.
ATTESTED = "TN-Validation-Passed-A"
_numbers = itertools.count(2000)
_numbers_lock = threading.Lock()


def fresh_number() -> str:
    """A caller's number no other caller in this test run has."""
    with _numbers_lock:
        return f"+1312555{next(_numbers):04d}"


def message_sid() -> str:
    return "SM" + secrets.token_hex(16)


@dataclass(frozen=True)
class Answer:
    """One webhook and how it was answered: status 0 when nothing answered at all."""

    path: str
    status: int
    seconds: float
    valid: bool


class Keys:
    """Keys pressed one per prompt, then the caller hangs up."""

    def __init__(self, keys: list[str]) -> None:
        self._keys = list(keys)

    def eager(self) -> bool:
        return bool(self._keys)

    def next_key(self, prompt_hint: str, digits: int = 0) -> str | None:
        if not self._keys:
            raise CallerHungUp
        return self._keys.pop(0)


class Phone:
    """Twilio, as far as one service process sees it."""

    def __init__(self, base_url: str) -> None:
        self.answers: list[Answer] = []
        self._lock = threading.Lock()
        self._signer = RequestValidator(TOKEN)
        self.client = httpx.Client(
            base_url=base_url,
            timeout=15,
            event_hooks={"request": [self._started], "response": [self._answered]},
        )

    def close(self) -> None:
        self.client.close()

    @staticmethod
    def _started(request: httpx.Request) -> None:
        request.extensions["started"] = time.monotonic()

    def _answered(self, response: httpx.Response) -> None:
        response.read()
        took = time.monotonic() - response.request.extensions["started"]
        self._keep(response.request.url.path, response.status_code, took, _valid(response))

    def _keep(self, path: str, status: int, took: float, valid: bool) -> None:
        with self._lock:
            self.answers.append(Answer(path, status, took, valid))

    def text(self, sender: str, body: str, *, sid: str | None = None) -> list[str] | None:
        """The messages the hotline answered a text with; None when it did not answer."""
        form = {
            "AccountSid": ACCOUNT_SID,
            "MessageSid": sid or message_sid(),
            "From": sender,
            "To": HOTLINE,
            "Body": body,
            "NumMedia": "0",
            "ApiVersion": "2010-04-01",
        }
        url = f"{PUBLIC_URL}/twilio/sms"
        headers = {"X-Twilio-Signature": self._signer.compute_signature(url, form)}
        started = time.monotonic()
        try:
            response = self.client.post("/twilio/sms", data=form, headers=headers)
        except httpx.TransportError:
            self._keep("/twilio/sms", 0, time.monotonic() - started, False)
            return None
        if response.status_code != 200 or not _valid(response):
            return None
        return [m.text or "" for m in ET.fromstring(response.text).iter("Message")]

    def greeting(self, caller: str) -> str | None:
        """How a new call from `caller` is greeted: "language" (the language menu), or
        the code of the language whose main menu it hears; None if not with a menu."""
        params = {
            "AccountSid": ACCOUNT_SID,
            "CallSid": "CA" + secrets.token_hex(16),
            "From": caller,
            "To": HOTLINE,
            "CallStatus": "ringing",
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
            "StirVerstat": ATTESTED,
        }
        url = f"{PUBLIC_URL}/twilio/voice"
        headers = {"X-Twilio-Signature": self._signer.compute_signature(url, params)}
        response = self.client.post("/twilio/voice", data=params, headers=headers)
        gather = ET.fromstring(response.text).find("Gather") if _valid(response) else None
        if gather is None:
            return None
        state = {k: v[-1] for k, v in parse_qs(urlsplit(gather.get("action", "")).query).items()}
        return state.get("lang") if state.get("step") == "main" else state.get("step")

    def call(
        self, caller: str, keys: list[str], *, answer: Callable[[str], DialAnswer] | None = None
    ) -> CallResult | None:
        """One call, keys pressed in order, then the caller hangs up; None when a step
        was not answered with TwiML Twilio could run."""
        simulator = CallSimulator(
            client=self.client,
            public_url=PUBLIC_URL,
            auth_token=TOKEN,
            caller=caller,
            hotline=HOTLINE,
            keys=Keys(keys),
            out=lambda _line: None,
            answer=answer or (lambda _number: DialAnswer(status="no-answer")),
            account_sid=ACCOUNT_SID,
            attestation=ATTESTED,
        )
        started = time.monotonic()
        try:
            return simulator.run()
        except httpx.TransportError:
            self._keep("/twilio/voice", 0, time.monotonic() - started, False)
        except SimulationError:
            pass  # the answer that broke it is in self.answers already
        return None

    def failures(self) -> list[Answer]:
        """Webhooks not answered 2xx with a valid document."""
        with self._lock:
            return [a for a in self.answers if not (200 <= a.status < 300 and a.valid)]

    def slowest(self) -> float:
        with self._lock:
            return max((a.seconds for a in self.answers), default=0.0)


def _valid(response: httpx.Response) -> bool:
    """A 204, or TwiML: XML whose root is <Response>."""
    if response.status_code == 204:
        return True
    if not response.headers.get("content-type", "").startswith(("application/xml", "text/xml")):
        return False
    try:
        return ET.fromstring(response.content).tag == "Response"
    except ET.ParseError:
        return False
