"""Every keyword of every language, through the pure flow: the kind it means, answered in
the language it was written in."""

from __future__ import annotations

import pytest

from hotline.config import PROJECT_ROOT, Settings
from hotline.i18n.catalogs import load
from hotline.sms import flow

CATALOGS = load(PROJECT_ROOT / "locales", Settings().languages)
HOTLINE = flow.SmsHotline(
    languages=CATALOGS.languages,
    menu=[code for code in Settings().voice_menu if CATALOGS.language(code).digit],
    default_language="en",
    rights={code: [f"rights in {code}"] for code in CATALOGS.languages},
    resources={code: [f"resources in {code}"] for code in CATALOGS.languages},
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
    expected_note = {
        "stop": "sms.stop",
        "start": "sms.start",
        "delete": "sms.delete",
        "rights": "sms.rights",
        "resources": "sms.resources",
        "help": "sms.help",
        "language": "sms.language_menu",
        "urgent": "sms.urgent",
        "greeting": "sms.menu",
    }[kind]
    assert reply.note == expected_note
    assert reply.opt_out == (kind == "stop")
    assert reply.delete == (kind == "delete")
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
