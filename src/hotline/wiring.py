"""How the text channel and the spool are put together from the runtime: the pieces a text
needs, what the spool keeps and how it applies it. Called by `app.build_runtime` and
`app.create_app`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import phonenumbers
from sqlmodel import Session

from hotline.callers.service import Remember
from hotline.config import Settings
from hotline.db import transaction
from hotline.deps import Runtime
from hotline.events.recorder import PendingEvent, apply_writes
from hotline.events.spool import Apply, Codec
from hotline.i18n import catalogs as catalog_loader
from hotline.i18n.detect import LanguageGuess
from hotline.i18n.languages import Language
from hotline.i18n.translator import Translator
from hotline.outbox import service as outbox_service
from hotline.outbox.caps import RightsCounted
from hotline.outbox.deletions import DeleteFromCarrier
from hotline.outbox.service import StatusReport
from hotline.rapid import alerts as rapid_alerts
from hotline.rapid.commands import CommandWords
from hotline.rapid.recognise import SightingWords
from hotline.rights import resources
from hotline.routing.service import RecordCall
from hotline.sms import messages as sms_messages
from hotline.sms.answering import Answering
from hotline.sms.cases import Cases
from hotline.sms.conversation import Conversation
from hotline.sms.fast import FastPath
from hotline.sms.flow import SmsHotline, language_menu, sms_digits
from hotline.sms.flow import Text as SmsText
from hotline.sms.inbound import Incoming
from hotline.sms.promises import DeferredText
from hotline.sms.rapid_texts import RapidTexts
from hotline.sms.report_flow import ReportTexts
from hotline.sms.service import ReceivedText
from hotline.sms.texting import Texting
from hotline.sms.volunteers import Volunteers
from hotline.voice.effects import promise_builders as voice_promises
from hotline.voice.promises import CallbackRequest, ReportRequest, RightsRequest

log = logging.getLogger(__name__)


def spool_codec() -> Codec:
    """Every write the spool may hold: the promises and the webhooks' bookkeeping."""
    codec = Codec()
    codec.register(
        RightsRequest,
        CallbackRequest,
        ReportRequest,
        DeferredText,
        PendingEvent,
        RecordCall,
        Remember,
        ReceivedText,
        StatusReport,
        DeleteFromCarrier,
        RightsCounted,
    )
    return codec


def spool_apply(runtime: Runtime) -> Apply:
    """How the spool applies what it holds: each promise as the write that keeps it."""
    builders = voice_promises(runtime)
    builders[DeferredText] = runtime.texting.act_later

    def apply(session: Session, writes: Sequence[object]) -> None:
        built = [builders.get(type(write), _same)(write) for write in writes]
        apply_writes(session, built)

    return apply


def _same(write: object) -> object:
    return write


def texting(runtime: Runtime) -> Texting:
    """The text channel, from the parts of `runtime` it uses."""
    settings, catalogs = runtime.settings, runtime.catalogs

    def render(text: SmsText) -> str:
        if text.message is None or text.lang is None:
            return text.raw
        return catalogs.translator(text.lang)(text.message, **dict(text.params))

    cases = Cases(alerts=runtime.alerts, idle=timedelta(minutes=settings.sms_case_idle_minutes))
    reports = RapidTexts(rapid=runtime.rapid, memory=runtime.sms_memory)
    shared = Answering(
        memory=runtime.sms_memory,
        preferences=runtime.preferences,
        keyring=runtime.keyring,
        roster=runtime.roster,
        hotline=runtime.sms,
        render=render,
        reply_cap=settings.sms_reply_cap,
        countries=frozenset(settings.sms_countries),
        rights=runtime.rights_ledger,
        rights_per_day=settings.rights_texts_per_day,
    )
    return Texting(
        engine=runtime.engine,
        keyring=runtime.keyring,
        roster=runtime.roster,
        volunteer_key=runtime.vault.volunteer_key,
        fast=FastPath(
            shared=shared, recorder=runtime.recorder, volunteer_key=runtime.vault.volunteer_key
        ),
        conversation=Conversation(
            engine=runtime.engine,
            shared=shared,
            cases=cases,
            reports=reports,
            deadline_ms=settings.database_deadline_ms,
        ),
        volunteers=Volunteers(
            alerts=runtime.alerts,
            cases=cases,
            callbacks=runtime.callbacks,
            roster=runtime.roster,
            zone=settings.zone,
            rapid=runtime.rapid,
            memory=runtime.sms_memory,
            fan_out=lambda: rapid_alerts.fan_out_soon(runtime.engine, rapid=runtime.rapid),
        ),
        cases=cases,
        cannot_answer=lambda text: _cannot_answer(runtime, text),
        send_later=lambda text, parts: _send_later(runtime, text, parts),
        deadline_ms=settings.database_deadline_ms,
    )


def _cannot_answer(runtime: Runtime, text: Incoming) -> str:
    """The text that tells a texter nothing can be done now, and whom to call: in the
    language they chose before, else the one their keyword is in (AYUDA: Spanish)."""
    keys = runtime.keyring.pseudonyms(text.sender)
    keyword = runtime.sms.keyword(text.body, None)
    lang = (
        runtime.preferences.language(keys)
        or (keyword[1] if keyword else None)
        or runtime.settings.default_language
    )
    backup = runtime.settings.backup_number or ""
    return runtime.catalogs.translator(lang)(sms_messages.FALLBACK, number=backup)


def _send_later(runtime: Runtime, text: Incoming, parts: Sequence[str]) -> None:
    """What a text deserved, sent by text after its webhook answered otherwise."""
    now = datetime.now(UTC)
    with transaction(runtime.engine) as session:
        outbox_service.texts(
            vault=runtime.vault,
            keyring=runtime.keyring,
            sender=text.to,
            recipient=text.sender,
            parts=parts,
            purpose="reply",
            language=None,
            key=f"reply:{text.sid}",
            now=now,
            expires_in=timedelta(minutes=runtime.settings.sms_expiry_minutes),
        ).apply(session)


def sms_hotline(
    settings: Settings,
    catalogs: catalog_loader.Catalogs,
    rights_texts: dict[str, tuple[str, ...]],
    listed: tuple[resources.Resource, ...],
    guess: LanguageGuess | None = None,
) -> SmsHotline:
    """The text flow's view of this deployment: one language menu offering every language;
    `guess` tells the language a first text is written in (None: never sure)."""
    enabled = catalogs.languages
    order = [code for code in settings.voice_menu if code in enabled]
    order += [code for code in enabled if code not in order]
    digits = sms_digits([(code, catalogs.language(code).digit) for code in order])
    default = settings.default_language
    first_line = catalogs.translator(default)(sms_messages.LANGUAGE_OPTION, digit=digits[default])
    others = [(digits[code], catalogs.language(code).endonym) for code in order if code != default]
    return SmsHotline(
        languages=enabled,
        digits=digits,
        language_menu=language_menu(first_line, others),
        default_language=default,
        rights=rights_texts,
        resources={code: sms_resources(catalogs.translator(code), listed) for code in enabled},
        reports=ReportTexts(
            words=CommandWords.of(enabled),
            signs=SightingWords.of(enabled),
            guess=guess or _unsure,
            warm=guess.warm if guess is not None else _nothing,
            alerts_words={code: _alerts_words(catalogs.language(code)) for code in enabled},
        ),
    )


def _unsure(_text: str) -> None:
    return None


def _nothing() -> None:
    return None


def _alerts_words(language: Language) -> tuple[str, str]:
    """The words ALERTS and STOP in `language`."""
    alerts = language.command_words("alerts")
    stop = language.words("stop")
    return (alerts[0] if alerts else "ALERTS", stop[0] if stop else "STOP")


def sms_resources(t: Translator, listed: tuple[resources.Resource, ...]) -> list[str]:
    """The local resources as lines of a text message in `t`'s language."""
    frames = {
        "clinic": sms_messages.RESOURCE_CLINIC,
        "emergency": sms_messages.RESOURCE_EMERGENCY,
        "workshop": sms_messages.RESOURCE_WORKSHOP,
    }
    lines = []
    for resource in listed:
        number = phonenumbers.parse(resource.phone, "US")
        phone = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        lines.append(t(frames[resource.kind], name=resource.name, phone=phone))
    return lines
