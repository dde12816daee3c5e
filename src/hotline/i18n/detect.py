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
language must reach THRESHOLD of the confidence. When it does not, a modelled language's
own `[detect]` words may still decide it (two of them, as for Haitian: French texts of
four short words are where the models hesitate); otherwise the guess is "unsure" and the
texter gets the language menu. tests/i18n/language_samples.py is the table of short texts
the threshold was chosen on (tests/i18n/test_detect.py).

The models are lingua's low-accuracy ones (trigrams only): about 30 MB and a twentieth of
a second to load, where the full ones took some 260 MB in every web process and two
seconds. On the table they are as often right once the threshold is raised. The service
loads them once per process as it starts (`warm()`); until then every guess is "unsure".
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Mapping

from lingua import IsoCode639_1, LanguageDetector, LanguageDetectorBuilder
from lingua import Language as LinguaLanguage

from hotline.i18n.languages import Language

# In the table, once names are set aside, the one wrong guess is at 0.73 (a French
# "aidez-moi s'il vous plaît" read as English) and all but one right guess over 0.9: 0.8
# keeps a margin on both sides (the one right guess under it, a French "j'ai besoin d'un
# avocat" at 0.68, and the wrong one are told by French [detect] words instead).
THRESHOLD = 0.8
# Hint words that decide a language: one the models do not know, or one they were unsure of.
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
    # Phones type a curly apostrophe (j’ai) as often as a straight one.
    decomposed = unicodedata.normalize("NFKD", word.upper().replace("’", "'"))
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
        hints = {
            code: frozenset(_upper(word) for word in language.detect)
            for code, language in languages.items()
            if language.detect
        }
        # Decide before the models (they do not know the language), and after them.
        self._hints = {code: words for code, words in hints.items() if code not in self._modelled}
        self._second = {code: words for code, words in hints.items() if code in self._modelled}
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
                    .with_low_accuracy_mode()
                    .with_preloaded_language_models()
                    .build()
                )

    def __call__(self, text: str) -> str | None:
        """The language `text` is written in, or None when the guess is unsure."""
        words = telling_words(text)
        upper = [_upper(word) for word in words]
        hinted = _hinted(upper, self._hints)
        if hinted is not None:
            return hinted
        if len(words) < 2 and not (words and _own_script(text)):
            return None
        detector = _detectors.get(self._key)
        if detector is None:
            return None
        values = detector.compute_language_confidence_values(" ".join(words))
        if not values or values[0].value < self._threshold:
            return _hinted(upper, self._second)
        return self._codes.get(values[0].language)


def _hinted(upper: list[str], languages: Mapping[str, frozenset[str]]) -> str | None:
    """The language HINTS_NEEDED of `upper` are hint words of, if one."""
    for code, hints in languages.items():
        if sum(word in hints for word in upper) >= HINTS_NEEDED:
            return code
    return None
