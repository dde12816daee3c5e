"""Compiled catalogs: loaded at start-up, refusing to start without one."""

from __future__ import annotations

import gettext
from pathlib import Path

from hotline.errors import CatalogError
from hotline.i18n.languages import Language, load_registry, select
from hotline.i18n.translator import Translator

DOMAIN = "hotline"
SOURCE_LANGUAGE = "en"


def catalog_path(
    locales_dir: Path, code: str, suffix: str = ".mo", *, domain: str = DOMAIN
) -> Path:
    return locales_dir / code / "LC_MESSAGES" / f"{domain}{suffix}"


class Catalogs:
    """The enabled languages and a translator for each."""

    def __init__(
        self,
        languages: list[Language],
        translators: dict[str, Translator],
        registry: dict[str, Language] | None = None,
    ) -> None:
        self.languages = {language.code: language for language in languages}
        # Every registered language, enabled or not: stand-in voices come from here.
        self.registry = registry or dict(self.languages)
        self._translators = translators

    def translator(self, code: str) -> Translator:
        return self._translators[code]

    def language(self, code: str) -> Language:
        return self.languages[code]


def load(locales_dir: Path, codes: list[str]) -> Catalogs:
    """Load the registry and a compiled catalog for every enabled language.

    Babel and gettext fall back to the source text in silence when a catalog is
    missing; a caller would then hear English after choosing Spanish. So a missing
    or unreadable catalog stops the service, naming the file.
    """
    registry = load_registry(locales_dir)
    languages = select(registry, codes)
    translators = {}
    for language in languages:
        path = catalog_path(locales_dir, language.code)
        try:
            with path.open("rb") as handle:
                translations = gettext.GNUTranslations(handle)
        except OSError as error:
            raise CatalogError(
                f"no compiled catalog for {language.code!r} at {path}: run 'make catalogs'"
            ) from error
        except Exception as error:
            raise CatalogError(f"the catalog {path} is corrupt: {error}") from error
        translators[language.code] = Translator(language.code, translations)
    return Catalogs(languages, translators, registry)
