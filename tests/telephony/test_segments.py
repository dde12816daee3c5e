"""SMS encodings, Twilio's segment counts, and packing long texts into numbered parts."""

from __future__ import annotations

import string
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.telephony.segments import (
    GSM7_BASIC,
    GSM7_EXTENDED,
    MAX_SEGMENTS,
    encoding,
    gsm_friendly,
    segments,
    septets_or_units,
    split_parts,
)

# --- helpers -------------------------------------------------------------------------


def squash(text: str) -> str:
    return "".join(text.split())


def fits(part: str, max_chars: int = 1600) -> bool:
    return len(part) <= max_chars and segments(part) <= MAX_SEGMENTS[encoding(part)]


def contents(parts: list[str]) -> list[str]:
    """The parts without their numbering, which must read 1/N to N/N when N > 1."""
    if len(parts) <= 1:
        return parts
    found = []
    for number, part in enumerate(parts, 1):
        prefix = f"{number}/{len(parts)} "
        assert part.startswith(prefix), (number, part[:12])
        found.append(part.removeprefix(prefix))
    return found


def check_parts(
    parts: list[str], sentences: list[str], max_chars: int = 1600, *, numbered: bool = True
) -> list[str]:
    """Assert every invariant a caller relies on; return the contents."""
    bodies = contents(parts) if numbered else parts
    for part, body in zip(parts, bodies, strict=True):
        assert len(part) <= max_chars
        assert segments(part) <= MAX_SEGMENTS[encoding(part)]
        assert body
        assert body == body.strip()
    assert squash("".join(bodies)) == squash("".join(sentences))
    return bodies


# --- the GSM 03.38 tables and counts -------------------------------------------------


def test_the_gsm_tables_are_those_of_gsm_03_38() -> None:
    assert len(GSM7_BASIC) == 127  # 128 codes, one of which is the escape
    assert frozenset("^{}\\[~]|€\f") == GSM7_EXTENDED
    assert not GSM7_BASIC & GSM7_EXTENDED
    assert set(string.ascii_letters + string.digits + "@£$¥_!?¿¡§\n\r") <= GSM7_BASIC
    assert set("ΔΦΓΛΩΠΨΣΘΞ") <= GSM7_BASIC
    # Only the capital C cedilla, not the lower case one French and Portuguese use.
    assert "Ç" in GSM7_BASIC
    assert "ç" not in GSM7_BASIC
    assert "\t" not in GSM7_BASIC
    assert "`" not in GSM7_BASIC | GSM7_EXTENDED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "GSM-7"),
        ("Do not open the door. Call 911 @ any time {24/7} for €0.", "GSM-7"),
        ("¿Tiene una orden judicial firmada por un juez? Niño, Ñu, año", "GSM-7"),
        ("Usted tiene derecho a permanecer callado. Pídale la orden.", "UCS-2"),
        ("Masz prawo zachować milczenie", "UCS-2"),
        ("Ou gen dwa pou w rete an silans. Pa ouvri pòt la, fè atansyon.", "GSM-7"),
        ("Ça va", "GSM-7"),
        ("ça va", "UCS-2"),
        ("Вы имеете право хранить молчание", "UCS-2"),
        ("你有权保持沉默", "UCS-2"),
        ("Call us 😀", "UCS-2"),
        ("tab\there", "UCS-2"),
    ],
)
def test_encoding(text: str, expected: str) -> None:
    assert encoding(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("abc", 3),
        ("é", 1),
        ("€", 2),
        ("a€{}", 7),
        ("\f", 2),
        ("中", 1),
        ("😀", 2),
        ("中😀a", 4),
        ("€😀", 3),  # one emoji makes it UCS-2, where € is a single code unit
    ],
)
def test_septets_or_units(text: str, expected: int) -> None:
    assert septets_or_units(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("a", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("中" * 70, 1),
        ("中" * 71, 2),
        ("中" * 134, 2),
        ("中" * 135, 3),
        ("€" * 80, 1),
        ("€" * 80 + "a", 2),
        ("a" * 158 + "€", 1),
        ("a" * 159 + "€", 2),
        ("😀" * 35, 1),
        ("😀" * 36, 2),
        ("a" * 69 + "😀", 2),
    ],
)
def test_known_segment_counts(text: str, expected: int) -> None:
    assert segments(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 306 septets either way; only the escape pair at 152-153 is pushed over.
        ("a" * 151 + "€" + "a" * 153, 2),
        ("a" * 152 + "€" + "a" * 152, 3),
        ("a" * 305 + "€", 3),
        # 134 code units either way; only the surrogate pair at 66-67 is pushed over.
        ("中" * 65 + "😀" + "中" * 67, 2),
        ("中" * 66 + "😀" + "中" * 66, 3),
        # 67 units per segment hold only 33 emoji, so 134 units of emoji take 3.
        ("😀" * 67, 3),
        ("😀" * 66, 2),
    ],
)
def test_a_two_unit_character_never_straddles_segments(text: str, expected: int) -> None:
    assert segments(text) == expected


# --- gsm_friendly ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Don’t open the door — ask for a ‘warrant’…",
            "Don't open the door - ask for a 'warrant'...",
        ),
        (
            "“No abra la puerta” – pida una orden firmada por un juez.",
            '"No abra la puerta" - pida una orden firmada por un juez.',
        ),
        (
            "„Masz prawo zachować milczenie” ‒ nie podpisuj niczego, żadnych ą ę ł ż.",
            '"Masz prawo zachować milczenie" - nie podpisuj niczego, żadnych ą ę ł ż.',
        ),
        (
            "«\u00a0Vous avez le droit de garder le silence\u00a0», c’est ça, l’été.",
            "\" Vous avez le droit de garder le silence \", c'est ça, l'été.",
        ),
        (
            "«Вы имеете право хранить молчание» — это важно…",
            '"Вы имеете право хранить молчание" - это важно...',
        ),
        ("Ви маєте право мовчати ‐ ґанок, їжак, є.", "Ви маєте право мовчати - ґанок, їжак, є."),
        ("لديك الحق في التزام الصمت، لا تفتح الباب؟", "لديك الحق في التزام الصمت، لا تفتح الباب؟"),
        ("你有权保持沉默。不要开门！律师：", "你有权保持沉默。不要开门！律师："),
        ("Ou gen dwa rete an silans―pa ouvri pòt la, fè atansyon.", None),
        ("May karapatan kang manahimik ‑ huwag buksan ang pinto.", None),
    ],
)
def test_gsm_friendly_replaces_typography_and_keeps_letters(
    text: str, expected: str | None
) -> None:
    result = gsm_friendly(text)
    if expected is None:
        # The Haitian and Tagalog texts become pure GSM-7 once their dash is plain.
        assert encoding(text) == "UCS-2"
        assert encoding(result) == "GSM-7"
        assert result.replace("-", "") == text.replace("―", "").replace("‑", "")
    else:
        assert result == expected


def test_gsm_friendly_turns_plain_latin_texts_into_gsm7() -> None:
    text = "If agents knock, don’t open – ask them to slide the warrant under the door…"
    assert encoding(text) == "UCS-2"
    assert encoding(gsm_friendly(text)) == "GSM-7"
    assert segments(gsm_friendly(text)) == 1
    assert segments(text) == 2


def test_every_unicode_space_becomes_a_plain_space() -> None:
    spaces = [chr(c) for c in range(0x10000) if unicodedata.category(chr(c)) == "Zs"]
    assert len(spaces) > 10
    assert gsm_friendly("".join(spaces)) == " " * len(spaces)


def test_joiners_and_emoji_sequences_are_left_alone() -> None:
    text = "👩\u200d⚕️ می\u200cخواهم 👍🏽"
    assert gsm_friendly(text) == text


@given(st.text(alphabet=st.characters(categories=["L", "M", "N"])))
def test_gsm_friendly_never_touches_letters_marks_or_digits(text: str) -> None:
    assert gsm_friendly(text) == text


@given(st.text())
def test_gsm_friendly_is_idempotent(text: str) -> None:
    once = gsm_friendly(text)
    assert gsm_friendly(once) == once


# --- split_parts -------------------------------------------------------------------------


def test_nothing_to_send_gives_no_parts() -> None:
    assert split_parts([]) == []
    assert split_parts(["", "\n", "  "]) == []


def test_a_short_text_is_one_part_without_numbering() -> None:
    assert split_parts(["  Know your rights. ", "You may stay silent."]) == [
        "Know your rights. You may stay silent."
    ]


def test_blank_sentences_are_section_breaks() -> None:
    sentences = ["\n", "A.", "\n", "B.", "", "\n", "C.", "D.", ""]
    assert split_parts(sentences) == ["A.\nB.\nC. D."]


def test_sentences_pack_greedily_into_whole_segments() -> None:
    # "1/2 " + 15 sentences is 1518 septets (10 segments); a 16th would be 1619.
    sentences = [f"{i:02d}" + "a" * 97 + "." for i in range(20)]
    parts = split_parts(sentences)
    bodies = check_parts(parts, sentences)
    assert bodies == [" ".join(sentences[:15]), " ".join(sentences[15:])]
    assert [segments(part) for part in parts] == [10, 4]


def test_ucs2_parts_pack_up_to_23_segments() -> None:
    # "1/2 " + 30 sentences of 50 characters is 1533 code units (23 segments).
    sentences = ["你有权保持沉默" * 7 + "。"] * 40
    parts = split_parts(sentences)
    bodies = check_parts(parts, sentences)
    assert [len(body.split(" ")) for body in bodies] == [30, 10]
    assert segments(parts[0]) == 23


def test_each_part_is_encoded_on_its_own() -> None:
    english = [f"Sentence {i:02d} " + "x" * 87 + "." for i in range(15)]
    # Long enough that adding one would overflow the first part even as UCS-2.
    chinese = ["你有权保持沉默。不要开门。" * 4] * 20
    parts = split_parts(english + chinese)
    check_parts(parts, english + chinese)
    assert [encoding(part) for part in parts] == ["GSM-7", "UCS-2"]
    # A short English sentence next to Chinese shares its part, and its encoding.
    assert split_parts(["Hello.", "你好。"]) == ["Hello. 你好。"]


def test_a_sentence_that_fits_a_part_alone_is_moved_not_split() -> None:
    sentences = ["a " * 500, "b " * 500]
    assert split_parts(sentences) == ["1/2 " + "a " * 499 + "a", "2/2 " + "b " * 499 + "b"]


def test_an_oversized_sentence_fills_the_part_and_is_cut_at_a_space() -> None:
    long = " ".join(["word"] * 600)
    parts = split_parts(["Intro.", long])
    bodies = check_parts(parts, ["Intro.", long])
    assert bodies[0].startswith("Intro. word ")
    assert len(parts[0]) > 1530 - 5  # filled to within a word of 10 segments
    assert all(set(body.split()) <= {"Intro.", "word"} for body in bodies)


def test_an_unspaced_word_is_cut_in_a_fresh_part_rather_than_after_a_sentence() -> None:
    sentences = ["a" * 1500, "b" * 3000]
    bodies = check_parts(split_parts(sentences), sentences)
    assert bodies[0] == "a" * 1500
    assert [len(body) for body in bodies[1:]] == [1526, 1474]


def test_chinese_is_cut_after_its_punctuation() -> None:
    text = "你有权保持沉默，不要开门。" * 300
    bodies = check_parts(split_parts([text]), [text])
    assert len(bodies) == 3
    assert all(body[-1] in "，。" for body in bodies)
    assert "".join(bodies) == text


def test_the_latest_break_wins_in_mixed_text() -> None:
    text = "请拨打 911。" + "你有权保持沉默。" * 400
    bodies = check_parts(split_parts([text]), [text])
    assert len(bodies[0]) > 1500


def test_text_without_any_break_is_cut_hard_at_capacity() -> None:
    text = "x" * 4000
    parts = split_parts([text])
    assert [len(body) for body in check_parts(parts, [text])] == [1526, 1526, 948]


def test_emoji_cuts_respect_surrogate_pairs_in_segments() -> None:
    text = "😀" * 2000
    parts = split_parts([text])
    check_parts(parts, [text])
    # 23 segments hold 33 emoji each, less the prefix: 757 + 757 + 486.
    assert [segments(part) for part in parts] == [23, 23, 15]


def test_a_hard_cut_keeps_accents_on_their_letters() -> None:
    text = "e\u0301" * 1000  # decomposed é, as some keyboards send it
    bodies = check_parts(split_parts([text], max_chars=101), [text])
    assert len(bodies) > 1
    assert all(body.startswith("e") and body.endswith("\u0301") for body in bodies)


def test_numbering_is_recounted_until_stable() -> None:
    # Numbered "i/10 " these fit one part each, but "10/10 " is one character too wide,
    # which makes 11 parts, whose prefixes are wider still.
    sentences = ["x" * 1525] * 10
    parts = split_parts(sentences)
    bodies = check_parts(parts, sentences)
    assert len(parts) == 11
    assert [len(part) for part in parts] == [1530] * 10 + [len("11/11 x")]
    assert bodies[9] == "x" * 1524


def test_unnumbered_parts_have_no_prefix() -> None:
    sentences = ["a" * 1000, "b" * 1000]
    assert split_parts(sentences, numbered=False) == sentences


def test_a_cut_never_falls_on_a_no_break_space() -> None:
    text = " ".join(["13\u00a0%", "«\u00a0droit\u00a0»"] * 200)
    bodies = check_parts(split_parts([text], max_chars=53), [text], max_chars=53)
    assert len(bodies) > 10
    assert all(set(body.split(" ")) <= {"13\u00a0%", "«\u00a0droit\u00a0»"} for body in bodies)


def test_max_chars_bounds_every_part() -> None:
    sentences = [" ".join(["palabra"] * 30)] * 10
    parts = split_parts(sentences, max_chars=200)
    check_parts(parts, sentences, max_chars=200)
    assert max(len(part) for part in parts) > 190


def test_max_chars_too_small_for_any_text_is_an_error() -> None:
    with pytest.raises(ValueError, match="max_chars"):
        split_parts(["hello"], max_chars=0)
    # Five characters make ten parts, but leave no room for text after "1/10 ".
    with pytest.raises(ValueError, match="max_chars"):
        split_parts(["x" * 50], max_chars=5)
    assert split_parts(["x" * 50], max_chars=5, numbered=False) == ["xxxxx"] * 10


SCRIPTS = [
    string.ascii_letters + string.digits + ".,;:?!'\"()-€[]",
    "aeiouéèùìòÇØøÅåÄÖÑÜäöñüàß",  # accented, yet GSM-7
    "aeiouçñąęłżśćńóźêâîôûëï",
    "абвгдежзийклмнопрстуфхцчшщьюяєіїґ",
    "你有权保持沉默不要开门律师移民局。，！？；",
    "ابتثجحخدذرزسشصضطظعغفقكلمنهوي،؟",
    "😀👍🚨📞🏽\u200d\u0301",
]
SCRIPTS.append("".join(SCRIPTS))
SPACED = st.sampled_from(SCRIPTS).flatmap(
    lambda alphabet: st.lists(
        st.text(alphabet, min_size=1, max_size=15), min_size=1, max_size=60
    ).map(" ".join)
)
UNSPACED = st.sampled_from(SCRIPTS).flatmap(
    lambda alphabet: st.text(alphabet, min_size=50, max_size=400)
)
# Repeating a drawn list is a cheap way to get texts long enough for many full parts.
SENTENCES = st.tuples(
    st.lists(st.one_of(SPACED, UNSPACED, st.sampled_from(["", "\n"])), max_size=20),
    st.integers(min_value=1, max_value=6),
).map(lambda drawn: drawn[0] * drawn[1])


@settings(deadline=None)
@given(
    sentences=SENTENCES,
    max_chars=st.one_of(st.integers(min_value=40, max_value=400), st.just(1600)),
    numbered=st.booleans(),
)
def test_parts_keep_every_invariant(sentences: list[str], max_chars: int, numbered: bool) -> None:
    parts = split_parts(sentences, max_chars=max_chars, numbered=numbered)
    bodies = check_parts(parts, sentences, max_chars, numbered=numbered)
    assert bool(parts) == any(sentence.strip() for sentence in sentences)
    widest = f"{len(parts)}/{len(parts)} " if numbered and len(parts) > 1 else ""
    for sentence in sentences:
        sentence = sentence.strip()
        if sentence and fits(widest + sentence, max_chars):
            assert any(sentence in body for body in bodies), sentence
