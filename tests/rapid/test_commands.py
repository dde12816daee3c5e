"""The words a text can start with: responders' replies, ALERTS and REPORT in every language."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.config import PROJECT_ROOT, Settings
from hotline.i18n.catalogs import load
from hotline.rapid.commands import (
    MAX_ZIPS,
    AlertsCommand,
    Command,
    CommandWords,
    ReportCommand,
    Verb,
    normalize,
    parse_alerts_command,
    parse_report_command,
    parse_responder_command,
    zip_in,
)

TOO_MANY = "ALERTS " + " ".join(str(60600 + n) for n in range(MAX_ZIPS + 1))
CATALOGS = load(PROJECT_ROOT / "locales", Settings().languages)
WORDS = CommandWords.of(CATALOGS.languages)
# CONTENT.md's lists: every one of these must work.
REPORT_WORDS = [
    "REPORT", "REPORTE", "REPORTAR", "ZGŁOŚ", "ZGLOS", "举报", "報告", "بلاغ", "ПОВІДОМИТИ",
    "СООБЩИТЬ", "SIGNALER", "SIYALE", "RAPÒ", "ULAT", "IULAT",
]  # fmt: skip
ALERT_WORDS = [
    "ALERTS", "ALERTAS", "ALERTY", "警报", "تنبيهات", "СПОВІЩЕННЯ", "ОПОВЕЩЕНИЯ", "ALERTES",
    "ALÈT", "ALERTO",
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GO 1234", Command(Verb.GO, "1234")),
        ("go 1234", Command(Verb.GO, "1234")),
        ("  Go1234  ", Command(Verb.GO, "1234")),
        ("CONFIRMED 0042", Command(Verb.CONFIRMED, "0042")),
        ("confirmed #0042.", Command(Verb.CONFIRMED, "0042")),
        ("Notice 5555", Command(Verb.NOTICE, "5555")),
        ("GONE 123456", Command(Verb.GONE, "123456")),
        ("unsure 9999!", Command(Verb.UNSURE, "9999")),
        # Full-width digits, as some phone keyboards type them.
        ("GO １２３４", Command(Verb.GO, "1234")),
    ],
)
def test_a_responder_reply_is_a_verb_and_a_code(text: str, expected: Command) -> None:
    assert parse_responder_command(text) == expected


@pytest.mark.parametrize(
    "text",
    ["GO", "GO 12", "GO 1234567", "CONFIRM 1234", "GO 1234 now", "I can GO 1234", "GONE", ""],
)
def test_anything_else_is_not_a_responder_reply(text: str) -> None:
    assert parse_responder_command(text) is None


@given(st.text())
def test_the_responder_parser_never_raises(text: str) -> None:
    parsed = parse_responder_command(text)
    assert parsed is None or parsed.code.isdigit()


@pytest.mark.parametrize("word", ALERT_WORDS)
def test_alerts_in_every_language_with_zip_codes(word: str) -> None:
    parsed = parse_alerts_command(f"{word.lower()} 60623 60608", WORDS)
    assert parsed is not None
    assert (parsed.zips, parsed.stop, parsed.valid) == (("60623", "60608"), False, True)


def test_the_alerts_word_tells_the_language_it_is_in() -> None:
    parsed = [parse_alerts_command(f"{word} 60623", WORDS) for word in ALERT_WORDS]
    languages = {found.language for found in parsed if found is not None}
    assert languages == {"en", "es", "pl", "zh", "ar", "uk", "ru", "fr", "ht", "tl"}


@pytest.mark.parametrize(
    "text", ["ALERTS STOP", "alertas parar", "ALERTY stop", "警报 停止", "ALERTES ARRÊT"]
)
def test_alerts_stop_unsubscribes_in_any_language(text: str) -> None:
    parsed = parse_alerts_command(text, WORDS)
    assert parsed is not None
    assert parsed.stop


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ALERTS 60623, 60608; 60623", AlertsCommand("en", ("60623", "60608"))),
        ("alertas 60623 correcciones", AlertsCommand("es", ("60623",), corrections=True)),
        ("警报60623", AlertsCommand("zh", ("60623",))),
        ("ALERTS", AlertsCommand("en", valid=False)),
        ("ALERTS 6062", AlertsCommand("en", valid=False)),
        ("ALERTS please 60623", AlertsCommand("en", valid=False)),
        (TOO_MANY, AlertsCommand("en", valid=False)),
    ],
)  # fmt: skip
def test_what_follows_the_alerts_word(text: str, expected: AlertsCommand) -> None:
    assert parse_alerts_command(text, WORDS) == expected


@pytest.mark.parametrize("text", ["ALERTSX 60623", "my ALERTS 60623", "STOP", "60623"])
def test_a_text_that_does_not_start_with_the_word_is_not_an_alerts_command(text: str) -> None:
    assert parse_alerts_command(text, WORDS) is None


@pytest.mark.parametrize("word", REPORT_WORDS)
def test_report_in_every_language_alone_or_with_the_report(word: str) -> None:
    assert parse_report_command(word.lower(), WORDS) == ReportCommand(
        WORDS.report[normalize(word)], ""
    )
    found = parse_report_command(f"{word} migra en 26 y Pulaski", WORDS)
    assert found is not None
    assert found.text == "migra en 26 y Pulaski"


def test_chinese_needs_no_space_after_the_word_and_keeps_the_witness_words() -> None:
    assert parse_report_command("举报移民局在26街", WORDS) == ReportCommand("zh", "移民局在26街")
    assert parse_report_command("REPORTE: Migra en la 26", WORDS) == ReportCommand(
        "es", "Migra en la 26"
    )


@pytest.mark.parametrize("text", ["Reporter at the corner", "ICE at 26th", "REPORTED 1234", ""])
def test_other_texts_are_not_reports(text: str) -> None:
    assert parse_report_command(text, WORDS) is None


def test_a_zip_code_in_free_text() -> None:
    assert zip_in("ICE at 26th and Pulaski 60623 now") == "60623"
    assert zip_in("call 7735550199") is None
    assert zip_in("2415 S Pulaski") is None
