"""The voice webhooks: signed form in, TwiML out, never an error page."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from anyio import to_thread
from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hotline.callbacks import service as callbacks
from hotline.callers.service import Remember
from hotline.db import transaction
from hotline.deps import Runtime, runtime_of, verified_form
from hotline.events.recorder import PendingEvent
from hotline.events.spool import SpoolError
from hotline.i18n.languages import first_spoken
from hotline.models import ClaimStatus, OutboxMessage
from hotline.outbox import service as outbox_service
from hotline.outbox.caps import RightsText
from hotline.outbox.deletions import deletion
from hotline.rapid import reports
from hotline.rapid.kinds import Channel, ReportKind
from hotline.routing.escalation import Plan, plan
from hotline.routing.service import RecordCall
from hotline.telephony.numbers import region, textable
from hotline.telephony.webhooks import CallStatus, VoiceWebhook, first, parse_query
from hotline.voice import flow, intents
from hotline.voice.promises import CallbackRequest, ReportRequest, RightsRequest
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
        caller_keys = _caller_keys(runtime, first(form, "From"))
        # Caller ID is trivially spoofed: what a caller hears depends on what is held
        # under their number only when the carrier vouches for it, or anyone with a list
        # of numbers could learn which of them called, and in which language.
        incoming = intents.Incoming(
            line_language=runtime.settings.line_languages.get(hook.hotline_number or ""),
            remembered=_remembered(runtime, caller_keys) if hook.attested else None,
            attested=hook.attested,
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
        _record(runtime, hook.call_sid, reply)
        if reply.effects:
            kept = await to_thread.run_sync(
                _carry_out_safely, runtime, hook, first(form, "From"), reply.effects, attested
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
        _record(runtime, status.call_sid, intents.Reply((), None, (note,)))
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
    _record_call(runtime, _call_ref(runtime, parent)[0], RecordCallFields(accepted_by=leg[2]))
    _record(
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
            _record_call(runtime, _call_ref(runtime, parent)[0], RecordCallFields(rang=True))
        note = intents.Note("leg.status", f"{leg[:8]}:{status[:16]}")
        _record(runtime, parent, intents.Reply((), None, (note,)))
        _forget_call(runtime, first(form, "CallSid") or "", status)
    return Response(status_code=204)


async def callback_call(request: Request) -> Response:
    """The hotline called a volunteer back for a caller: screen them first."""
    runtime = runtime_of(request)
    form = await verified_form(request, runtime)
    found = await to_thread.run_sync(_open_callback_row, runtime, request, form)
    renderer = runtime.callback_renderer
    if found is None:
        return _twiml(renderer.goodbye())
    held, lang = found
    callback = held.callback
    assert callback.id is not None
    return _twiml(
        renderer.screen(lang=lang, caller_lang=callback.language, callback_id=callback.id)
    )


async def callback_connect(request: Request) -> Response:
    """The volunteer pressed a key: on 1, ring the caller from the hotline's number."""
    runtime = runtime_of(request)
    form = await verified_form(request, runtime)
    found = await to_thread.run_sync(_open_callback_row, runtime, request, form)
    renderer = runtime.callback_renderer
    if found is None or first(form, "Digits") != "1":
        return _twiml(renderer.goodbye())
    held, lang = found
    callback = held.callback
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
    spoke = status == "completed"
    lang = await to_thread.run_sync(_close_callback, runtime, request, form, spoke)
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


def open_callback(runtime: Runtime, promise: CallbackRequest) -> callbacks.OpenCallback:
    """The write that opens a callback and texts the volunteers who should hear of it."""
    now = datetime.now(UTC)
    return runtime.callbacks.open(
        call_ref=promise.call_ref,
        caller=promise.caller,
        sender=promise.sender,
        language=promise.lang,
        on_call=runtime.roster.snapshot.on_call(now),
        now=now,
    )


def _callback_id(request: Request) -> int | None:
    value = parse_query(request.url.query).get("cb", "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def _placed_by_us(
    session: Session, runtime: Runtime, form: dict[str, list[str]], callback_id: int
) -> bool:
    """Whether this request is about the very call the hotline placed for the callback:
    a signed request about any other call (a replayed one, say) is not."""
    call_sid = first(form, "CallSid") or ""
    ref = outbox_service.carrier_ref(runtime.vault, call_sid)
    placed = session.exec(
        select(OutboxMessage.idempotency_key)
        .where(OutboxMessage.carrier_ref == ref)
        .where(OutboxMessage.kind == "call")
    ).first()
    return bool(call_sid) and placed is not None and f":callback:{callback_id}:call:" in placed


def _open_callback_row(
    runtime: Runtime, request: Request, form: dict[str, list[str]]
) -> tuple[callbacks.Held, str] | None:
    """The claimed callback a callback call is about, and the language to speak to the
    volunteer (their first; the default for the backup)."""
    callback_id = _callback_id(request)
    if callback_id is None:
        return None
    with Session(runtime.engine, expire_on_commit=False) as session:
        if not _placed_by_us(session, runtime, form, callback_id):
            return None
        held = callbacks.held(session, callback_id)
    if held is None:
        return None
    return held, _volunteer_language(runtime, held.holder.volunteer_id)


def _close_callback(
    runtime: Runtime, request: Request, form: dict[str, list[str]], spoke: bool
) -> str | None:
    """End the callback (the sealed number with it) or open it again; the volunteer's
    language when they should hear that the caller did not answer."""
    callback_id = _callback_id(request)
    if callback_id is None:
        return None
    now = datetime.now(UTC)
    with transaction(runtime.engine) as session:
        if not _placed_by_us(session, runtime, form, callback_id):
            return None
        held = callbacks.held(session, callback_id)
        if held is None:
            return None
        lang = _volunteer_language(runtime, held.holder.volunteer_id)
        if spoke:
            callbacks.finish(session, held=held, status=ClaimStatus.DONE, now=now)
            return None
        callbacks.release(session, held=held, now=now)
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
    sent = runtime.rights_ledger.count(_caller_keys(runtime, caller), datetime.now(UTC))
    return "sent" if sent >= runtime.settings.rights_texts_per_day else "yes"


def _caller_keys(runtime: Runtime, caller: str | None) -> list[str]:
    """The caller's pseudonyms under every live key, the current epoch's first; none for
    a withheld number ("anonymous", "restricted"...), which all callers could share."""
    if not textable(caller) or caller is None:
        return []
    keyring = runtime.keyring
    return [keyring.pseudonym(caller, epoch=epoch) for epoch in keyring.live_epochs()]


def _record(
    runtime: Runtime, call_sid: str, reply: intents.Reply, caller_key: str | None = None
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


def _call_record_fields(note: intents.Note, lang: str | None) -> RecordCallFields | None:
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


def _carry_out_safely(
    runtime: Runtime,
    hook: VoiceWebhook,
    caller: str | None,
    effects: tuple[intents.Effect, ...],
    attested: bool,
) -> bool:
    try:
        return _carry_out(runtime, hook, caller, effects, attested=attested)
    except Exception:
        log.exception("could not keep what the caller asked for")
        return False


def _carry_out(
    runtime: Runtime,
    hook: VoiceWebhook,
    caller: str | None,
    effects: tuple[intents.Effect, ...],
    *,
    attested: bool,
) -> bool:
    """Keep what the flow asked for: promises go to the spool on disk before the caller
    hears them. False when a promise could not be kept (the caller is then told).
    A withheld number may report a sighting, but nothing is kept of or for it: every
    such caller would share it."""
    now = datetime.now(UTC)
    promises: list[object] = [
        _report(hook, caller, effect, now)
        for effect in effects
        if isinstance(effect, intents.ReportSighting)
    ]
    if caller is not None and textable(caller):
        promises += _for_the_caller(runtime, hook, caller, effects, attested, now)
    if not promises:
        return True
    try:
        runtime.spool.append(promises)
    except SpoolError:
        log.error("a promise to a caller could not be spooled; the caller is told")
        return False
    return True


def _for_the_caller(
    runtime: Runtime,
    hook: VoiceWebhook,
    caller: str,
    effects: tuple[intents.Effect, ...],
    attested: bool,
    now: datetime,
) -> list[object]:
    """What the caller asked for by number: their language remembered (when the carrier
    vouches for it), the rights by text, a callback."""
    keyring = runtime.keyring
    epoch = keyring.current_epoch(now)
    call_ref, _ = _call_ref(runtime, hook.call_sid)
    sender = hook.hotline_number or ""
    promises: list[object] = []
    for effect in effects:
        if isinstance(effect, intents.RememberLanguage):
            # A spoofed call must not set what the number's owner is answered in.
            if runtime.settings.remember_language_days == 0 or not attested:
                continue
            key = keyring.pseudonym(caller, epoch=epoch)
            runtime.preferences.remember(key, effect.lang, now)
            runtime.recorder.record([Remember(key, epoch, effect.lang, now)])
        elif isinstance(effect, intents.RequestCallback) and sender:
            promises.append(CallbackRequest(caller, sender, effect.lang, call_ref, now))
        elif isinstance(effect, intents.TextRights) and sender:
            promises.append(RightsRequest(caller, sender, effect.lang, call_ref, now))
            runtime.rights_ledger.add(keyring.pseudonym(caller, epoch=epoch), now)
    return promises


def _report(
    hook: VoiceWebhook, caller: str | None, effect: intents.ReportSighting, now: datetime
) -> ReportRequest:
    """A sighting reported on this call; only a number a text can reach is kept."""
    return ReportRequest(
        kind=str(effect.kind),
        zip=effect.zip,
        ongoing=effect.ongoing,
        lang=effect.lang,
        reporter=caller if textable(caller) else None,
        line=hook.hotline_number,
        at=now,
    )


def promise_builders(runtime: Runtime) -> dict[type, Callable[[Any], object]]:
    """How each promise the spool keeps becomes the write that keeps it."""
    return {
        RightsRequest: lambda promise: _rights_text(runtime, promise),
        CallbackRequest: lambda promise: open_callback(runtime, promise),
        ReportRequest: lambda promise: _submit_report(runtime, promise),
    }


def _submit_report(runtime: Runtime, promise: ReportRequest) -> reports.SubmitReport:
    """The write that keeps a report taken by voice and calls responders out."""
    sighting = reports.Sighting(
        kind=ReportKind(promise.kind),
        place=promise.zip,
        ongoing=promise.ongoing,
        language=promise.lang,
        channel=Channel.VOICE,
        reporter=promise.reporter,
        line=promise.line,
        zip_code=promise.zip or None,
    )
    return reports.SubmitReport(runtime.rapid, sighting, promise.at)


def _rights_text(runtime: Runtime, promise: RightsRequest) -> RightsText:
    """The rights by text to the caller, once per call, within the day's cap."""
    keyring = runtime.keyring
    now = datetime.now(UTC)
    enqueue = outbox_service.texts(
        vault=runtime.vault,
        keyring=keyring,
        sender=promise.sender,
        recipient=promise.caller,
        parts=runtime.rights_texts[promise.lang],
        purpose="rights",
        language=promise.lang,
        key=f"rights:{promise.call_ref}",
        now=now,
        expires_in=timedelta(minutes=runtime.settings.sms_expiry_minutes),
    )
    return RightsText(
        enqueue=enqueue,
        keys=tuple(keyring.pseudonyms(promise.caller, at=now)),
        key_epoch=keyring.current_epoch(now),
        per_day=runtime.settings.rights_texts_per_day,
        at=now,
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
