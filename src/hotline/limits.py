"""What every request meets first: size, time and field limits, checked before its body is read.

Twilio's webhooks are a few KiB of form fields, always signed. So a webhook without
`X-Twilio-Signature` is refused before a byte of its body is read; a body larger than
its route allows is refused on its Content-Length, or as soon as the stream passes
the limit; a body that has not arrived within the deadline (one byte every ten
seconds, say) closes the connection; a form with more fields than any webhook has is
refused before it is parsed. The API authenticates before it reads a body. What gets
through is buffered here, so the routes behind read a body that is already complete.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hotline.telephony.webhooks import BODY

KIB = 1024
MIB = 1024 * KIB
SIGNATURE_HEADER = b"x-twilio-signature"
FORM_TYPE = b"application/x-www-form-urlencoded"

# Given the request's Authorization header (or None): whether it may send a body.
Authenticate = Callable[[bytes | None], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class Rule:
    """The limits of the routes under `prefix`."""

    prefix: str
    max_body: int
    signed: bool = False
    authenticated: bool = False


TWILIO = Rule("/twilio/", 64 * KIB, signed=True)
API = Rule("/api/", 1 * MIB, authenticated=True)
ANYTHING = Rule("/", 1 * MIB)
DEFAULT_RULES = (TWILIO, API, ANYTHING)
BODY_DEADLINE_SECONDS = 10.0
# Twilio's webhooks carry a few dozen fields; this is several times the most seen.
MAX_FORM_FIELDS = 200
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Refused(Exception):
    """A request answered here, with `status` and a short reason that quotes nothing sent."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason

    @property
    def code(self) -> str:
        return _CODES[self.status]


_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "invalid_signature",
    408: "request_timeout",
    413: "payload_too_large",
}


class RequestLimits:
    """ASGI middleware applying the first matching rule to each HTTP request."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        rules: tuple[Rule, ...] = DEFAULT_RULES,
        authenticate: Authenticate | None = None,
        deadline: float = BODY_DEADLINE_SECONDS,
        max_fields: int = MAX_FORM_FIELDS,
    ) -> None:
        self._app = app
        self._rules = rules
        self._authenticate = authenticate
        self._deadline = deadline
        self._max_fields = max_fields

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        rule = next(r for r in self._rules if scope["path"].startswith(r.prefix))
        try:
            await self._admit(scope, rule)
            body = await self._body(scope, receive, rule)
        except Refused as refused:
            await _refuse(send, refused)
            return
        scope[BODY] = body
        await self._app(scope, _replay(body, receive), send)

    async def _admit(self, scope: Scope, rule: Rule) -> None:
        headers = dict(scope["headers"])
        if rule.signed and not headers.get(SIGNATURE_HEADER):
            raise Refused(403, "invalid signature")
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > rule.max_body):
            raise Refused(413, "request body too large")
        if (
            rule.authenticated
            and self._authenticate is not None
            and scope["method"] in _BODY_METHODS
            and not await self._authenticate(headers.get(b"authorization"))
        ):
            raise Refused(401, "an API token is required (Authorization: Bearer <token>)")

    async def _body(self, scope: Scope, receive: Receive, rule: Rule) -> bytes:
        if scope["method"] not in _BODY_METHODS:
            return b""
        chunks: list[bytes] = []
        size = 0
        more = True
        try:
            # One timer for the whole body, not one per chunk.
            async with asyncio.timeout(self._deadline):
                while more:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        raise Refused(400, "the client went away")
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > rule.max_body:
                        raise Refused(413, "request body too large")
                    chunks.append(chunk)
                    more = message.get("more_body", False)
        except TimeoutError:
            raise Refused(408, "the request body did not arrive in time") from None
        body = b"".join(chunks)
        content_type = dict(scope["headers"]).get(b"content-type", b"")
        if content_type.startswith(FORM_TYPE) and body.count(b"&") >= self._max_fields:
            raise Refused(413, "too many form fields")
        return body


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the buffered body over once, then waits as the server's does."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(send: Send, refused: Refused) -> None:
    body = json.dumps({"error": refused.code, "message": refused.reason}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        # The rest of what was sent is not read: the connection cannot be reused.
        (b"connection", b"close"),
    ]
    if refused.status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": refused.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
