"""Which texts read like a report (a word of enforcement and a place), and which language
their words vote for."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.config import PROJECT_ROOT
from hotline.i18n.languages import load_registry
from hotline.rapid.recognise import Sighted, SightingWords, sighted

WORDS = SightingWords.of(load_registry(Path(PROJECT_ROOT / "locales")))


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("ICE at 26th and Pulaski", "en"),
        ("ice at kedzie and 26th", "en"),
        ("migra en 26 y Pulaski", "es"),
        ("ICE 26 y Pulaski", "es"),
        ("la migra en la calle", "es"),
        ("ПОЛИЦИЯ на углу 26 и Пуласки", "ru"),
        ("Міграційна поліція на розі Кедзі і 26", "uk"),
        ("移民局在26街和Pulaski", "zh"),
        ("Policja imigracyjna na rogu Kedzie i 26", "pl"),
        ("الهجرة في شارع كيدزي", "ar"),
        ("police de l'immigration au coin de Kedzie et 26e", "fr"),
        ("imigrasyon nan kwen 26 ak Pulaski", "ht"),
        ("may ICE sa kanto ng 26th at Pulaski", "tl"),
        ("ICE 60623", None),
    ],
)
def test_a_word_of_enforcement_and_a_place_read_like_a_report(
    text: str, language: str | None
) -> None:
    assert sighted(text, WORDS) == Sighted(language)


@pytest.mark.parametrize(
    "text",
    [
        "ICE is here",  # no place
        "ICE at the store",  # "at" between a name and a word is no crossing
        "hello 60623",  # a place, but no word of enforcement
        "there is a lot of traffic at 26th and Pulaski",
        "",
    ],
)
def test_without_one_or_the_other_it_does_not(text: str) -> None:
    assert sighted(text, WORDS) is None
