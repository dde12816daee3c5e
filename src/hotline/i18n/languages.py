"""The language registry: one locales/<code>/language.toml per language."""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from babel import Locale, UnknownLocaleError

from hotline.errors import CatalogError

REGISTRY_FILE = "language.toml"
KEYWORD_KINDS = (
    "stop",
    "start",
    "help",
    "rights",
    "urgent",
    "resources",
    "language",
    "delete",
    "greeting",
)
# Words a text starts with, followed by more: a report, a subscription to alerts
# (and the word asking for corrections too).
COMMAND_KINDS = ("report", "alerts", "corrections")
# Words that make a text look like a report of immigration enforcement, words for a
# street, and words joining two streets ("26th and Pulaski").
SIGHTING_KINDS = ("words", "streets", "joins")


@dataclass(frozen=True, slots=True)
class Language:
    """One language the hotline can speak or write.

    `digit` picks it in the voice language menu ("" keeps it out of the menu);
    `say_language` and `voice` are Twilio's <Say> attributes for it. An
    `audio_only` language has no Twilio voice: its prompts are recordings, and
    a missing one is said by the voice of the `standin` language.
    """

    code: str
    name: str
    endonym: str
    digit: str
    say_language: str
    voice: str
    audio_only: bool = False
    standin: str = ""
    keywords: tuple[tuple[str, tuple[str, ...]], ...] = ()
    commands: tuple[tuple[str, tuple[str, ...]], ...] = ()
    sighting: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # For a language the language guess does not know: everyday words that tell it.
    detect: tuple[str, ...] = ()

    def words(self, kind: str) -> tuple[str, ...]:
        """The SMS keywords of `kind` in this language."""
        return dict(self.keywords).get(kind, ())

    def command_words(self, kind: str) -> tuple[str, ...]:
        """The words of `kind` a text may start with, in this language."""
        return dict(self.commands).get(kind, ())

    def sighting_words(self, kind: str) -> tuple[str, ...]:
        """The words of `kind` ("words", "streets", "joins") that describe a sighting."""
        return dict(self.sighting).get(kind, ())


def _language(code: str, path: Path) -> Language:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CatalogError(f"cannot read {path}: {error}") from error
    keywords = raw.pop("keywords", {})
    unknown = set(keywords) - set(KEYWORD_KINDS)
    if unknown:
        raise CatalogError(f"{path}: unknown keyword kinds {sorted(unknown)}")
    commands = raw.pop("commands", {})
    unknown = set(commands) - set(COMMAND_KINDS)
    if unknown:
        raise CatalogError(f"{path}: unknown command kinds {sorted(unknown)}")
    sighting = raw.pop("sighting", {})
    unknown = set(sighting) - set(SIGHTING_KINDS)
    if unknown:
        raise CatalogError(f"{path}: unknown sighting kinds {sorted(unknown)}")
    detect = raw.pop("detect", {})
    try:
        language = Language(
            code=code,
            keywords=tuple((kind, tuple(words)) for kind, words in sorted(keywords.items())),
            commands=tuple((kind, tuple(words)) for kind, words in sorted(commands.items())),
            sighting=tuple((kind, tuple(words)) for kind, words in sorted(sighting.items())),
            detect=tuple(detect.get("words", ())),
            **raw,
        )
    except TypeError as error:
        raise CatalogError(f"{path} is malformed: {error}") from error
    if language.audio_only and not language.standin:
        raise CatalogError(f"{path}: an audio-only language needs a stand-in voice language")
    if not language.audio_only and not (language.say_language and language.voice):
        raise CatalogError(f"{path}: a spoken language needs say_language and voice")
    return language


def load_registry(locales_dir: Path) -> dict[str, Language]:
    """Every language that has a registry entry under `locales_dir`, by code."""
    languages = {
        path.parent.name: _language(path.parent.name, path)
        for path in sorted(locales_dir.glob(f"*/{REGISTRY_FILE}"))
    }
    digits = [language.digit for language in languages.values() if language.digit]
    if len(set(digits)) != len(digits):
        raise CatalogError(f"{locales_dir}: two languages share a menu digit")
    for language in languages.values():
        if language.standin and language.standin not in languages:
            raise CatalogError(f"{language.code}: stand-in {language.standin!r} is not registered")
    return languages


def select(registry: dict[str, Language], codes: Iterable[str]) -> list[Language]:
    """The registry entries for `codes`, in that order."""
    chosen = []
    for code in codes:
        if code not in registry:
            raise CatalogError(f"language {code!r} is not in the registry")
        chosen.append(registry[code])
    return chosen


def language_name(code: str, registry: dict[str, Language], *, in_language: str) -> str:
    """The name of language `code` in language `in_language`, from CLDR when it knows it."""
    try:
        name = Locale.parse(in_language).languages.get(code)
    except (ValueError, UnknownLocaleError):
        name = None
    if name:
        return str(name)
    language = registry.get(code)
    return language.endonym if language is not None else code


def first_spoken(codes: Iterable[str], enabled: Collection[str], *, fallback: str) -> str:
    """The first of `codes` the hotline speaks, else `fallback`."""
    return next((code for code in codes if code in enabled), fallback)
