"""The language registry, read from locales/languages.toml."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hotline.errors import CatalogError

REGISTRY_FILE = "languages.toml"


@dataclass(frozen=True, slots=True)
class Language:
    """One language the hotline can speak or write."""

    code: str
    name: str
    endonym: str
    digit: str
    say_language: str
    voice: str
    audio_only: bool = False


def load_registry(locales_dir: Path) -> dict[str, Language]:
    """Every language in the registry file, by code."""
    path = locales_dir / REGISTRY_FILE
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CatalogError(f"cannot read the language registry {path}: {error}") from error
    languages: dict[str, Language] = {}
    for code, entry in raw.items():
        try:
            languages[code] = Language(code=code, **entry)
        except TypeError as error:
            raise CatalogError(f"{path}: entry [{code}] is malformed: {error}") from error
    digits = [language.digit for language in languages.values()]
    if len(set(digits)) != len(digits):
        raise CatalogError(f"{path}: two languages share a menu digit")
    return languages


def select(registry: dict[str, Language], codes: Iterable[str]) -> list[Language]:
    """The registry entries for `codes`, in that order."""
    chosen = []
    for code in codes:
        if code not in registry:
            raise CatalogError(f"language {code!r} is not in the registry")
        chosen.append(registry[code])
    return chosen
