"""The language guess on short texts: never wrong on the table, unsure rather than wrong,
and sure of most of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.config import PROJECT_ROOT
from hotline.i18n.detect import LanguageGuess, telling_words
from hotline.i18n.languages import load_registry
from tests.i18n.language_samples import SAMPLES, UNSURE

REGISTRY = load_registry(Path(PROJECT_ROOT / "locales"))


@pytest.fixture(scope="module")
def guess() -> LanguageGuess:
    found = LanguageGuess(REGISTRY)
    found.warm()
    return found


@pytest.mark.parametrize("lang", sorted(SAMPLES))
def test_every_guess_on_the_table_is_right_and_most_are_made(
    guess: LanguageGuess, lang: str
) -> None:
    guesses = [guess(text) for text in SAMPLES[lang]]
    wrong = [(t, g) for t, g in zip(SAMPLES[lang], guesses, strict=True) if g not in (lang, None)]
    assert wrong == []
    assert guesses.count(lang) >= len(guesses) - 1


@pytest.mark.parametrize("text", UNSURE)
def test_a_text_with_nothing_to_tell_a_language_by_gets_no_guess(
    guess: LanguageGuess, text: str
) -> None:
    assert guess(text) is None


def test_names_numbers_and_acronyms_are_set_aside() -> None:
    assert telling_words("ICE at 26th and Pulaski now") == ["at", "and", "now"]
    assert telling_words("Hay migra en Kedzie y Cermak") == ["Hay", "migra", "en", "y"]


def test_only_enabled_languages_are_guessed() -> None:
    two = LanguageGuess({code: REGISTRY[code] for code in ("en", "es")})
    two.warm()
    assert two("les agents de l'immigration sont devant chez moi") in (None, "en", "es")
    assert two("necesito un abogado urgente") == "es"


def test_until_the_models_are_loaded_every_guess_is_unsure() -> None:
    cold = LanguageGuess({code: REGISTRY[code] for code in ("ru", "uk", "pl")})
    assert not cold.ready
    assert cold("сегодня утром забрали моего мужа") is None


def test_a_curly_apostrophe_tells_a_language_as_a_straight_one_does(guess: LanguageGuess) -> None:
    assert guess("j’ai besoin d’un avocat") == guess("j'ai besoin d'un avocat") == "fr"
