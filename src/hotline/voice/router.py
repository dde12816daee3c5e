"""The voice webhooks: signed form in, TwiML out, never an error page."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hotline.deps import Runtime, runtime_of, verified_form
from hotline.outbox.deletions import deletion
from hotline.routing.escalation import Plan, plan
from hotline.telephony.numbers import region, textable
from hotline.telephony.webhooks import CallStatus, VoiceWebhook, first, parse_query
from hotline.voice import flow, intents
from hotline.voice.callback_calls import routes as callback_routes
from hotline.voice.effects import (
    RecordCallFields,
    call_pseudonym,
    caller_pseudonyms,
    carry_out_safely,
    record,
    record_call,
)
from hotline.voice.twiml import ACCEPT_PATH, LEG_PATH, NEXT_PATH, SCREEN_PATH, STATUS_PATH

log = logging.getLogger(__name__)

XML = "application/xml"
ENDED = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
# Twilio is left a moment to settle an ended call before its record is deleted.
CALL_DELETE_AFTER = timedelta(minutes=1)
VOICE_PATH = "/twilio/voice"


async def incoming_call(request: Request) -> Response:
    """A new call: the language menu, or the main menu for a known caller or line."""
    runtime = runtime_of(request)
    form = await verified_form(request, runtime)
    lang = runtime.settings.default_language
    try:
        hook = VoiceWebhook.from_form(form)
        caller_keys = caller_pseudonyms(runtime, first(form, "From"))
        # Caller ID is trivially spoofed: what a caller hears depends on what is held
        # under their number only when the carrier vouches for it, or anyone with a list
        # of numbers could learn which of them called, and in which language.
        incoming = intents.Incoming(
            line_language=runtime.settings.line_languages.get(hook.hotline_number or ""),
            remembered=_remembered(runtime, caller_keys) if hook.attested else None,
            attested=hook.attested,
        )
        reply = flow.respond(None, incoming, runtime.hotline)
        record(runtime, hook.call_sid, reply, caller_key=caller_keys[0] if caller_keys else None)
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
            state: intents.CallState | None = intents.CallState.parse(
                parse_query(request.url.query), languages=list(runtime.catalogs.languages)
            )
        except ValueError:
            # Only we write these URLs; one we no longer understand starts the call over.
            state = None
        lang = (state.lang if state else None) or lang
        event: intents.Event
        caller = first(form, "From")
        attested = hook.attested or (state is not None and state.attested)
        texting = _texting(runtime, caller, attested=attested)
        if state is None:
            event = intents.Incoming()
        elif state.step == "urgent" and hook.dial_status is not None:
            event = intents.DialEnded(hook.dial_status)
        else:
            event = intents.Pressed(hook.digits or "", texting=texting)
        plan = None
        if state is not None and state.lang and state.step in ("main", "urgent"):
            reachable = texting not in ("hidden", "abroad")
            plan = _plan(runtime, state.lang, can_call_back=reachable)
        reply = flow.respond(state, event, runtime.hotline, plan)
        record(runtime, hook.call_sid, reply)
        if reply.effects:
            kept = await to_thread.run_sync(
                carry_out_safely, runtime, hook, first(form, "From"), reply.effects, attested
            )
            if not kept:
                reply = flow.promise_broken(reply, runtime.hotline)
        return _twiml(runtime.renderer.render(reply.intents, hook.hotline_number))
    except Exception:
        log.exception("voice webhook failed; answering with the fallback")
        return _fallback(runtime, lang, form)


async def call_status(request: Request) -> Response:
    """Twilio's call status callback: the outcome goes to the event log."""
    runtime = runtime_of(request)
    status = CallStatus.from_form(await verified_form(request, runtime))
    if status.call_sid:
        note = intents.Note("call.status", status.status[:32] or None)
        record(runtime, status.call_sid, intents.Reply((), None, (note,)))
        _forget_call(runtime, status.call_sid, status.status)
    return Response(status_code=204)


def _forget_call(runtime: Runtime, call_sid: str, status: str) -> None:
    """An ended call is deleted from Twilio's logs, so they do not keep who called."""
    if call_sid and status in ENDED and runtime.settings.delete_from_twilio:
        due = datetime.now(UTC) + CALL_DELETE_AFTER
        runtime.recorder.record([deletion(runtime.vault, sid=call_sid, kind="call", due_at=due)])


async def screen(request: Request) -> Response:
    """A volunteer answered: the whisper, and only 1 bridges them to the caller."""
    runtime = runtime_of(request)
    await verified_form(request, runtime)
    leg = _leg_query(request, runtime)
    if leg is None:
        return _twiml(runtime.renderer.render((intents.Hangup(),), None))
    caller_lang, whisper_lang, volunteer = leg
    xml = runtime.renderer.screen(whisper_lang=whisper_lang, caller_lang=caller_lang, leg=volunteer)
    return _twiml(xml)


async def screen_answer(request: Request) -> Response:
    """The volunteer's key: 1 accepts (an empty document bridges the call), else hang up."""
    runtime = runtime_of(request)
    form = await verified_form(request, runtime)
    leg = _leg_query(request, runtime)
    parent = first(form, "ParentCallSid")
    if leg is None or first(form, "Digits") != "1" or not parent:
        return _twiml(runtime.renderer.render((intents.Hangup(),), None))
    record_call(runtime, call_pseudonym(runtime, parent)[0], RecordCallFields(accepted_by=leg[2]))
    record(
        runtime, parent, intents.Reply((), leg[0], (intents.Note("urgent.accepted", str(leg[2])),))
    )
    return _twiml(runtime.renderer.render((), None))


async def leg_status(request: Request) -> Response:
    """A volunteer's phone rang, answered or hung up: the call record learns of it."""
    runtime = runtime_of(request)
    form = await verified_form(request, runtime)
    parent, status = first(form, "ParentCallSid"), first(form, "CallStatus") or ""
    leg = parse_query(request.url.query).get("leg", "")
    if parent:
        if status == "ringing":
            record_call(runtime, call_pseudonym(runtime, parent)[0], RecordCallFields(rang=True))
        note = intents.Note("leg.status", f"{leg[:8]}:{status[:16]}")
        record(runtime, parent, intents.Reply((), None, (note,)))
        _forget_call(runtime, first(form, "CallSid") or "", status)
    return Response(status_code=204)


routes = [
    *callback_routes,
    Route(VOICE_PATH, incoming_call, methods=["POST"]),
    Route(NEXT_PATH, next_step, methods=["POST"]),
    Route(STATUS_PATH, call_status, methods=["POST"]),
    Route(SCREEN_PATH, screen, methods=["POST"]),
    Route(ACCEPT_PATH, screen_answer, methods=["POST"]),
    Route(LEG_PATH, leg_status, methods=["POST"]),
]


def _leg_query(request: Request, runtime: Runtime) -> tuple[str, str, int] | None:
    """(caller language, whisper language, volunteer id) from a screening URL we wrote."""
    query = parse_query(request.url.query)
    caller, whisper, leg = query.get("caller", ""), query.get("lang", ""), query.get("leg", "")
    languages = runtime.catalogs.languages
    if caller not in languages or whisper not in languages or not leg.isdigit():
        return None
    return caller, whisper, int(leg)


def _plan(runtime: Runtime, lang: str, *, can_call_back: bool) -> Plan:
    """The escalation for a caller speaking `lang`, from the roster snapshot in memory."""
    settings = runtime.settings
    return plan(
        tiers=runtime.tiers,
        on_call=runtime.roster.snapshot.on_call(datetime.now(UTC)),
        language=lang,
        enabled=runtime.catalogs.languages,
        backup_numbers=settings.backup_numbers,
        can_call_back=can_call_back,
        phone=runtime.open_phone,
    )


def _texting(runtime: Runtime, caller: str | None, *, attested: bool) -> intents.Texting:
    """Whether a text can go to the caller's phone, as far as the caller may be told."""
    if caller is None or not textable(caller):
        return "hidden"
    if region(caller) not in runtime.settings.sms_countries:
        return "abroad"
    if not attested:
        # What is held under a number that can be spoofed must not show: the outbox
        # keeps to the daily cap, and the caller is told it might.
        return "maybe"
    sent = runtime.rights_ledger.count(caller_pseudonyms(runtime, caller), datetime.now(UTC))
    return "sent" if sent >= runtime.settings.rights_texts_per_day else "yes"


def _remembered(runtime: Runtime, caller_keys: list[str]) -> str | None:
    """The language this caller chose on an earlier call, if we still remember it."""
    if not caller_keys or runtime.settings.remember_language_days == 0:
        return None
    language = runtime.preferences.language(caller_keys)
    return language if language in runtime.catalogs.languages else None


def _fallback(runtime: Runtime, lang: str, form: dict[str, list[str]]) -> Response:
    reply = flow.fallback(lang, runtime.hotline)
    try:
        return _twiml(runtime.renderer.render(reply.intents, first(form, "To")))
    except Exception:
        log.exception("fallback rendering failed; answering with the static fallback")
        return _twiml(runtime.static_fallback)


def _twiml(xml: str) -> Response:
    return Response(content=xml, media_type=XML)
