"""The text conversation as a pure function: who is texting, what they sent, what to answer.

Keywords work in every language, in any case and without accents, and only as the
whole message ("STOP this bill" is not an opt-out). Opt-out words beat everything.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from hotline.i18n.languages import Language
from hotline.sms import messages, report_flow
from hotline.sms.effects import (
    DURABLE,
    AskForHelp,
    CountRights,
    DropDraft,
    Effect,
    FileReport,
    Forget,
    KeepDraft,
    OptIn,
    OptOut,
    Relay,
    RememberLanguage,
    Reply,
    Subscribe,
    Text,
    Unsubscribe,
)

__all__ = [
    "DURABLE", "AskForHelp", "CountRights", "DropDraft", "Effect", "FileReport", "Forget",
    "KeepDraft", "OptIn", "OptOut", "Relay", "RememberLanguage", "Reply", "Subscribe", "Text",
    "Unsubscribe",
]  # fmt: skip

# Twilio answers these itself on a long code: a second confirmation from us would
# be one text too many.
TWILIO_ANSWERS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT",
     "START", "YES", "UNSTOP"}
)  # fmt: skip
_TRAILING = ".!?¡¿,;:'\"()"


def normalize(text: str) -> str:
    """A message as keywords are matched: no accents, upper case, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.upper().split()).strip(_TRAILING).strip()


@dataclass(frozen=True, slots=True)
class Texter:
    """What the hotline knows of whoever is texting: a language, whether they opted out,
    and whether they may still be sent the rights today."""

    language: str | None = None
    opted_out: bool = False
    rights_left: bool = True
    # A report by text under way.
    draft: report_flow.Draft | None = None


@dataclass(frozen=True, slots=True)
class Inbound:
    """A text as the flow sees it: its words and how many pictures came with it."""

    body: str
    media: int = 0


def _remember(lang: str | None) -> tuple[Effect, ...]:
    return (RememberLanguage(lang),) if lang is not None else ()


@dataclass(frozen=True)
class SmsHotline:
    """What the text flow needs to know about this deployment."""

    languages: Mapping[str, Language]
    # Per language, the number that picks it by text (every enabled language has one).
    digits: Mapping[str, str]
    # The language menu: one text offering every language, built at start-up.
    language_menu: str
    default_language: str
    # Per language: the rights as numbered text messages.
    rights: Mapping[str, Sequence[str]]
    # Per language: the local resources, one line each, ready to send.
    resources: Mapping[str, Sequence[str]]
    # Reports and alerts by text.
    reports: report_flow.ReportTexts

    @cached_property
    def _index(self) -> dict[str, list[tuple[str, str]]]:
        """Every keyword, normalized, to the (kind, language) pairs it means."""
        index: dict[str, list[tuple[str, str]]] = {}
        for code, language in self.languages.items():
            for kind, words in language.keywords:
                for word in words:
                    index.setdefault(normalize(word), []).append((kind, code))
        return index

    def keyword(self, text: str, prefer: str | None) -> tuple[str, str] | None:
        """(kind, language) of a message that is exactly a keyword, the texter's
        language winning where languages share a word."""
        meanings = self._index.get(normalize(text))
        if not meanings:
            return None
        for kind, code in meanings:
            if code == prefer:
                return kind, code
        return meanings[0]

    def first_word(self, lang: str, kind: str) -> str:
        words = self.languages[lang].words(kind) or self.languages[self.default_language].words(
            kind
        )
        return words[0] if words else kind.upper()


def respond(texter: Texter, inbound: Inbound, hotline: SmsHotline) -> Reply:
    """The answer to `inbound` from `texter`: opt-outs first, then what they asked for."""
    found = hotline.keyword(inbound.body, texter.language)
    kind, said_in = found if found else ("", None)
    if kind in ("stop", "start"):
        assert said_in is not None
        return _opt(kind, said_in, inbound, hotline)
    if texter.opted_out:
        return Reply()
    if kind == "delete":
        lang = texter.language or said_in
        assert lang is not None
        return Reply((Text(messages.DELETED, lang),), (Forget(),))
    reply = None
    if not found:
        reply = report_flow.command(inbound.body, hotline.reports, known=texter.language)
    if reply is None and not found and texter.draft is not None:
        reply = report_flow.go_on(texter.draft, inbound.body)
    if reply is None:
        reply = _answer(texter, inbound, hotline, kind, said_in)
    if texter.draft is not None and not any(
        reply.has(effect) for effect in (KeepDraft, DropDraft, FileReport)
    ):
        # Anything else ends a report under way.
        reply = Reply(reply.texts, (DropDraft(), *reply.effects))
    return reply


def _answer(
    texter: Texter, inbound: Inbound, hotline: SmsHotline, kind: str, said_in: str | None
) -> Reply:
    """A keyword's answer, a language chosen, or what the hotline offers."""
    lang = texter.language or said_in
    if lang is None:
        chosen = _menu_choice(inbound.body, hotline)
        if chosen is not None:
            return Reply(_menu(chosen, hotline), (RememberLanguage(chosen),))
        return _first_text(inbound, hotline)
    remember = _remember(lang if texter.language is None else None)
    if kind == "urgent":
        return Reply(_menu(lang, hotline), (*remember, AskForHelp(lang)))
    # In an open case every other text goes to the volunteer instead (the applier knows).
    relay = (Relay(lang),)
    if kind == "rights":
        if not texter.rights_left:
            return Reply((Text(messages.RIGHTS_SENT_TODAY, lang),), (*remember, *relay))
        return Reply(_rights(lang, hotline), (*remember, CountRights(), *relay))
    if kind in ANSWERS:
        return Reply(ANSWERS[kind](lang, hotline), (*remember, *relay))
    if texter.language is not None:
        chosen = _menu_choice(inbound.body, hotline)
        if chosen is not None and chosen != texter.language:
            # In a conversation a digit is an answer, not a language: the relay goes first.
            return Reply(_menu(chosen, hotline), (*relay, RememberLanguage(chosen)))
        if not kind and report_flow.recognise(inbound.body, hotline.reports, known=lang).sighting:
            return report_flow.offer(inbound.body, lang, known=lang)
    # Anything else, pictures: what the hotline offers, and to call.
    return Reply(_menu(lang, hotline), (*remember, *relay))


def _first_text(inbound: Inbound, hotline: SmsHotline) -> Reply:
    """A first text that is no keyword: answered in the language it is written in when
    that is clear (with the offer to report it, when it reads like a report), else the
    language menu."""
    found = report_flow.recognise(inbound.body, hotline.reports, known=None)
    if found.lang is None or found.lang not in hotline.languages:
        return Reply((Text(raw=hotline.language_menu),))
    if found.sighting:
        return report_flow.offer(inbound.body, found.lang, known=None)
    return Reply(_menu(found.lang, hotline), (RememberLanguage(found.lang),))


def _opt(kind: str, said_in: str, inbound: Inbound, hotline: SmsHotline) -> Reply:
    """STOP and START in any language; Twilio answers its own words itself."""
    effect: Effect = OptOut() if kind == "stop" else OptIn()
    if normalize(inbound.body) in TWILIO_ANSWERS:
        return Reply((), (effect,))
    if kind == "stop":
        start = hotline.first_word(said_in, "start")
        return Reply((Text(messages.OPTED_OUT, said_in, (("start", start),)),), (effect,))
    return Reply((Text(messages.OPTED_IN, said_in),), (effect,))


def _rights(lang: str, hotline: SmsHotline) -> tuple[Text, ...]:
    return tuple(Text(raw=part) for part in hotline.rights[lang])


def _resources(lang: str, hotline: SmsHotline) -> tuple[Text, ...]:
    lines = "\n".join(hotline.resources[lang])
    intro = Text(messages.RESOURCES_INTRO, lang)
    return (intro, Text(raw=lines)) if lines else (intro,)


def _help(lang: str, hotline: SmsHotline) -> tuple[Text, ...]:
    return (Text(messages.INFO, lang, (("stop", hotline.first_word(lang, "stop")),)),)


def _languages(_lang: str, hotline: SmsHotline) -> tuple[Text, ...]:
    return (Text(raw=hotline.language_menu),)


ANSWERS: dict[str, Callable[[str, SmsHotline], tuple[Text, ...]]] = {
    "resources": _resources,
    "help": _help,
    "language": _languages,
}


def _menu_choice(body: str, hotline: SmsHotline) -> str | None:
    """The language picked by replying with its menu number."""
    word = normalize(body)
    for code, digit in hotline.digits.items():
        if word == digit:
            return code
    return None


def language_menu(first_line: str, others: Sequence[tuple[str, str]]) -> str:
    """One text offering every language: `first_line` (the default language's own
    sentence), then one short line per other language, "2 Español"."""
    return "\n".join([first_line, *(f"{digit} {name}" for digit, name in others)])


def sms_digits(menu: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Per language code, its number by text: its voice menu key, else the next free one."""
    taken = {digit for _, digit in menu if digit}
    spare = (str(n) for n in [0, *range(10, 100)] if str(n) not in taken)
    return {code: digit or next(spare) for code, digit in menu}


def _menu(lang: str, hotline: SmsHotline) -> tuple[Text, ...]:
    words = {
        kind: hotline.first_word(lang, kind) for kind in ("rights", "resources", "language", "help")
    }
    return (Text(messages.MENU, lang, tuple(sorted(words.items()))),)
