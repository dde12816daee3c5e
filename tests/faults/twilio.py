"""Twilio's REST API as the service processes meet it: the project's stand-in, on a
loopback socket, with every message and call it accepted written down for the test."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hotline.simulator.standin import create_standin
from tests.support import served


@dataclass(frozen=True)
class Accepted:
    """One message (or call) Twilio accepted: 201 answered."""

    kind: str
    to: str
    sender: str
    body: str


class Ledger:
    """Every create and delete the API answered with success, in order, kept whatever the
    stand-in later forgets (a deleted message)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        # Seconds each create takes, as Twilio's API does: a worker killed meanwhile
        # leaves its request to be carried out all the same.
        self.latency = 0.0
        # Creates being answered right now.
        self.in_flight = 0
        self._lock = threading.Lock()
        self.accepted: list[Accepted] = []
        self.deleted: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "DELETE"):
            await self._app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        statuses: list[int] = []

        with self._lock:
            self.in_flight += 1
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
        finally:
            with self._lock:
                self.in_flight -= 1

        async def replay() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])
            await send(message)

        await self._app(scope, replay, noting)
        self._note(scope, body, statuses[0] if statuses else 0)

    def _note(self, scope: Scope, body: bytes, status: int) -> None:
        path: str = scope["path"]
        with self._lock:
            if scope["method"] == "DELETE" and status == 204:
                self.deleted.append(path.rsplit("/", 1)[-1].removesuffix(".json"))
            elif status == 201 and path.endswith(("/Messages.json", "/Calls.json")):
                form = parse_qs(body.decode(), keep_blank_values=True)
                kind = "sms" if path.endswith("/Messages.json") else "call"

                def one(key: str) -> str:
                    return form.get(key, [""])[-1]

                self.accepted.append(
                    Accepted(kind, one("To"), one("From"), one("Body") or one("Url"))
                )

    def texts(self, to: str | None = None) -> list[Accepted]:
        with self._lock:
            return [a for a in self.accepted if a.kind == "sms" and to in (None, a.to)]

    def duplicates(self) -> dict[tuple[str, str], int]:
        """(recipient, body) pairs accepted more than once, with how often."""
        with self._lock:
            counted = Counter((a.to, a.body) for a in self.accepted)
        return {pair: n for pair, n in counted.items() if n > 1}


@contextmanager
def fake_twilio(*, account_sid: str, auth_token: str) -> Iterator[tuple[str, Ledger]]:
    """The stand-in on a free loopback port (no status callbacks), and its ledger."""
    ledger = Ledger(create_standin(account_sid=account_sid, auth_token=auth_token, report=False))
    with served(ledger) as url:
        yield url, ledger
