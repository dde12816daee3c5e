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
    """What the hotline knows of whoever is texting: a language, whether they opted out,
    and whether they may still be sent the rights today."""

    language: str | None = None
    opted_out: bool = False
    rights_left: bool = True


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
class RememberLanguage:
    """Effect: answer this texter in `lang` from now on."""

    lang: str


@dataclass(frozen=True, slots=True)
class OptOut:
    """Effect: send this number nothing more."""


@dataclass(frozen=True, slots=True)
class OptIn:
    """Effect: this number may be texted again."""


@dataclass(frozen=True, slots=True)
class Forget:
    """Effect: delete everything held about this number (its opt-out stays)."""


@dataclass(frozen=True, slots=True)
class AskForHelp:
    """Effect: the texter needs a person; open a case in `lang` for a volunteer."""

    lang: str


@dataclass(frozen=True, slots=True)
class CountRights:
    """Effect: the rights went to this number; it gets them a few times a day at most."""


@dataclass(frozen=True, slots=True)
class Relay:
    """Effect: in an open case, these words go to the volunteer instead of an answer."""

    lang: str


Effect = RememberLanguage | OptOut | OptIn | Forget | AskForHelp | CountRights | Relay
# Effects the memory fast path cannot apply: they take the database path.
DURABLE = (OptOut, OptIn, Forget, AskForHelp)


@dataclass(frozen=True, slots=True)
class Reply:
    """What to text back, and the effects to apply, in order."""

    texts: tuple[Text, ...] = ()
    effects: tuple[Effect, ...] = ()

    @property
    def durable(self) -> bool:
        """Whether an effect must reach the database before the texter is answered."""
        return any(isinstance(effect, DURABLE) for effect in self.effects)

    def has(self, kind: type[Effect]) -> bool:
        return any(isinstance(effect, kind) for effect in self.effects)

    def language(self) -> str | None:
        """The language this reply remembers, if it remembers one."""
        for effect in self.effects:
            if isinstance(effect, RememberLanguage):
                return effect.lang
        return None


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
    lang = texter.language or said_in
    if kind == "delete":
        assert lang is not None
        return Reply((Text(messages.DELETED, lang),), (Forget(),))
    if lang is None:
        chosen = _menu_choice(inbound.body, hotline)
        if chosen is None:
            return Reply((Text(raw=hotline.language_menu),))
        return Reply(_menu(chosen, hotline), (RememberLanguage(chosen),))
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
            return Reply(_menu(chosen, hotline), (RememberLanguage(chosen), *relay))
    # Anything else, pictures: what the hotline offers, and to call.
    return Reply(_menu(lang, hotline), (*remember, *relay))


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
