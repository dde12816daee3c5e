"""SMS encodings and Twilio's segment arithmetic, to send long texts in few parts (pure).

A text is sent as GSM-7 when every character is in the GSM 03.38 tables, else as UCS-2
(UTF-16 on the wire). Twilio bills per segment and refuses bodies over 1600 characters,
so long know-your-rights texts are packed into numbered parts that each stay within both.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from typing import Final, Literal

Encoding = Literal["GSM-7", "UCS-2"]

# GSM 03.38 default alphabet, minus 0x1B (ESC), which only introduces the extension table.
GSM7_BASIC: Final[frozenset[str]] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Each of these is sent as ESC plus a character, so it costs two septets.
GSM7_EXTENDED: Final[frozenset[str]] = frozenset("\f^{}\\[~]|€")
_GSM7: Final[frozenset[str]] = GSM7_BASIC | GSM7_EXTENDED

# (one-segment capacity, per-segment capacity once concatenated): the UDH eats the rest.
SEGMENT_CAPACITY: Final[dict[Encoding, tuple[int, int]]] = {
    "GSM-7": (160, 153),
    "UCS-2": (70, 67),
}
# Twilio refuses a body over 1600 characters; these are the whole segments that fit in it.
TWILIO_MAX_CHARS: Final = 1600
MAX_SEGMENTS: Final[dict[Encoding, int]] = {"GSM-7": 10, "UCS-2": 23}

_SINGLE_QUOTES: Final = "‘’‚‛"
_DOUBLE_QUOTES: Final = "“”„‟«»"
_DASHES: Final = "‐‑‒–—―"
# Every Unicode space separator (category Zs) but the ASCII space itself.
_SPACES: Final = (
    "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u202f\u205f\u3000"
)
_GSM_FRIENDLY: Final[dict[int, str]] = {
    **{ord(c): "'" for c in _SINGLE_QUOTES},
    **{ord(c): '"' for c in _DOUBLE_QUOTES},
    **{ord(c): "-" for c in _DASHES},
    **{ord(c): " " for c in _SPACES},
    ord("…"): "...",
}

# Chinese has no spaces; a long sentence is best cut after one of these.
_CJK_BREAKS: Final = frozenset("。！？，；：、")
# Spaces that ask not to be broken at (e.g. French "« droit »"), so a cut avoids them.
_NO_BREAK_SPACES: Final = frozenset("\u00a0\u2007\u202f")
# A cut before one of these would tear a letter from its accent or an emoji sequence apart.
_JOINERS: Final = frozenset("\u200c\u200d\ufe0e\ufe0f")


def encoding(text: str) -> Encoding:
    """The encoding Twilio sends the text in: GSM-7 if every character allows it."""
    return "GSM-7" if _GSM7.issuperset(text) else "UCS-2"


def _costs(text: str, enc: Encoding) -> list[int]:
    """Septets (GSM-7) or UTF-16 code units (UCS-2) of each character."""
    if enc == "GSM-7":
        return [2 if c in GSM7_EXTENDED else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def septets_or_units(text: str) -> int:
    """Length in GSM-7 septets, or in UTF-16 code units when the text needs UCS-2."""
    return sum(_costs(text, encoding(text)))


def segments(text: str) -> int:
    """How many segments Twilio bills for the text (0 when empty)."""
    enc = encoding(text)
    costs = _costs(text, enc)
    single, concatenated = SEGMENT_CAPACITY[enc]
    total = sum(costs)
    if total <= single:
        return 1 if total else 0
    # An escape pair or a surrogate pair is never split between segments, so a
    # two-unit character that would straddle the boundary starts the next one.
    count, used = 1, 0
    for cost in costs:
        if used + cost > concatenated:
            count += 1
            used = 0
        used += cost
    return count


def gsm_friendly(text: str) -> str:
    """Replace typographic quotes, dashes, ellipses and spaces with their GSM-7 equivalents."""
    return text.translate(_GSM_FRIENDLY)


def _fits(part: str, max_chars: int) -> bool:
    """Whether a whole part (prefix included) is within max_chars and Twilio's segments."""
    return len(part) <= max_chars and segments(part) <= MAX_SEGMENTS[encoding(part)]


def _prefix(number: int, total: int) -> str:
    """The numbering prefix of a part, empty when there is one part only."""
    return f"{number}/{total} " if total > 1 else ""


def _tokens(sentences: Sequence[str]) -> list[tuple[str, str]]:
    """Sentences without surrounding whitespace, each with the separator that precedes it."""
    tokens: list[tuple[str, str]] = []
    separator = " "
    for sentence in sentences:
        text = sentence.strip()
        if not text:
            # A blank sentence marks a section boundary; several in a row are still one.
            separator = "\n"
            continue
        tokens.append((separator, text))
        separator = " "
    return tokens


def _longest_fit(base: str, text: str, max_chars: int) -> int:
    """Length of the longest head of text that still fits as a part after base."""
    # The character limit bounds the search, so a huge sentence costs no more than a part.
    lo, hi = 0, max(0, min(len(text), max_chars - len(base)))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _fits(base + text[:mid], max_chars):
            lo = mid
        else:
            hi = mid - 1
    return lo


def _splits_cluster(text: str, index: int) -> bool:
    """Whether cutting text before index separates a mark or joiner from its base."""
    after, before = text[index], text[index - 1]
    return (
        unicodedata.category(after) in {"Mn", "Mc", "Me"}
        or 0x1F3FB <= ord(after) <= 0x1F3FF  # skin tone modifiers
        or after in _JOINERS
        or before in _JOINERS
    )


def _cut_points(text: str, limit: int, *, hard: bool) -> Iterator[int]:
    """Where to cut text so the head is at most limit long, best first."""
    # The latest space or CJK punctuation keeps the most text in this part; both
    # kinds compete so mixed text (Chinese with a phone number) cuts late too.
    for index in range(min(limit, len(text) - 1), 0, -1):
        char = text[index]
        if (char.isspace() and char not in _NO_BREAK_SPACES) or text[index - 1] in _CJK_BREAKS:
            yield index
    if hard and limit > 0:
        # No break point: cut mid-word, but never inside an accented letter or emoji.
        index = limit
        while index > 1 and _splits_cluster(text, index):
            index -= 1
        if index != limit:
            yield index
        yield limit


def _pack(tokens: list[tuple[str, str]], max_chars: int, total: int) -> list[str]:
    """Greedily pack the tokens into part contents, numbered as if there were total parts."""
    contents: list[str] = []
    current = ""
    for separator, text in tokens:
        rest = text
        while rest:
            prefix = _prefix(len(contents) + 1, total)
            glue = current + separator if current else ""
            if _fits(prefix + glue + rest, max_chars):
                current = glue + rest
                break
            if current and _fits(_prefix(len(contents) + 2, total) + rest, max_chars):
                # A sentence that fits a part of its own is moved, never split.
                contents.append(current)
                current = ""
                continue
            # Over a whole part: fill this part first, but only a fresh part may cut
            # mid-word, since the next part may offer a natural break instead.
            limit = _longest_fit(prefix + glue, rest, max_chars)
            for index in _cut_points(rest, limit, hard=not current):
                head = rest[:index].rstrip()
                if _fits(prefix + glue + head, max_chars):
                    contents.append(glue + head)
                    current, rest = "", rest[index:].lstrip()
                    break
            else:
                if not current:
                    raise ValueError(f"max_chars={max_chars} leaves no room after {prefix!r}")
                contents.append(current)
                current = ""
    if current:
        contents.append(current)
    return contents


def split_parts(
    sentences: Sequence[str], *, max_chars: int = TWILIO_MAX_CHARS, numbered: bool = True
) -> list[str]:
    """Pack sentences into as few parts as fit max_chars and Twilio's segment limits."""
    tokens = _tokens(sentences)
    if not tokens:
        return []
    # The prefix width depends on the count, which depends on the packing: repack
    # with the count found until it stops growing. A packing made for more parts
    # still fits the fewer it produced, as a smaller total never widens a prefix.
    total = 1
    while True:
        contents = _pack(tokens, max_chars, total if numbered else 1)
        if not numbered or len(contents) <= total:
            break
        total = len(contents)
    count = len(contents) if numbered else 1
    return [_prefix(number, count) + content for number, content in enumerate(contents, 1)]
