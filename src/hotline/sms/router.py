"""The SMS webhooks."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hotline.deps import runtime_of, verified_form
from hotline.outbox.service import StatusReport
from hotline.sms import flow, twiml
from hotline.telephony.webhooks import first, parse_query

SMS_PATH = "/twilio/sms"
STATUS_PATH = "/twilio/sms/status"
# The answer names the line's own language, or the first two of the voice menu:
# a text in all ten languages would cost some twenty segments.
REPLY_LANGUAGES = 2


async def incoming_message(request: Request) -> Response:
    """Answer a text with how to reach help by phone."""
    runtime = runtime_of(request)
    form = await verified_form(request, runtime)
    catalogs = runtime.catalogs
    line = runtime.settings.line_languages.get(first(form, "To") or "")
    codes = [line] if line else runtime.settings.voice_menu[:REPLY_LANGUAGES]
    text = "\n\n".join(catalogs.translator(code)(flow.CALL_US) for code in codes)
    return Response(content=twiml.reply(text), media_type="application/xml")


async def message_status(request: Request) -> Response:
    """Twilio's word on a message we sent; duplicates and late arrivals change nothing."""
    runtime = runtime_of(request)
    form = await verified_form(request, runtime)
    message = parse_query(request.url.query).get("message", "")
    status = first(form, "MessageStatus") or first(form, "SmsStatus")
    error = first(form, "ErrorCode")
    if status:
        runtime.recorder.record(
            [
                StatusReport(
                    message_id=int(message) if message.isdigit() else None,
                    sid=first(form, "MessageSid") or "",
                    status=status,
                    error_code=int(error) if error and error.isdigit() else None,
                    at=datetime.now(UTC),
                )
            ]
        )
    return Response(status_code=204)


routes = [
    Route(SMS_PATH, incoming_message, methods=["POST"]),
    Route(STATUS_PATH, message_status, methods=["POST"]),
]
