"""The SMS webhooks."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from anyio import to_thread
from sqlmodel import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hotline.callbacks import service as callbacks
from hotline.callbacks.messages import TAKEN, UNKNOWN, YOURS
from hotline.db import transaction
from hotline.deps import Runtime, runtime_of, verified_form
from hotline.models import Volunteer
from hotline.outbox.service import StatusReport
from hotline.sms import flow, twiml
from hotline.telephony.webhooks import first, parse_query

SMS_PATH = "/twilio/sms"
STATUS_PATH = "/twilio/sms/status"
# The answer names the line's own language, or the first two of the voice menu:
# a text in all ten languages would cost some twenty segments.
REPLY_LANGUAGES = 2


ACCEPT = re.compile(r"\s*accept\s*(\d{6})\s*", re.IGNORECASE)


async def incoming_message(request: Request) -> Response:
    """Answer a text: a volunteer's ACCEPT claims a callback; anyone else hears how to
    reach help by phone."""
    runtime = runtime_of(request)
    form = await verified_form(request, runtime)
    sender, body = first(form, "From"), first(form, "Body") or ""
    accept = ACCEPT.fullmatch(body)
    if accept and sender:
        answer = await to_thread.run_sync(_accept, runtime, sender, accept.group(1))
        if answer is not None:
            return Response(content=twiml.reply(answer), media_type="application/xml")
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


def _accept(runtime: Runtime, sender: str, code: str) -> str | None:
    """A volunteer claims callback `code`; None when the sender is no volunteer."""
    now = datetime.now(UTC)
    key = runtime.vault.fingerprint(sender, purpose="volunteer")
    with transaction(runtime.engine) as session:
        volunteer = session.exec(select(Volunteer).where(Volunteer.phone_key == key)).first()
        if volunteer is None or volunteer.id is None or not volunteer.active:
            return None
        result, callback = callbacks.claim(session, code=code, volunteer_id=volunteer.id, now=now)
        if result == "won" and callback is not None and callback.id is not None:
            callbacks.call_volunteer(
                session,
                callback=callback,
                number=sender,
                volunteer_id=volunteer.id,
                url=runtime.callback_renderer.url(callbacks.CALLBACK_PATH, callback.id),
                vault=runtime.vault,
                keyring=runtime.keyring,
                now=now,
                expires_in=timedelta(minutes=10),
            )
            others = [
                person
                for person in runtime.roster.snapshot.people.values()
                if str(person.id) in callback.alerted.split(",") and person.id != volunteer.id
            ]
            alerts = [
                callbacks.Alert(p.id, runtime.open_phone(p), _first_language(runtime, p.languages))
                for p in others
            ]
            runtime.callback_texts(TAKEN).enqueue(
                session, callback=callback, alerts=alerts, round_="taken", now=now
            )
        language = _first_language(runtime, tuple(volunteer.languages.split(",")))
    message = {"won": YOURS, "yours": YOURS, "taken": TAKEN, "unknown": UNKNOWN}[result]
    return runtime.catalogs.translator(language)(message, code=code)


def _first_language(runtime: Runtime, languages: tuple[str, ...]) -> str:
    spoken = [code for code in languages if code in runtime.catalogs.languages]
    return spoken[0] if spoken else runtime.settings.default_language
