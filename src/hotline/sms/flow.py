"""The text conversation as a pure function: who is texting, what they sent, what to answer.

Keywords work in every language, in any case and without accents, and only as the
whole message ("STOP this bill" is not an opt-out). Opt-out words beat everything.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from hotline.i18n.languages import Language
from hotline.i18n.translator import Msg
from hotline.sms import messages

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
    """What the hotline knows of whoever is texting: a language, and whether they opted out."""

    language: str | None = None
    opted_out: bool = False


@dataclass(frozen=True, slots=True)
class Inbound:
    """A text as the flow sees it: its words and how many pictures came with it."""

    body: str
    media: int = 0


@dataclass(frozen=True, slots=True)
class Text:
    """One message to answer with: a sentence in a language, or text ready to send."""

    message: Msg | None = None
    lang: str | None = None
    params: tuple[tuple[str, str], ...] = ()
    raw: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """What to text back, and what to remember or forget."""

    texts: tuple[Text, ...] = ()
    set_language: str | None = None
    opt_out: bool = False
    opt_in: bool = False
    delete: bool = False
    note: str = ""


@dataclass(frozen=True)
class SmsHotline:
    """What the text flow needs to know about this deployment."""

    languages: Mapping[str, Language]
    menu: Sequence[str]
    default_language: str
    # Per language: the rights as numbered text messages.
    rights: Mapping[str, Sequence[str]]
    # Per language: the local resources, one line each, ready to send.
    resources: Mapping[str, Sequence[str]]

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
    """The answer to `inbound` from `texter`."""
    found = hotline.keyword(inbound.body, texter.language)
    kind, said_in = found if found else ("", None)
    lang = texter.language or said_in
    if kind == "stop":
        assert said_in is not None
        if normalize(inbound.body) in TWILIO_ANSWERS:
            return Reply(opt_out=True, note="sms.stop")
        start = hotline.first_word(said_in, "start")
        reply = Text(messages.OPTED_OUT, said_in, (("start", start),))
        return Reply((reply,), opt_out=True, note="sms.stop")
    if kind == "start":
        assert said_in is not None
        if normalize(inbound.body) in TWILIO_ANSWERS:
            return Reply(opt_in=True, note="sms.start")
        return Reply((Text(messages.OPTED_IN, said_in),), opt_in=True, note="sms.start")
    if texter.opted_out:
        return Reply(note="sms.ignored")
    if kind == "delete":
        assert lang is not None
        return Reply((Text(messages.DELETED, lang),), delete=True, note="sms.delete")
    if lang is None:
        chosen = _menu_choice(inbound.body, hotline)
        if chosen is None:
            return Reply(_language_menu(hotline), note="sms.language_menu")
        return Reply(_menu(chosen, hotline), set_language=chosen, note="sms.language")
    remember = lang if texter.language is None else None
    if kind == "rights":
        parts = tuple(Text(raw=part) for part in hotline.rights[lang])
        return Reply(parts, set_language=remember, note="sms.rights")
    if kind == "resources":
        lines = "\n".join(hotline.resources[lang])
        intro = Text(messages.RESOURCES_INTRO, lang)
        listed = (intro, Text(raw=lines)) if lines else (intro,)
        return Reply(listed, set_language=remember, note="sms.resources")
    if kind == "help":
        stop = hotline.first_word(lang, "stop")
        info = Text(messages.INFO, lang, (("stop", stop),))
        return Reply((info,), set_language=remember, note="sms.help")
    if kind == "language":
        return Reply(_language_menu(hotline), note="sms.language_menu")
    if texter.language is not None:
        chosen = _menu_choice(inbound.body, hotline)
        if chosen is not None and chosen != texter.language:
            return Reply(_menu(chosen, hotline), set_language=chosen, note="sms.language")
    # Urgent words, anything else, pictures: what the hotline offers, and to call.
    note = "sms.urgent" if kind == "urgent" else ("sms.media" if inbound.media else "sms.menu")
    return Reply(_menu(lang, hotline), set_language=remember, note=note)


def _menu_choice(body: str, hotline: SmsHotline) -> str | None:
    """The language picked by replying with its menu digit."""
    word = normalize(body)
    for code in hotline.menu:
        if word == hotline.languages[code].digit:
            return code
    return None


def _language_menu(hotline: SmsHotline) -> tuple[Text, ...]:
    return tuple(
        Text(messages.LANGUAGE_OPTION, code, (("digit", hotline.languages[code].digit),))
        for code in hotline.menu
    )


def _menu(lang: str, hotline: SmsHotline) -> tuple[Text, ...]:
    words = {
        kind: hotline.first_word(lang, kind) for kind in ("rights", "resources", "language", "help")
    }
    return (Text(messages.MENU, lang, tuple(sorted(words.items()))),)
