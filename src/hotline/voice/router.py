"""The voice webhooks: signed form in, TwiML out, never an error page."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response

from hotline.deps import Runtime, RuntimeDep, TwilioForm
from hotline.events.recorder import PendingEvent
from hotline.telephony.webhooks import CallStatus, VoiceWebhook, first, parse_query
from hotline.voice import flow
from hotline.voice.twiml import NEXT_PATH, STATUS_PATH

log = logging.getLogger(__name__)
router = APIRouter(prefix="/twilio", tags=["twilio"])

XML = "application/xml"


@router.post("/voice")
async def incoming_call(form: TwilioForm, runtime: RuntimeDep) -> Response:
    """A new call: the language menu (or the main menu on a one-language line)."""
    lang = runtime.settings.default_language
    try:
        hook = VoiceWebhook.from_form(form)
        reply = flow.respond(None, flow.Incoming(), runtime.hotline)
        _record(runtime, hook.call_sid, reply, caller=first(form, "From"))
        return _twiml(runtime.renderer.render(reply.intents, hook.hotline_number))
    except Exception:
        log.exception("voice webhook failed; answering with the fallback")
        return _fallback(runtime, lang, form)


@router.post(NEXT_PATH.removeprefix("/twilio"))
async def next_step(request: Request, form: TwilioForm, runtime: RuntimeDep) -> Response:
    """A key, a silence or a finished dial: the flow's next reply."""
    lang = runtime.settings.default_language
    try:
        hook = VoiceWebhook.from_form(form)
        try:
            state: flow.CallState | None = flow.CallState.parse(
                parse_query(request.url.query), languages=list(runtime.catalogs.languages)
            )
        except ValueError:
            # Only we write these URLs; one we no longer understand starts the call over.
            state = None
        lang = (state.lang if state else None) or lang
        event: flow.Event
        if state is None:
            event = flow.Incoming()
        elif state.step == "urgent" and hook.dial_status is not None:
            event = flow.DialEnded(hook.dial_status)
        else:
            event = flow.Pressed(hook.digits or "")
        reply = flow.respond(state, event, runtime.hotline)
        _record(runtime, hook.call_sid, reply)
        return _twiml(runtime.renderer.render(reply.intents, hook.hotline_number))
    except Exception:
        log.exception("voice webhook failed; answering with the fallback")
        return _fallback(runtime, lang, form)


@router.post(STATUS_PATH.removeprefix("/twilio"), status_code=204)
async def call_status(form: TwilioForm, runtime: RuntimeDep) -> Response:
    """Twilio's call status callback: the outcome goes to the event log."""
    status = CallStatus.from_form(form)
    if status.call_sid:
        note = flow.Note("call.status", status.status[:32] or None)
        _record(runtime, status.call_sid, flow.Reply((), None, (note,)))
    return Response(status_code=204)


def _record(runtime: Runtime, call_sid: str, reply: flow.Reply, caller: str | None = None) -> None:
    """Queue the reply's notes under pseudonyms; the caller's number goes no further."""
    if not reply.notes:
        return
    keyring = runtime.keyring
    epoch = keyring.current_epoch()
    call_ref = keyring.pseudonym(call_sid, epoch=epoch, purpose="call")
    caller_key = keyring.pseudonym(caller, epoch=epoch) if caller else None
    now = datetime.now(UTC)
    runtime.recorder.record(
        PendingEvent(
            call_ref=call_ref,
            caller_key=caller_key,
            key_epoch=epoch,
            kind=note.kind,
            language=reply.lang,
            detail=note.detail,
            occurred_at=now,
        )
        for note in reply.notes
    )


def _fallback(runtime: Runtime, lang: str, form: dict[str, list[str]]) -> Response:
    reply = flow.fallback(lang, runtime.hotline)
    try:
        return _twiml(runtime.renderer.render(reply.intents, first(form, "To")))
    except Exception:
        log.exception("fallback rendering failed; answering with the static fallback")
        return _twiml(runtime.static_fallback)


def _twiml(xml: str) -> Response:
    return Response(content=xml, media_type=XML)
