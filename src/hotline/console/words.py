"""The console's own words: gettext domain "console", apart from the callers' catalogs.

Callers' sentences must exist in every enabled language; the console's are for
coordinators and volunteers, and exist in the languages that have a console catalog
(`locales/<code>/LC_MESSAGES/console.po`: English and Spanish at least). A user's choice
wins, then the browser's Accept-Language, then English.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from hotline.errors import CatalogError

DOMAIN = "console"
SOURCE = "en"
# The name of each console language in itself, for the language switch.
ENDONYMS = {"en": "English", "es": "Español"}


def _l(text: str) -> str:
    """Mark `text` for the console catalog; it is translated when a page shows it."""
    return text


@dataclass(frozen=True)
class Words:
    """The console's words in one language, for templates (escaped) and for plain text."""

    code: str
    translations: gettext.NullTranslations

    def __call__(self, text: str, **params: object) -> Markup:
        """`text` translated, `params` escaped into it."""
        translated = Markup(self.translations.gettext(text))  # noqa: S704 - catalogs are ours
        return translated % params if params else translated

    def n(self, singular: str, plural: str, count: int, **params: object) -> Markup:
        """The form of `singular`/`plural` for `count`, which is also `%(count)s`."""
        translated = Markup(self.translations.ngettext(singular, plural, count))  # noqa: S704
        return translated % {"count": count, **params}

    def plain(self, text: str, **params: object) -> str:
        """`text` translated, for a file rather than a page."""
        translated = self.translations.gettext(text)
        return translated % params if params else translated


class ConsoleWords:
    """Every console language's words, and the choice of one for a request."""

    def __init__(self, catalogs: dict[str, gettext.NullTranslations]) -> None:
        self._words = {code: Words(code, t) for code, t in catalogs.items()}

    @property
    def languages(self) -> list[str]:
        return sorted(self._words, key=lambda code: (code != SOURCE, code))

    def get(self, code: str) -> Words:
        return self._words.get(code) or self._words[SOURCE]

    def choose(self, chosen: str | None, accept_language: str | None) -> str:
        """The user's choice if the console has it, else the browser's best, else English."""
        if chosen in self._words:
            return chosen
        for tag in _preferred(accept_language or ""):
            if tag in self._words:
                return tag
        return SOURCE


def _preferred(header: str) -> list[str]:
    """The primary language subtags of an Accept-Language header, most wanted first."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        primary = tag.strip().split("-")[0].lower()
        if primary and primary != "*" and weight > 0:
            ranked.append((-weight, index, primary))
    return list(dict.fromkeys(tag for _, _, tag in sorted(ranked)))


def load(locales_dir: Path) -> ConsoleWords:
    """Every console catalog under `locales_dir`; a .po without its compiled .mo stops the
    service, as a missing caller catalog does (gettext would fall back to English)."""
    catalogs: dict[str, gettext.NullTranslations] = {SOURCE: gettext.NullTranslations()}
    for po in sorted(locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        code = po.parent.parent.name
        mo = po.with_suffix(".mo")
        try:
            with mo.open("rb") as handle:
                catalogs[code] = gettext.GNUTranslations(handle)
        except OSError as error:
            raise CatalogError(f"no compiled console catalog at {mo}: run 'make'") from error
    return ConsoleWords(catalogs)
