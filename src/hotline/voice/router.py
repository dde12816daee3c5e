"""The voice webhooks: signed form in, TwiML out, never an error page."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from anyio import to_thread
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hotline.callbacks import service as callbacks
from hotline.callbacks.messages import ALERT
from hotline.callers.service import Remember
from hotline.db import transaction
from hotline.deps import Runtime, runtime_of, verified_form
from hotline.events.recorder import PendingEvent
from hotline.i18n.languages import first_spoken
from hotline.models import Callback
from hotline.outbox import service as outbox_service
from hotline.rapid import reports
from hotline.rapid.kinds import Channel
from hotline.routing.escalation import Plan, plan
from hotline.routing.service import RecordCall
from hotline.telephony.numbers import textable
from hotline.telephony.webhooks import CallStatus, VoiceWebhook, first, parse_query
from hotline.voice import flow
from hotline.voice.twiml import ACCEPT_PATH, LEG_PATH, NEXT_PATH, SCREEN_PATH, STATUS_PATH

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
        caller = first(form, "From")
        if state is None:
            event = flow.Incoming()
        elif state.step == "urgent" and hook.dial_status is not None:
            event = flow.DialEnded(hook.dial_status)
        else:
            event = flow.Pressed(hook.digits or "", can_text=textable(caller))
        plan = None
        if state is not None and state.lang and state.step in ("main", "urgent"):
            plan = _plan(runtime, state.lang, can_call_back=textable(caller))
        reply = flow.respond(state, event, runtime.hotline, plan)
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


async def screen(request: Request) -> Response:
    """A volunteer answered: the whisper, and only 1 bridges them to the caller."""
    runtime = runtime_of(request)
    await verified_form(request, runtime)
    leg = _leg_query(request, runtime)
    if leg is None:
        return _twiml(runtime.renderer.render((flow.Hangup(),), None))
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
        return _twiml(runtime.renderer.render((flow.Hangup(),), None))
    _record_call(runtime, _call_ref(runtime, parent)[0], RecordCallFields(accepted_by=leg[2]))
    _record(runtime, parent, flow.Reply((), leg[0], (flow.Note("urgent.accepted", str(leg[2])),)))
    return _twiml(runtime.renderer.render((), None))


async def leg_status(request: Request) -> Response:
    """A volunteer's phone rang, answered or hung up: the call record learns of it."""
    runtime = runtime_of(request)
    form = await verified_form(request, runtime)
    parent, status = first(form, "ParentCallSid"), first(form, "CallStatus") or ""
    leg = parse_query(request.url.query).get("leg", "")
    if parent:
        if status == "ringing":
            _record_call(runtime, _call_ref(runtime, parent)[0], RecordCallFields(rang=True))
        note = flow.Note("leg.status", f"{leg[:8]}:{status[:16]}")
        _record(runtime, parent, flow.Reply((), None, (note,)))
    return Response(status_code=204)


async def callback_call(request: Request) -> Response:
    """The hotline called a volunteer back for a caller: screen them first."""
    runtime = runtime_of(request)
    await verified_form(request, runtime)
    found = await to_thread.run_sync(_open_callback_row, runtime, request)
    renderer = runtime.callback_renderer
    if found is None:
        return _twiml(renderer.goodbye())
    callback, lang = found
    assert callback.id is not None
    return _twiml(
        renderer.screen(lang=lang, caller_lang=callback.language, callback_id=callback.id)
    )


async def callback_connect(request: Request) -> Response:
    """The volunteer pressed a key: on 1, ring the caller from the hotline's number."""
    runtime = runtime_of(request)
    form = await verified_form(request, runtime)
    found = await to_thread.run_sync(_open_callback_row, runtime, request)
    renderer = runtime.callback_renderer
    if found is None or first(form, "Digits") != "1":
        return _twiml(renderer.goodbye())
    callback, lang = found
    caller = callbacks.caller_number(callback, runtime.vault)
    if caller is None or callback.id is None:
        return _twiml(renderer.goodbye())
    return _twiml(
        renderer.connect(
            lang=lang,
            caller_lang=callback.language,
            caller=caller,
            sender=callback.sender,
            callback_id=callback.id,
        )
    )


async def callback_done(request: Request) -> Response:
    """The dial to the caller ended: done if they spoke, open again if they did not."""
    runtime = runtime_of(request)
    form = await verified_form(request, runtime)
    status = first(form, "DialCallStatus") or ""
    lang = await to_thread.run_sync(_close_callback, runtime, request, status == "completed")
    return _twiml(runtime.callback_renderer.goodbye(lang=lang))


routes = [
    Route(callbacks.CALLBACK_PATH, callback_call, methods=["POST"]),
    Route(callbacks.CALLBACK_CONNECT_PATH, callback_connect, methods=["POST"]),
    Route(callbacks.CALLBACK_DONE_PATH, callback_done, methods=["POST"]),
    Route(VOICE_PATH, incoming_call, methods=["POST"]),
    Route(NEXT_PATH, next_step, methods=["POST"]),
    Route(STATUS_PATH, call_status, methods=["POST"]),
    Route(SCREEN_PATH, screen, methods=["POST"]),
    Route(ACCEPT_PATH, screen_answer, methods=["POST"]),
    Route(LEG_PATH, leg_status, methods=["POST"]),
]


@dataclass(frozen=True, slots=True)
class RecordCallFields:
    """What to merge into a call record (see RecordCall)."""

    language: str | None = None
    urgent: bool = False
    tier: int | None = None
    rang: bool = False
    accepted_by: int | None = None
    outcome: str | None = None


def open_callback(
    runtime: Runtime, call_sid: str, caller: str, sender: str, lang: str
) -> callbacks.OpenCallback:
    """The write that opens a callback and texts the volunteers who should hear of it."""
    now = datetime.now(UTC)
    settings = runtime.settings
    alerts = callbacks.alert_list(
        runtime.roster.snapshot.on_call(now),
        language=lang,
        enabled=runtime.catalogs.languages,
        phone=runtime.open_phone,
    )
    if not alerts and settings.backup_number:
        alerts = [callbacks.Alert(callbacks.BACKUP_VOLUNTEER, settings.backup_number, lang)]
    return callbacks.OpenCallback(
        call_ref=_call_ref(runtime, call_sid)[0],
        caller=caller,
        sender=sender,
        language=lang,
        alerts=tuple(alerts),
        texts=runtime.callback_texts(ALERT),
        at=now,
        expires_in=timedelta(minutes=settings.callback_expiry_minutes),
        realert_in=timedelta(minutes=settings.callback_realert_minutes),
    )


def _callback_id(request: Request) -> int | None:
    value = parse_query(request.url.query).get("cb", "")
    return int(value) if value.isdigit() else None


def _open_callback_row(runtime: Runtime, request: Request) -> tuple[Callback, str] | None:
    """The claimed callback a callback call is about, and the language to speak to the
    volunteer (their first; the default for the backup)."""
    callback_id = _callback_id(request)
    if callback_id is None:
        return None
    with Session(runtime.engine, expire_on_commit=False) as session:
        callback = session.get(Callback, callback_id)
    if callback is None or callback.status != "claimed":
        return None
    return callback, _volunteer_language(runtime, callback.claimed_by)


def _close_callback(runtime: Runtime, request: Request, spoke: bool) -> str | None:
    """End the callback (the sealed number with it) or open it again; the volunteer's
    language when they should hear that the caller did not answer."""
    callback_id = _callback_id(request)
    if callback_id is None:
        return None
    now = datetime.now(UTC)
    with transaction(runtime.engine) as session:
        callback = session.get(Callback, callback_id)
        if callback is None or callback.status != "claimed":
            return None
        lang = _volunteer_language(runtime, callback.claimed_by)
        if spoke:
            callbacks.finish(session, callback=callback, status="done", now=now)
            return None
        callbacks.release(session, callback=callback, now=now)
        return lang


def _volunteer_language(runtime: Runtime, volunteer_id: int | None) -> str:
    person = runtime.roster.snapshot.people.get(volunteer_id or 0)
    return first_spoken(
        person.languages if person else (),
        runtime.catalogs.languages,
        fallback=runtime.settings.default_language,
    )


def _call_ref(runtime: Runtime, call_sid: str) -> tuple[str, int]:
    """The call's pseudonym and the key epoch it is under."""
    epoch = runtime.keyring.current_epoch()
    return runtime.keyring.pseudonym(call_sid, epoch=epoch, purpose="call"), epoch


def _record_call(runtime: Runtime, call_ref: str, fields: RecordCallFields) -> None:
    runtime.recorder.record([RecordCall(call_ref, datetime.now(UTC), **asdict(fields))])


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
        backup_number=settings.backup_number,
        can_call_back=can_call_back,
        phone=runtime.open_phone,
    )


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
    call_ref, epoch = _call_ref(runtime, call_sid)
    for note in reply.notes:
        fields = _call_record_fields(note, reply.lang)
        if fields is not None:
            _record_call(runtime, call_ref, fields)
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


def _call_record_fields(note: flow.Note, lang: str | None) -> RecordCallFields | None:
    """What an urgent call's note means for its call record."""
    if note.kind == "urgent.tier" and note.detail:
        tier, _, kind = note.detail.partition(":")
        outcome = "callback_offered" if kind == "callback" else None
        return RecordCallFields(language=lang, urgent=True, tier=int(tier), outcome=outcome)
    if note.kind == "urgent.result" and note.detail and note.detail.endswith(":completed"):
        return RecordCallFields(outcome="connected")
    if note.kind == "urgent.exhausted":
        return RecordCallFields(language=lang, urgent=True, outcome="unanswered")
    if note.kind == "callback.asked":
        return RecordCallFields(outcome="callback_asked")
    return None


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
    now = datetime.now(UTC)
    for effect in effects:
        if isinstance(effect, flow.ReportSighting):
            # A hidden number reports too; only a number a text can reach is kept.
            runtime.recorder.record([_report(runtime, hook, caller, effect, now)])
    if not caller:
        return
    keyring = runtime.keyring
    epoch = keyring.current_epoch(now)
    for effect in effects:
        if isinstance(effect, flow.RememberLanguage):
            if runtime.settings.remember_language_days == 0:
                continue
            key = keyring.pseudonym(caller, epoch=epoch)
            runtime.preferences.remember(key, effect.lang, now)
            runtime.recorder.record([Remember(key, epoch, effect.lang, now)])
        elif isinstance(effect, flow.RequestCallback) and hook.hotline_number:
            runtime.recorder.record(
                [open_callback(runtime, hook.call_sid, caller, hook.hotline_number, effect.lang)]
            )
        elif isinstance(effect, flow.TextRights) and hook.hotline_number:
            call_ref, _ = _call_ref(runtime, hook.call_sid)
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


def _report(
    runtime: Runtime,
    hook: VoiceWebhook,
    caller: str | None,
    effect: flow.ReportSighting,
    now: datetime,
) -> reports.SubmitReport:
    """The write that keeps a report taken on this call and calls responders out."""
    sighting = reports.Sighting(
        kind=effect.kind,
        place=effect.zip,
        ongoing=effect.ongoing,
        language=effect.lang,
        channel=Channel.VOICE,
        reporter=caller if textable(caller) else None,
        line=hook.hotline_number,
        zip_code=effect.zip or None,
    )
    return reports.SubmitReport(runtime.rapid, sighting, now)


def _fallback(runtime: Runtime, lang: str, form: dict[str, list[str]]) -> Response:
    reply = flow.fallback(lang, runtime.hotline)
    try:
        return _twiml(runtime.renderer.render(reply.intents, first(form, "To")))
    except Exception:
        log.exception("fallback rendering failed; answering with the static fallback")
        return _twiml(runtime.static_fallback)


def _twiml(xml: str) -> Response:
    return Response(content=xml, media_type=XML)
