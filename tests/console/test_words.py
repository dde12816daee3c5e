"""The console speaks English and Spanish: the user's choice, else the browser's."""

from __future__ import annotations

import gettext

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from hotline.console.words import ConsoleWords, _preferred
from hotline.models import User
from tests.console.conftest import Browser, People


def test_the_sign_in_page_follows_accept_language(browser: Browser, people: People) -> None:
    spanish = browser.client.get("/console/login", headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert '<html lang="es">' in spanish.text
    assert "Iniciar sesión" in spanish.text
    other = browser.client.get("/console/login", headers={"Accept-Language": "de, zh;q=0.5"})
    assert '<html lang="en">' in other.text
    assert "Sign in" in other.text


def test_a_users_choice_beats_the_browser_and_is_kept(
    browser: Browser, people: People, engine: Engine
) -> None:
    browser.sign_in("Vera")
    assert "Ahora" not in browser.get("/console/now").text
    assert (
        browser.post("/console/language", {"language": "es", "back": "/console/calls"}).headers[
            "location"
        ]
        == "/console/calls"
    )
    page = browser.get("/console/now", headers={"Accept-Language": "en"})
    assert "Usted no está de turno ahora." in page.text
    with Session(engine) as session:
        vera = session.get(User, people.vera_user)
        assert vera is not None
        assert vera.console_language == "es"
    assert browser.post("/console/language", {"language": "xx"}).status_code == 422


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("es-MX,es;q=0.9,en;q=0.8", ["es", "en"]),
        ("en;q=0.1, es", ["es", "en"]),
        ("*", []),
        ("fr;q=0, es;q=bad", []),
        ("", []),
    ],
)
def test_accept_language_is_read_by_weight(header: str, expected: list[str]) -> None:
    assert [t for t in _preferred(header) if t in ("es", "en")] == expected


def test_english_is_the_fallback() -> None:
    words = ConsoleWords({"en": gettext.NullTranslations()})
    assert words.choose("es", "es") == "en"
    assert words.choose(None, None) == "en"
