"""The voice webhooks: signed form in, TwiML out, never an error page."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hotline.callers.service import Remember
from hotline.deps import Runtime, runtime_of, verified_form
from hotline.events.recorder import PendingEvent
from hotline.outbox import service as outbox_service
from hotline.telephony.numbers import textable
from hotline.telephony.webhooks import CallStatus, VoiceWebhook, first, parse_query
from hotline.voice import flow
from hotline.voice.twiml import NEXT_PATH, STATUS_PATH

log = logging.getLogger(__name__)

XML = "application/xml"
VOICE_PATH = "/twilio/voice"


async def incoming_call(request: Request) -> Response:
    """A new call: the language menu, or the main menu for a known caller or line."""
    runtime = runtime_of(request)
    form = await verified_form(request, runtime)
    lang = runtime.settings.default_language
    try:
        hook = VoiceWebhook.from_form(form)
        caller_keys = _caller_keys(runtime, first(form, "From"))
        incoming = flow.Incoming(
            line_language=runtime.settings.line_languages.get(hook.hotline_number or ""),
            remembered=_remembered(runtime, caller_keys),
        )
        reply = flow.respond(None, incoming, runtime.hotline)
        _record(runtime, hook.call_sid, reply, caller_key=caller_keys[0] if caller_keys else None)
        return _twiml(runtime.renderer.render(reply.intents, hook.hotline_number))
    except Exception:
        log.exception("voice webhook failed; answering with the fallback")
        return _fallback(runtime, lang, form)


async def next_step(request: Request) -> Response:
    """A key, a silence or a finished dial: the flow's next reply."""
    runtime = runtime_of(request)
    form = await verified_form(request, runtime)
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
            event = flow.Pressed(hook.digits or "", can_text=textable(first(form, "From")))
        reply = flow.respond(state, event, runtime.hotline)
        _record(runtime, hook.call_sid, reply)
        if reply.effects:
            try:
                _carry_out(runtime, hook, first(form, "From"), reply.effects)
            except Exception:
                log.exception("could not queue what the caller asked for")
        return _twiml(runtime.renderer.render(reply.intents, hook.hotline_number))
    except Exception:
        log.exception("voice webhook failed; answering with the fallback")
        return _fallback(runtime, lang, form)


async def call_status(request: Request) -> Response:
    """Twilio's call status callback: the outcome goes to the event log."""
    runtime = runtime_of(request)
    status = CallStatus.from_form(await verified_form(request, runtime))
    if status.call_sid:
        note = flow.Note("call.status", status.status[:32] or None)
        _record(runtime, status.call_sid, flow.Reply((), None, (note,)))
    return Response(status_code=204)


routes = [
    Route(VOICE_PATH, incoming_call, methods=["POST"]),
    Route(NEXT_PATH, next_step, methods=["POST"]),
    Route(STATUS_PATH, call_status, methods=["POST"]),
]


def _caller_keys(runtime: Runtime, caller: str | None) -> list[str]:
    """The caller's pseudonyms under every live key, the current epoch's first."""
    if not caller:
        return []
    keyring = runtime.keyring
    return [keyring.pseudonym(caller, epoch=epoch) for epoch in keyring.live_epochs()]


def _record(
    runtime: Runtime, call_sid: str, reply: flow.Reply, caller_key: str | None = None
) -> None:
    """Queue the reply's notes under pseudonyms; the caller's number goes no further."""
    if not reply.notes:
        return
    keyring = runtime.keyring
    epoch = keyring.current_epoch()
    call_ref = keyring.pseudonym(call_sid, epoch=epoch, purpose="call")
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


def _remembered(runtime: Runtime, caller_keys: list[str]) -> str | None:
    """The language this caller chose on an earlier call, if we still remember it."""
    if not caller_keys or runtime.settings.remember_language_days == 0:
        return None
    language = runtime.preferences.language(caller_keys)
    return language if language in runtime.catalogs.languages else None


def _carry_out(
    runtime: Runtime, hook: VoiceWebhook, caller: str | None, effects: tuple[flow.Effect, ...]
) -> None:
    """Queue what the flow asked for; the caller hears the reply whatever happens here."""
    if not caller:
        return
    now = datetime.now(UTC)
    keyring = runtime.keyring
    epoch = keyring.current_epoch(now)
    for effect in effects:
        if isinstance(effect, flow.RememberLanguage):
            if runtime.settings.remember_language_days == 0:
                continue
            key = keyring.pseudonym(caller, epoch=epoch)
            runtime.preferences.remember(key, effect.lang, now)
            runtime.recorder.record([Remember(key, epoch, effect.lang, now)])
        elif isinstance(effect, flow.TextRights) and hook.hotline_number:
            call_ref = keyring.pseudonym(hook.call_sid, epoch=epoch, purpose="call")
            enqueue = outbox_service.texts(
                vault=runtime.vault,
                keyring=keyring,
                sender=hook.hotline_number,
                recipient=caller,
                parts=runtime.rights_texts[effect.lang],
                purpose="rights",
                language=effect.lang,
                key=f"rights:{call_ref}:{effect.lang}",
                now=now,
                expires_in=timedelta(minutes=runtime.settings.sms_expiry_minutes),
            )
            runtime.recorder.record([enqueue])


def _fallback(runtime: Runtime, lang: str, form: dict[str, list[str]]) -> Response:
    reply = flow.fallback(lang, runtime.hotline)
    try:
        return _twiml(runtime.renderer.render(reply.intents, first(form, "To")))
    except Exception:
        log.exception("fallback rendering failed; answering with the static fallback")
        return _twiml(runtime.static_fallback)


def _twiml(xml: str) -> Response:
    return Response(content=xml, media_type=XML)
