"""A local stand-in for the parts of Twilio's REST API the hotline uses: Messages and Calls."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import secrets
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from hotline.telephony.segments import segments

API_VERSION = "2010-04-01"
BODY_LIMIT = 1600
TWIML_LIMIT = 4000
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

# Twilio's test-credential magic numbers: sending to them fails with these codes.
MESSAGE_TO_ERRORS: Mapping[str, tuple[int, str]] = {
    "+15005550001": (21211, "The 'To' number is not a valid phone number."),
    "+15005550002": (21612, "The 'To' phone number is not currently reachable via SMS."),
    "+15005550003": (21408, "Permission to send an SMS has not been enabled for the region."),
    "+15005550004": (21610, "Attempt to send to unsubscribed recipient"),
    "+15005550009": (21614, "'To' number is not a valid mobile number"),
}
CALL_TO_ERRORS: Mapping[str, tuple[int, str]] = {
    "+15005550001": (21217, "Phone number does not appear to be valid"),
    "+15005550002": (21214, "'To' phone number cannot be reached"),
    "+15005550003": (21215, "Geo permission configuration is not permitting call"),
    "+15005550004": (21216, "Call blocked by Twilio blocklist"),
}
MESSAGING_SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")
_ENDED = frozenset({"canceled", "completed", "busy", "failed", "no-answer"})
# A message still on its way cannot be deleted (Twilio's error 20009).
_IN_PROGRESS = frozenset({"queued", "accepted", "sending", "scheduled"})
# What Twilio reports of a message it carried, and the pause before each report.
DELIVERY = (("sent", 0.05), ("delivered", 0.05))

Resource = dict[str, Any]


class StandinError(Exception):
    """A refusal, answered in Twilio's error shape."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class StandinRecord:
    """What the stand-in was asked to send, oldest first, in memory only."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[Resource] = []
        self.calls: list[Resource] = []

    def clear(self) -> None:
        """Forget every message and call."""
        with self.lock:
            self.messages.clear()
            self.calls.clear()


def create_standin(
    *, account_sid: str, auth_token: str, public_url: str | None = None, report: bool = True
) -> FastAPI:
    """The stand-in app; mount it where the SDK's `api.base_url` points.

    With `report`, each message's StatusCallback hears "sent" then "delivered", signed
    as Twilio signs, when the callback is under `public_url` (the service itself).
    """
    record = StandinRecord()
    background: set[asyncio.Task[None]] = set()
    app = FastAPI(title="Twilio stand-in", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.standin = record
    expected = f"{account_sid}:{auth_token}".encode()

    def authenticate(request: Request, sid: str) -> None:
        given = _basic_credentials(request.headers.get("authorization", ""))
        # Both comparisons always run, so timing tells nothing about which one failed.
        valid_credentials = hmac.compare_digest(given, expected)
        valid_account = hmac.compare_digest(sid.encode(), account_sid.encode())
        if not (valid_credentials and valid_account):
            raise StandinError(401, 20003, "Authenticate")

    router = APIRouter(
        prefix=f"/{API_VERSION}/Accounts/{{sid}}", dependencies=[Depends(authenticate)]
    )
    base = f"/{API_VERSION}/Accounts/{account_sid}"

    @router.post("/Messages.json", status_code=201)
    async def create_message(request: Request) -> Resource:
        form = await _form(request)
        to, sender, service = (
            _one(form, "To"),
            _one(form, "From"),
            _one(form, "MessagingServiceSid"),
        )
        body = _one(form, "Body") or ""
        media = form.get("MediaUrl", [])
        if not to:
            raise StandinError(400, 21604, "A 'To' phone number is required.")
        if not sender and not service:
            raise StandinError(400, 21603, "A 'From' phone number is required.")
        if service is not None and not MESSAGING_SERVICE_SID.fullmatch(service):
            raise StandinError(400, 21705, "The Messaging Service Sid is invalid.")
        if not body and not media:
            raise StandinError(400, 21602, "Message body is required.")
        if len(body) > BODY_LIMIT:
            raise StandinError(400, 21617, "The concatenated message body exceeds the limit.")
        if to in MESSAGE_TO_ERRORS:
            raise StandinError(400, *MESSAGE_TO_ERRORS[to])
        sid = _sid("SM")
        now = _now()
        message: Resource = {
            "account_sid": account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender,
            "messaging_service_sid": service,
            "num_media": str(len(media)),
            "num_segments": str(segments(body)) if body else "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            # A Messaging Service picks the sender later, so Twilio says "accepted".
            "status": "queued" if sender else "accepted",
            "subresource_uris": {"media": f"{base}/Messages/{sid}/Media.json"},
            "to": to,
            "uri": f"{base}/Messages/{sid}.json",
            # Not part of Twilio's resource: kept so tests can see what was asked for.
            "status_callback": _one(form, "StatusCallback"),
        }
        with record.lock:
            record.messages.append(message)
        callback = message["status_callback"]
        if report and callback and public_url and callback.startswith(public_url):
            task = asyncio.create_task(_deliver(record, message, auth_token))
            background.add(task)
            task.add_done_callback(background.discard)
        return message

    @router.delete("/Messages/{message_sid}.json", status_code=204)
    def delete_message(request: Request, message_sid: str) -> Response:
        with record.lock:
            message = _find(record.messages, message_sid, request)
            if message["status"] in _IN_PROGRESS:
                raise StandinError(409, 20009, "Cannot delete a message still in progress")
            record.messages.remove(message)
        return Response(status_code=204)

    @router.get("/Messages.json")
    def list_messages(request: Request) -> Resource:
        with record.lock:
            messages = list(record.messages)
        return _page(request, "messages", messages, filters={"To": "to", "From": "from"})

    @router.get("/Messages/{message_sid}.json")
    def fetch_message(request: Request, message_sid: str) -> Resource:
        with record.lock:
            return dict(_find(record.messages, message_sid, request))

    @router.post("/Calls.json", status_code=201)
    async def create_call(request: Request) -> Resource:
        form = await _form(request)
        to, sender = _one(form, "To"), _one(form, "From")
        url, twiml = _one(form, "Url"), _one(form, "Twiml")
        if not to:
            raise StandinError(400, 21201, "No 'To' number is specified")
        if not sender:
            raise StandinError(400, 21213, "No 'From' number is specified")
        if not url and not twiml and not _one(form, "ApplicationSid"):
            raise StandinError(400, 21205, "Url parameter is required")
        if twiml is not None and len(twiml) > TWIML_LIMIT:
            raise StandinError(400, 32018, "Twiml exceeds the 4000 character limit")
        if to in CALL_TO_ERRORS:
            raise StandinError(400, *CALL_TO_ERRORS[to])
        sid = _sid("CA")
        now = _now()
        call: Resource = {
            "account_sid": account_sid,
            "annotation": None,
            "answered_by": None,
            "api_version": API_VERSION,
            "caller_name": None,
            "date_created": now,
            "date_updated": now,
            "direction": "outbound-api",
            "duration": None,
            "end_time": None,
            "forwarded_from": None,
            "from": sender,
            "from_formatted": sender,
            "group_sid": None,
            "parent_call_sid": None,
            "phone_number_sid": None,
            "price": None,
            "price_unit": "USD",
            "queue_time": "0",
            "sid": sid,
            "start_time": None,
            "status": "queued",
            "subresource_uris": {
                "notifications": f"{base}/Calls/{sid}/Notifications.json",
                "recordings": f"{base}/Calls/{sid}/Recordings.json",
            },
            "to": to,
            "to_formatted": to,
            "trunk_sid": None,
            "uri": f"{base}/Calls/{sid}.json",
            # Not part of Twilio's resource: kept so tests can see what was asked for.
            "url": url,
            "method": (_one(form, "Method") or "POST").upper(),
            "twiml": twiml,
            "status_callback": _one(form, "StatusCallback"),
            "status_callback_event": form.get("StatusCallbackEvent", []),
            "timeout": _one(form, "Timeout"),
        }
        with record.lock:
            record.calls.append(call)
        return call

    @router.delete("/Calls/{call_sid}.json", status_code=204)
    def delete_call(request: Request, call_sid: str) -> Response:
        with record.lock:
            call = _find(record.calls, call_sid, request)
            if call["status"] in {"ringing", "in-progress"}:
                raise StandinError(409, 20009, "Cannot delete a call in progress")
            record.calls.remove(call)
        return Response(status_code=204)

    @router.get("/Calls.json")
    def list_calls(request: Request) -> Resource:
        with record.lock:
            calls = list(record.calls)
        return _page(
            request, "calls", calls, filters={"To": "to", "From": "from", "Status": "status"}
        )

    @router.get("/Calls/{call_sid}.json")
    def fetch_call(request: Request, call_sid: str) -> Resource:
        with record.lock:
            return dict(_find(record.calls, call_sid, request))

    @router.post("/Calls/{call_sid}.json")
    async def update_call(request: Request, call_sid: str) -> Resource:
        form = await _form(request)
        status, url, twiml = _one(form, "Status"), _one(form, "Url"), _one(form, "Twiml")
        if status is not None and status not in {"canceled", "completed"}:
            raise StandinError(400, 21200, "Status must be canceled or completed")
        if url is not None and twiml is not None:
            raise StandinError(400, 21200, "Url and Twiml cannot both be given")
        with record.lock:
            call = _find(record.calls, call_sid, request)
            ended = call["status"] in _ENDED
            if ended and (url is not None or twiml is not None):
                raise StandinError(400, 21220, "Call is not in-progress. Cannot redirect.")
            now = _now()
            if url is not None:
                method = (_one(form, "Method") or "POST").upper()
                call |= {"url": url, "twiml": None, "method": method}
            if twiml is not None:
                call |= {"twiml": twiml, "url": None}
            # A call that has ended keeps the status it ended with.
            if status is not None and not ended:
                call |= {"status": status, "end_time": now}
            call["date_updated"] = now
            return dict(call)

    @app.exception_handler(StandinError)
    async def standin_error(request: Request, error: StandinError) -> JSONResponse:
        return _error_response(error.status, error.code, error.message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {404: 20404, 405: 20004}.get(error.status_code, error.status_code)
        return _error_response(error.status_code, code, str(error.detail))

    app.include_router(router)
    return app


async def _deliver(record: StandinRecord, message: Resource, auth_token: str) -> None:
    """Report the message sent, then delivered, to its status callback, as Twilio would."""
    async with httpx.AsyncClient(timeout=5) as client:
        for status, pause in DELIVERY:
            await asyncio.sleep(pause)
            with record.lock:
                if message not in record.messages:
                    return
                message["status"] = status
            params = {
                "AccountSid": message["account_sid"],
                "From": message["from"] or "",
                "MessageSid": message["sid"],
                "MessageStatus": status,
                "SmsSid": message["sid"],
                "SmsStatus": status,
                "To": message["to"],
                "ApiVersion": API_VERSION,
            }
            url = message["status_callback"]
            signature = _signature(auth_token, url, params)
            try:
                await client.post(url, data=params, headers={"X-Twilio-Signature": signature})
            except httpx.HTTPError:
                return


def _signature(token: str, url: str, params: Mapping[str, str]) -> str:
    """X-Twilio-Signature for a form POST, computed as Twilio computes it."""
    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _error_response(status: int, code: int, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Basic realm="Twilio API"'} if status == 401 else None
    return JSONResponse(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status_code=status,
        headers=headers,
    )


def _basic_credentials(header: str) -> bytes:
    """The "sid:token" of an HTTP Basic Authorization header, or nothing."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return b""
    try:
        return base64.b64decode(encoded.strip(), validate=True)
    except ValueError:
        return b""


async def _form(request: Request) -> dict[str, list[str]]:
    # Parsed by hand: the SDK always posts form-encoded, and this needs no multipart parser.
    body = await request.body()
    return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)


def _one(form: Mapping[str, Sequence[str]], key: str) -> str | None:
    values = form.get(key)
    return values[-1] if values else None


def _find(resources: list[Resource], sid: str, request: Request) -> Resource:
    for resource in resources:
        if resource["sid"] == sid:
            return resource
    raise StandinError(404, 20404, f"The requested resource {request.url.path} was not found")


def _page(
    request: Request, key: str, resources: list[Resource], *, filters: Mapping[str, str]
) -> Resource:
    """One page of `resources`, newest first, in Twilio's list envelope."""
    query = request.query_params
    matching = [
        resource
        for resource in reversed(resources)
        if all(
            resource.get(field) == query[param]
            for param, field in filters.items()
            if param in query
        )
    ]
    size = min(max(_int(query.get("PageSize"), DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE)
    page = max(_int(query.get("Page"), 0), 0)
    start = page * size
    items = matching[start : start + size]
    has_next = start + size < len(matching)
    return {
        key: items,
        "end": start + len(items) - 1 if items else start,
        "first_page_uri": _page_uri(request, 0, size),
        "next_page_uri": _page_uri(request, page + 1, size) if has_next else None,
        "page": page,
        "page_size": size,
        "previous_page_uri": _page_uri(request, page - 1, size) if page > 0 else None,
        "start": start,
        "uri": _page_uri(request, page, size),
    }


def _page_uri(request: Request, page: int, size: int) -> str:
    # Relative to the API root, as Twilio's are: the SDK prefixes its base_url.
    params = {k: v for k, v in request.query_params.items() if k not in {"Page", "PageSize"}}
    params |= {"Page": str(page), "PageSize": str(size)}
    mount = request.scope.get("root_path", "")
    path = request.url.path.removeprefix(mount) if mount else request.url.path
    return f"{path}?{urlencode(params)}"


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _now() -> str:
    return format_datetime(datetime.now(UTC))
