"""What a call leaves behind: its notes in the event log and the call record, and the
promises made to the caller (the rights by text, a callback, a report), spooled before
the caller hears them and kept by the writes built here."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hotline.callbacks import service as callbacks
from hotline.callers.service import Remember
from hotline.deps import Runtime
from hotline.events.recorder import PendingEvent
from hotline.events.spool import SpoolError
from hotline.outbox import service as outbox_service
from hotline.outbox.caps import RightsText
from hotline.rapid import reports
from hotline.rapid.kinds import Channel, ReportKind
from hotline.routing.service import RecordCall
from hotline.telephony.numbers import textable
from hotline.telephony.webhooks import VoiceWebhook
from hotline.voice import intents
from hotline.voice.promises import CallbackRequest, ReportRequest, RightsRequest

log = logging.getLogger(__name__)


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


def call_pseudonym(runtime: Runtime, call_sid: str) -> tuple[str, int]:
    """The call's pseudonym and the key epoch it is under."""
    epoch = runtime.keyring.current_epoch()
    return runtime.keyring.pseudonym(call_sid, epoch=epoch, purpose="call"), epoch


def record_call(runtime: Runtime, call_ref: str, fields: RecordCallFields) -> None:
    runtime.recorder.record([RecordCall(call_ref, datetime.now(UTC), **asdict(fields))])


def record(
    runtime: Runtime, call_sid: str, reply: intents.Reply, caller_key: str | None = None
) -> None:
    """Queue the reply's notes under pseudonyms; the caller's number goes no further."""
    if not reply.notes:
        return
    call_ref, epoch = call_pseudonym(runtime, call_sid)
    for note in reply.notes:
        fields = _call_record_fields(note, reply.lang)
        if fields is not None:
            record_call(runtime, call_ref, fields)
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


def carry_out_safely(
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
    call_ref, _ = call_pseudonym(runtime, hook.call_sid)
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


def caller_pseudonyms(runtime: Runtime, caller: str | None) -> list[str]:
    """The caller's pseudonyms under every live key, the current epoch's first; none for
    a withheld number ("anonymous", "restricted"...), which all callers could share."""
    if not textable(caller) or caller is None:
        return []
    keyring = runtime.keyring
    return [keyring.pseudonym(caller, epoch=epoch) for epoch in keyring.live_epochs()]
