"""Whether a text that is no keyword reads like a report of immigration enforcement, and
which language its report words are in (pure).

It does when it has a word of enforcement (ICE, MIGRA, ПОЛИЦИЯ, 移民局, … from each
language's `[sighting]` table) and a place: a ZIP code, a word for a street or corner,
or two streets joined ("26th and Pulaski", "26 y Pulaski", "Kedzie & Cermak": a joining
word between two names, one of them a number or both capitalised). Every word found
votes for the languages it belongs to; a language that leads the vote is the report's.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from hotline.i18n.languages import Language
from hotline.rapid.commands import normalize

ZIP = re.compile(r"(?<!\d)\d{5}(?!\d)")
_TOKEN = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*|[&/@+]")
_SYMBOL_JOINS = frozenset({"&", "/", "@", "+"})


def _unspaced(word: str) -> bool:
    """Chinese and Arabic words are found inside the text: Chinese has no spaces, Arabic
    joins little words to the next one."""
    return any("\u0600" <= c <= "\u06ff" or "\u3400" <= c <= "\u9fff" for c in word)


@dataclass(frozen=True)
class Table:
    """One kind of sighting words, normalized, with the languages each is in; the words
    written with spaces found by one expression, Chinese and Arabic ones inside the text."""

    codes: Mapping[str, frozenset[str]]
    spaced: re.Pattern[str] | None
    unspaced: tuple[str, ...]

    @classmethod
    def of(cls, languages: Mapping[str, Language], kind: str) -> Table:
        found: dict[str, set[str]] = {}
        for code, language in languages.items():
            for word in language.sighting_words(kind):
                found.setdefault(normalize(word), set()).add(code)
        spaced = sorted((w for w in found if not _unspaced(w)), key=len, reverse=True)
        pattern = "|".join(re.escape(word) for word in spaced)
        return cls(
            {word: frozenset(codes) for word, codes in found.items()},
            re.compile(f"(?<= )({pattern})(?= )") if spaced else None,
            tuple(w for w in found if _unspaced(w)),
        )

    def found(self, spaced: str, joined: str) -> list[frozenset[str]]:
        """The languages of each of these words in the text."""
        hits = [self.codes[m.group(1)] for m in self.spaced.finditer(spaced)] if self.spaced else []
        return hits + [self.codes[word] for word in self.unspaced if word in joined]

    def get(self, word: str) -> frozenset[str] | None:
        return self.codes.get(word)


@dataclass(frozen=True)
class SightingWords:
    """Every enabled language's sighting words: of enforcement, of streets, joining."""

    words: Table
    streets: Table
    joins: Table

    @classmethod
    def of(cls, languages: Mapping[str, Language]) -> SightingWords:
        return cls(*(Table.of(languages, kind) for kind in ("words", "streets", "joins")))


@dataclass(frozen=True, slots=True)
class Sighted:
    """A text that reads like a report; `language` is the one its words vote for, if any."""

    language: str | None


def _crossings(raw: list[str], tokens: list[str], joins: Table) -> list[frozenset[str]]:
    """The joining words that stand between two street names."""
    hits = []
    for i in range(1, len(tokens) - 1):
        join = tokens[i]
        codes = joins.get(join)
        if codes is None and join not in _SYMBOL_JOINS:
            continue
        left, right = raw[i - 1], raw[i + 1]
        numbered = any(c.isdigit() for c in left + right)
        named = left[:1].isupper() and right[:1].isupper()
        if numbered or named:
            hits.append(codes or frozenset())
    return hits


def sighted(text: str, words: SightingWords) -> Sighted | None:
    """How `text` reads as a report, or None when it lacks a word of enforcement or a place."""
    plain = unicodedata.normalize("NFKC", text)
    raw = _TOKEN.findall(plain)
    tokens = [normalize(token) for token in raw]
    spaced = f" {' '.join(tokens)} "
    joined = normalize(plain)
    said = words.words.found(spaced, joined)
    if not said:
        return None
    streets = words.streets.found(spaced, joined)
    crossings = _crossings(raw, tokens, words.joins)
    if not (ZIP.search(plain) or streets or crossings):
        return None
    return Sighted(_leader([*said, *streets, *crossings]))


def _leader(votes: Iterable[frozenset[str]]) -> str | None:
    """The language with the most votes, when no other has as many."""
    counted = Counter(code for codes in votes for code in codes)
    ranked = counted.most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]
