"""The SMS webhooks: read, verify, hand to the text channel, render. Nothing else."""

from __future__ import annotations

from datetime import UTC, datetime

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hotline.deps import runtime_of, verified_form
from hotline.outbox.service import StatusReport
from hotline.sms import twiml
from hotline.sms.inbound import Incoming
from hotline.telephony.webhooks import first, parse_query

SMS_PATH = "/twilio/sms"
STATUS_PATH = "/twilio/sms/status"


async def incoming_message(request: Request) -> Response:
    """Answer a text: from memory when it can, else through the database."""
    runtime = runtime_of(request)
    form = await verified_form(request, runtime)
    text = Incoming.of(form)
    if text is None:
        return _xml(twiml.replies([]))
    texting = runtime.texting
    answer = texting.from_memory(text)
    if answer is None:
        answer = await to_thread.run_sync(texting.answer, text)
    return _xml(twiml.replies(answer))


async def message_status(request: Request) -> Response:
    """Twilio's word on a message we sent; duplicates and late arrivals change nothing."""
    runtime = runtime_of(request)
    form = await verified_form(request, runtime)
    message = parse_query(request.url.query).get("message", "")
    status = first(form, "MessageStatus") or first(form, "SmsStatus")
    error = first(form, "ErrorCode")
    if status:
        report = StatusReport(
            message_id=int(message) if message.isdigit() and len(message) < 19 else None,
            sid=first(form, "MessageSid") or "",
            status=status,
            error_code=int(error) if error and error.isdigit() and len(error) < 9 else None,
            at=datetime.now(UTC),
        )
        runtime.recorder.record([report])
    return Response(status_code=204)


def _xml(document: str) -> Response:
    return Response(content=document, media_type="application/xml")


routes = [
    Route(SMS_PATH, incoming_message, methods=["POST"]),
    Route(STATUS_PATH, message_status, methods=["POST"]),
]
