"""Request limits: refused before a body is read, too big, too slow, too many fields."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from hotline.limits import KIB, RequestLimits
from tests.support import TOKEN, call_params, signed_post


def scope(path: str, headers: dict[str, str], method: str = "POST") -> Scope:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }


class Recorder:
    """An app that records what reached it, and a client that records what it was told."""

    def __init__(self) -> None:
        self.reached: list[bytes] = []
        self.sent: list[Message] = []

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        self.reached.append(message.get("body", b""))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])

    @property
    def headers(self) -> dict[bytes, bytes]:
        return dict(self.sent[0]["headers"])


def never_read() -> Callable[[], Awaitable[Message]]:
    async def receive() -> Message:
        raise AssertionError("the body was read")

    return receive


def chunks(*parts: bytes) -> Callable[[], Awaitable[Message]]:
    queue = list(parts)
    read = []

    async def receive() -> Message:
        part = queue.pop(0)
        read.append(part)
        return {"type": "http.request", "body": part, "more_body": bool(queue)}

    receive.read = read  # type: ignore[attr-defined]
    return receive


def limited(**options: object) -> tuple[RequestLimits, Recorder]:
    recorder = Recorder()
    return RequestLimits(recorder.app, **options), recorder  # type: ignore[arg-type]


def run(limits: RequestLimits, request: Scope, receive: Callable[[], Awaitable[Message]]) -> None:
    recorder: Recorder = limits._app.__self__  # type: ignore[attr-defined]
    asyncio.run(limits(request, receive, recorder.send))


def test_a_webhook_without_a_signature_is_refused_before_its_body_is_read() -> None:
    limits, recorder = limited()
    run(limits, scope("/twilio/voice", {"content-length": "300000000"}), never_read())
    assert recorder.status == 403
    assert recorder.headers[b"connection"] == b"close"
    assert recorder.reached == []


def test_a_webhook_announcing_more_than_64_kib_is_refused_unread() -> None:
    limits, recorder = limited()
    headers = {"x-twilio-signature": "x", "content-length": str(64 * KIB + 1)}
    run(limits, scope("/twilio/sms", headers), never_read())
    assert recorder.status == 413
    assert recorder.reached == []


def test_a_streamed_body_is_cut_off_once_it_passes_the_limit() -> None:
    limits, recorder = limited()
    receive = chunks(*([b"x" * (16 * KIB)] * 100))
    run(limits, scope("/twilio/sms", {"x-twilio-signature": "x"}), receive)
    assert recorder.status == 413
    assert len(receive.read) == 5  # type: ignore[attr-defined]
    assert recorder.reached == []


def test_the_api_takes_up_to_a_mebibyte_and_the_rest_of_the_service_too() -> None:
    limits, recorder = limited()
    run(limits, scope("/api/v1/volunteers", {"content-length": str(2**20 + 1)}), never_read())
    assert recorder.status == 413
    limits, recorder = limited()
    run(limits, scope("/console/login", {"content-length": "10"}), chunks(b"0123456789"))
    assert recorder.status == 200
    assert recorder.reached == [b"0123456789"]


def test_a_form_with_more_fields_than_any_webhook_is_refused_before_parsing() -> None:
    limits, recorder = limited()
    body = "&".join(f"f{n}=1" for n in range(201)).encode()
    headers = {"x-twilio-signature": "x", "content-type": "application/x-www-form-urlencoded"}
    run(limits, scope("/twilio/sms", headers), chunks(body))
    assert recorder.status == 413
    assert recorder.reached == []


def test_a_body_that_does_not_arrive_in_time_closes_the_connection() -> None:
    limits, recorder = limited(deadline=0.2)

    async def trickle() -> Message:
        await asyncio.sleep(0.15)
        return {"type": "http.request", "body": b"x", "more_body": True}

    run(limits, scope("/twilio/sms", {"x-twilio-signature": "x"}), trickle)
    assert recorder.status == 408
    assert recorder.headers[b"connection"] == b"close"
    assert recorder.reached == []


def test_the_api_authenticates_before_it_reads_a_body() -> None:
    seen: list[bytes | None] = []

    async def authenticate(header: bytes | None) -> bool:
        seen.append(header)
        return header == b"Bearer good"

    limits, recorder = limited(authenticate=authenticate)
    run(limits, scope("/api/v1/volunteers", {"authorization": "Bearer bad"}), never_read())
    assert recorder.status == 401
    assert recorder.headers[b"www-authenticate"] == b"Bearer"
    limits, recorder = limited(authenticate=authenticate)
    run(limits, scope("/api/v1/volunteers", {"authorization": "Bearer good"}), chunks(b"{}"))
    assert (recorder.status, recorder.reached) == (200, [b"{}"])
    assert seen == [b"Bearer bad", b"Bearer good"]


def test_no_refusal_echoes_what_was_sent(client: TestClient) -> None:
    canary = "canary-4417-value"
    answers = [
        client.post("/twilio/voice", content=canary * 10_000),
        client.post("/api/v1/volunteers", json={"name": canary}),
        client.post(
            "/twilio/sms",
            content="&".join(f"{canary}{n}=1" for n in range(300)),
            headers={
                "X-Twilio-Signature": canary,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        ),
    ]
    assert [a.status_code for a in answers] == [403, 401, 413]
    assert all(canary not in a.text for a in answers)


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_genuine_webhook_still_passes(client: TestClient) -> None:
    answer = signed_post(client, "/twilio/voice", call_params(), token=TOKEN)
    assert answer.status_code == 200
    assert "<Gather" in answer.text
