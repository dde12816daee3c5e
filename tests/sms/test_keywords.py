"""Every keyword of every language, through the pure flow: the kind it means, answered in
the language it was written in."""

from __future__ import annotations

import pytest

from hotline.config import PROJECT_ROOT, Settings
from hotline.i18n.catalogs import load
from hotline.sms import flow
from hotline.telephony.segments import segments
from hotline.wiring import sms_hotline

CATALOGS = load(PROJECT_ROOT / "locales", Settings().languages)
HOTLINE = sms_hotline(
    Settings(),
    CATALOGS,
    {code: (f"rights in {code}",) for code in CATALOGS.languages},
    (),
)
EVERY_WORD = [
    pytest.param(code, kind, word, id=f"{code}-{kind}-{word}")
    for code, language in CATALOGS.languages.items()
    for kind, words in language.keywords
    for word in words
]


@pytest.mark.parametrize(("code", "kind", "word"), EVERY_WORD)
def test_every_keyword_in_every_language(code: str, kind: str, word: str) -> None:
    found = HOTLINE.keyword(word.lower(), prefer=code)
    assert found == (kind, code)
    reply = flow.respond(flow.Texter(language=code), flow.Inbound(f" {word.lower()}! "), HOTLINE)
    expected: tuple[type, ...] = {
        "stop": (flow.OptOut,),
        "start": (flow.OptIn,),
        "delete": (flow.Forget,),
        "rights": (flow.CountRights, flow.Relay),
        "resources": (flow.Relay,),
        "help": (flow.Relay,),
        "language": (flow.Relay,),
        "urgent": (flow.AskForHelp,),
        "greeting": (flow.Relay,),
    }[kind]
    assert tuple(type(effect) for effect in reply.effects) == expected
    assert reply.durable == (kind in ("stop", "start", "delete", "urgent"))
    if kind == "rights":
        assert reply.texts[0].raw == f"rights in {code}"
    for text in reply.texts:
        if text.lang is not None and kind not in ("language",):
            assert text.lang == code


@pytest.mark.parametrize("code", list(CATALOGS.languages))
def test_a_keyword_inside_a_sentence_is_not_one(code: str) -> None:
    for kind, words in CATALOGS.language(code).keywords:
        sentence = f"please {words[0]} now"
        assert HOTLINE.keyword(sentence, prefer=code) is None, (kind, words[0])


def test_the_language_menu_is_one_text_of_at_most_two_segments_offering_every_language() -> None:
    reply = flow.respond(flow.Texter(), flow.Inbound("??"), HOTLINE)
    (menu,) = reply.texts
    assert reply.effects == ()
    assert segments(menu.raw) <= 2
    lines = menu.raw.splitlines()
    assert lines[0] == "For English, reply 1."
    assert len(lines) == len(CATALOGS.languages)
    for code, language in CATALOGS.languages.items():
        digit = HOTLINE.digits[code]
        assert code == "en" or f"{digit} {language.endonym}" in lines
        chosen = flow.respond(flow.Texter(), flow.Inbound(digit), HOTLINE)
        assert chosen.effects == (flow.RememberLanguage(code),)
