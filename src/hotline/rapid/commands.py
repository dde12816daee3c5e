"""The rapid-response words a text can start with, parsed (pure).

Responders reply in English whatever language they read: `GO 1234`, `CONFIRMED 1234`,
`NOTICE 1234` (not immigration enforcement), `GONE 1234`, `UNSURE 1234`. Anyone can
text `ALERTS 60623 [60608 …]` (or its translation) to subscribe, `ALERTS STOP` to stop,
and `REPORT` (`REPORTE`, `ZGŁOŚ`, …) alone or followed by what they saw. The words of
each language are in its `locales/<code>/language.toml`, under `[commands]`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from hotline.i18n.languages import Language

MAX_ZIPS = 10
ZIP = re.compile(r"\d{5}")
_SEPARATORS = re.compile(r"[\s,;、，]+")
_TRAILING = ".!?¡¿,;:'\"()"
_RESPONDER = re.compile(
    r"\s*(GO|CONFIRMED|NOTICE|GONE|UNSURE)\s*#?\s*(\d{4,6})\s*[.!]?\s*", re.IGNORECASE
)


def normalize(text: str) -> str:
    """Text as command words are matched: no accents, upper case, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.upper().split()).strip(_TRAILING).strip()


class Verb(StrEnum):
    """What a responder says about a call-out."""

    GO = "GO"
    CONFIRMED = "CONFIRMED"
    NOTICE = "NOTICE"
    GONE = "GONE"
    UNSURE = "UNSURE"


@dataclass(frozen=True, slots=True)
class Command:
    """A responder's reply: a verb and the call-out's code."""

    verb: Verb
    code: str


def parse_responder_command(text: str) -> Command | None:
    """`GO 1234` and the four results, in any case; None for anything else."""
    found = _RESPONDER.fullmatch(unicodedata.normalize("NFKC", text))
    if found is None:
        return None
    return Command(Verb(found.group(1).upper()), found.group(2))


@dataclass(frozen=True)
class CommandWords:
    """Every enabled language's command words, normalized, with the language they are in."""

    report: Mapping[str, str]
    alerts: Mapping[str, str]
    corrections: frozenset[str]
    stop: frozenset[str]

    @classmethod
    def of(cls, languages: Mapping[str, Language]) -> CommandWords:
        """The words of `languages`; where two share a word, the first listed keeps it."""
        report: dict[str, str] = {}
        alerts: dict[str, str] = {}
        corrections: set[str] = set()
        stop = {"STOP"}
        for code, language in languages.items():
            for word in language.command_words("report"):
                report.setdefault(normalize(word), code)
            for word in language.command_words("alerts"):
                alerts.setdefault(normalize(word), code)
            corrections.update(normalize(word) for word in language.command_words("corrections"))
            stop.update(normalize(word) for word in language.words("stop"))
        return cls(report, alerts, frozenset(corrections), frozenset(stop))


def _after_word(text: str, words: Mapping[str, str]) -> tuple[str, str] | None:
    """(language, the rest of `text`) when `text` starts with one of `words`."""
    stripped = text.strip()
    head, _, rest = stripped.partition(" ")
    language = words.get(normalize(head))
    if language is not None:
        return language, rest.strip()
    # Chinese is written without spaces: the word may run straight into the rest.
    for word, code in words.items():
        if _is_cjk(word) and stripped.startswith(word):
            return code, stripped[len(word) :].strip()
    return None


def _is_cjk(word: str) -> bool:
    return bool(word) and all("\u3400" <= char <= "\u9fff" for char in word)


@dataclass(frozen=True, slots=True)
class AlertsCommand:
    """`ALERTS …`: the ZIP codes to subscribe to, or STOP; `valid` is False for anything
    else after the word (then the texter is told how to write it)."""

    language: str
    zips: tuple[str, ...] = ()
    stop: bool = False
    corrections: bool = False
    valid: bool = True


def parse_alerts_command(text: str, words: CommandWords) -> AlertsCommand | None:
    """The alerts command `text` is, or None when it does not start with an alerts word."""
    found = _after_word(text, words.alerts)
    if found is None:
        return None
    language, rest = found
    tokens = [normalize(token) for token in _SEPARATORS.split(rest) if token.strip(_TRAILING)]
    if tokens and all(token in words.stop for token in tokens):
        return AlertsCommand(language, stop=True)
    zips: list[str] = []
    corrections = False
    for token in tokens:
        if token in words.corrections:
            corrections = True
        elif ZIP.fullmatch(token):
            if token not in zips:
                zips.append(token)
        else:
            return AlertsCommand(language, valid=False)
    if not zips or len(zips) > MAX_ZIPS:
        return AlertsCommand(language, valid=False)
    return AlertsCommand(language, tuple(zips), corrections=corrections)


@dataclass(frozen=True, slots=True)
class ReportCommand:
    """`REPORT …`: the words after it (empty when the texter sent the word alone)."""

    language: str
    text: str


def parse_report_command(text: str, words: CommandWords) -> ReportCommand | None:
    """The report command `text` is, or None when it does not start with a report word."""
    found = _after_word(text, words.report)
    if found is None:
        return None
    return ReportCommand(*found)


def zip_in(text: str) -> str | None:
    """The first five-digit number standing alone in `text`: the likely ZIP code."""
    found = re.search(r"(?<!\d)\d{5}(?!\d)", text)
    return found.group(0) if found else None
