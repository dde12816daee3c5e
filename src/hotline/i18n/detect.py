"""Which language a first text is written in, when it says so clearly enough.

The guess is lingua-language-detector's (statistical models of 75 languages, chosen for
its accuracy on short texts, and offline), restricted to the enabled languages it
knows. A language it does not know (Haitian Creole) is told by its `[detect]` words in
`language.toml`: two of them in a text decide it.

Short texts mislead any model, and a hotline's texts are short and full of street
names (Chicago's Pulaski, Kedzie and Cermak read as Polish). So before guessing, words
that are no help are set aside: numbers, capitalised names after the first word, and
acronyms (ICE, DHS). What is left must be two different words (one is enough in a
script only one enabled language is written in, Chinese or Arabic), and the best
language must reach THRESHOLD of the confidence; otherwise the guess is "unsure" and
the texter gets the language menu. tests/i18n/language_samples.py is the table of short
texts the threshold was chosen on (tests/i18n/test_detect.py).

The models take a couple of seconds and some 250 MB to load: the service loads them once
per process as it starts (`warm()`); until they are loaded every guess is "unsure".
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Mapping

from lingua import IsoCode639_1, LanguageDetector, LanguageDetectorBuilder
from lingua import Language as LinguaLanguage

from hotline.i18n.languages import Language

# In the table, once names are set aside, every wrong guess stays under 0.5 and all but
# one right guess is over 0.7: 0.6 keeps a margin on both sides (the one right guess
# under it, a French "aidez-moi s'il vous plaît" at 0.58, gets the language menu).
THRESHOLD = 0.6
# Hint words that decide a language the models do not know.
HINTS_NEEDED = 2
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*|\S+")
_lock = threading.Lock()
_detectors: dict[tuple[str, ...], LanguageDetector] = {}


def _known(code: str) -> LinguaLanguage | None:
    try:
        return LinguaLanguage.from_iso_code_639_1(IsoCode639_1.from_str(code))
    except ValueError:
        return None


def _upper(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.upper())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def telling_words(text: str) -> list[str]:
    """The words of `text` that tell a language: no numbers, no names, no acronyms."""
    kept: list[str] = []
    for index, word in enumerate(_WORD.findall(unicodedata.normalize("NFKC", text))):
        if not any(c.isalpha() for c in word) or any(c.isdigit() for c in word):
            continue
        if len(word) > 1 and word.isupper():
            continue
        if index > 0 and word[:1].isupper():
            continue
        if word.lower() not in (k.lower() for k in kept):
            kept.append(word)
    return kept


def _own_script(text: str) -> bool:
    """Written in a script only one enabled language uses (Chinese, Arabic)."""
    return any("\u0600" <= c <= "\u06ff" or "\u3400" <= c <= "\u9fff" for c in text)


class LanguageGuess:
    """Guesses the language of a text among `languages`; None when unsure."""

    def __init__(self, languages: Mapping[str, Language], *, threshold: float = THRESHOLD):
        self._threshold = threshold
        self._modelled = {code: found for code in languages if (found := _known(code))}
        self._hints = {
            code: frozenset(_upper(word) for word in language.detect)
            for code, language in languages.items()
            if code not in self._modelled and language.detect
        }
        self._key = tuple(sorted(self._modelled))
        self._codes = {language: code for code, language in self._modelled.items()}

    @property
    def ready(self) -> bool:
        return self._key in _detectors

    def warm(self) -> None:
        """Load the models (once per process for these languages), waiting for them."""
        if self.ready or len(self._modelled) < 2:
            return
        with _lock:
            if self._key not in _detectors:
                _detectors[self._key] = (
                    LanguageDetectorBuilder.from_languages(*self._modelled.values())
                    .with_preloaded_language_models()
                    .build()
                )

    def __call__(self, text: str) -> str | None:
        """The language `text` is written in, or None when the guess is unsure."""
        words = telling_words(text)
        hinted = self._hinted(words)
        if hinted is not None:
            return hinted
        if len(words) < 2 and not (words and _own_script(text)):
            return None
        detector = _detectors.get(self._key)
        if detector is None:
            return None
        values = detector.compute_language_confidence_values(" ".join(words))
        if not values or values[0].value < self._threshold:
            return None
        return self._codes.get(values[0].language)

    def _hinted(self, words: list[str]) -> str | None:
        upper = [_upper(word) for word in words]
        for code, hints in self._hints.items():
            if sum(word in hints for word in upper) >= HINTS_NEEDED:
                return code
        return None
