"""The SMS webhooks: read, verify, hand to the text channel, render. Nothing else."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import anyio
from anyio import to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hotline.deps import Runtime, runtime_of, verified_form
from hotline.events.recorder import Write
from hotline.events.spool import TRANSIENT
from hotline.models import FINAL
from hotline.outbox.deletions import deletion, sealed_place
from hotline.outbox.service import StatusReport, carrier_ref
from hotline.sms import twiml
from hotline.sms.inbound import Incoming
from hotline.sms.paths import SMS_PATH, STATUS_PATH
from hotline.telephony.webhooks import first, parse_query

# The database did not answer in time, or said it cannot now.
GAVE_UP: tuple[type[Exception], ...] = (TimeoutError, *TRANSIENT)
# Twilio's ids ("SM" and 32 hex digits).
MESSAGE_SID = re.compile(r"[A-Za-z0-9]{1,40}")


async def incoming_message(request: Request) -> Response:
    """Answer a text: from memory when it can, else through the database."""
    runtime = runtime_of(request)
    form = await verified_form(request, runtime)
    received = Incoming.of(form)
    if received is None:
        return _xml(twiml.replies([]))
    text = _keyed(runtime, received)
    answer = runtime.texting.from_memory(text)
    if answer is None:
        answer = await _through_database(runtime, text)
    status = f"{runtime.settings.public_url}{STATUS_PATH}"
    return _xml(twiml.replies(answer, status_callback=status))


async def _through_database(runtime: Runtime, text: Incoming) -> list[str]:
    """The answer the database path gives within the deadline; otherwise (the database
    down, slow or locked) the answer from memory, the text kept in the spool."""
    late = runtime.texting.answer_in_time(text)
    try:
        with anyio.fail_after(runtime.settings.database_deadline_ms / 1000):
            return await to_thread.run_sync(late.run, abandon_on_cancel=True)
    except GAVE_UP:
        return await to_thread.run_sync(late.give_up, runtime.spool)


def _keyed(runtime: Runtime, received: Incoming) -> Incoming:
    """The text with Twilio's id replaced by a keyed hash, the one kept; Twilio's own id
    sealed beside it until the text is deleted from Twilio (once answered: Twilio's logs
    need not keep who texted the hotline)."""
    ref = carrier_ref(runtime.vault, received.sid)
    forget = None
    if runtime.settings.delete_from_twilio:
        forget = runtime.vault.seal(received.sid, place=sealed_place(ref))
    return replace(received, sid=ref, forget=forget)


async def message_status(request: Request) -> Response:
    """Twilio's word on a message we sent; duplicates and late arrivals change nothing.
    A message that reached its end is deleted from Twilio."""
    runtime = runtime_of(request)
    form = await verified_form(request, runtime)
    message = parse_query(request.url.query).get("message", "")
    status = first(form, "MessageStatus") or first(form, "SmsStatus")
    error = first(form, "ErrorCode")
    sid = first(form, "MessageSid") or ""
    if status:
        now = datetime.now(UTC)
        writes: list[Write] = [
            StatusReport(
                message_id=int(message) if message.isdigit() and len(message) < 19 else None,
                ref=carrier_ref(runtime.vault, sid) if sid else "",
                status=status[:16],
                error_code=int(error) if error and error.isdigit() and len(error) < 9 else None,
                at=now,
            )
        ]
        if status in FINAL and MESSAGE_SID.fullmatch(sid) and runtime.settings.delete_from_twilio:
            writes.append(deletion(runtime.vault, sid=sid, kind="message", due_at=now))
        runtime.recorder.record(writes)
    return Response(status_code=204)


def _xml(document: str) -> Response:
    return Response(content=document, media_type="application/xml")


routes = [
    Route(SMS_PATH, incoming_message, methods=["POST"]),
    Route(STATUS_PATH, message_status, methods=["POST"]),
]
