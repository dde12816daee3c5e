"""The text conversation: language, keywords in every language, opt-outs, deletion."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import count

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from hotline.deps import Runtime
from hotline.models import CallerPreference, CallEvent, OptOut, SmsInbound
from hotline.sms.flow import normalize
from tests.support import HOTLINE, place_call, signed_post

TEXTER = "+13125550166"
_sids = count(1)


def text(client: TestClient, body: str, sender: str = TEXTER) -> list[str]:
    form = {
        "MessageSid": f"SM{next(_sids):032d}",
        "From": sender,
        "To": HOTLINE,
        "Body": body,
        "NumMedia": "0",
    }
    response = signed_post(client, "/twilio/sms", form)
    assert response.status_code == 200
    root = ET.fromstring(response.text)
    return [message.text or "" for message in root.iter("Message")]


def rows(engine: Engine, table: type) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(table)).scalar_one())


def runtime_of(app: FastAPI) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        (" stop ", "STOP"),
        ("Árrêt!", "ARRET"),
        ("ayúdame", "AYUDAME"),
        ("borrar  mis datos", "BORRAR MIS DATOS"),
    ],
)
def test_keywords_match_in_any_case_and_without_accents(raw: str, normal: str) -> None:
    assert normalize(raw) == normal


def test_a_stranger_gets_the_language_menu_and_a_digit_chooses(
    client: TestClient, engine: Engine
) -> None:
    # Nothing in it tells a language: the menu.
    (menu,) = text(client, "??")
    assert menu.splitlines()[:2] == ["For English, reply 1.", "2 Español"]
    assert "0 Tagalog" in menu.splitlines()
    chosen = text(client, "2")
    assert chosen[0].startswith("Línea de emergencia de inmigración. Responda DERECHOS")
    runtime_of(client.app).recorder.flush()  # type: ignore[arg-type]
    assert rows(engine, CallerPreference) == 1
    # From now on the texter is answered in Spanish without a menu.
    assert text(client, "hola")[0].startswith("Línea de emergencia de inmigración")


@pytest.mark.parametrize(
    ("word", "lang", "header"),
    [
        ("DERECHOS", "es", "Conozca sus derechos"),
        ("rights", "en", "Know your rights"),
        ("Droits", "fr", "Connaissez vos droits"),
        ("мои права", "ru", None),
        ("权利", "zh", None),
        ("KARAPATAN", "tl", None),
    ],
)
def test_a_keyword_in_a_language_answers_in_it_with_the_rights_in_parts(
    app: FastAPI, client: TestClient, word: str, lang: str, header: str | None
) -> None:
    parts = text(client, word)
    expected = list(runtime_of(app).rights_texts[lang])
    assert parts == expected
    assert all(len(part) <= 1600 for part in parts)
    if header is not None:
        assert header in parts[0]


def test_resources_help_and_language_keywords(client: TestClient) -> None:
    resources = text(client, "RECURSOS")
    assert resources[0] == "Lugares que le pueden ayudar:"
    assert (
        "Clínica legal gratuita: Northside Immigrant Legal Clinic, (312) 555-0142" in resources[1]
    )
    info = text(client, "información")
    assert "Responda PARAR" in info[0]
    assert text(client, "idioma")[0].startswith("For English, reply 1.\n2 Español")


def test_the_english_stop_gets_no_reply_and_then_nothing_is_answered(
    client: TestClient, engine: Engine
) -> None:
    text(client, "1")
    assert text(client, "STOP") == []
    assert rows(engine, OptOut) >= 1
    assert text(client, "RIGHTS") == []
    assert text(client, "start") == []  # Twilio confirms START itself
    assert text(client, "RIGHTS") != []


def test_another_languages_stop_word_is_confirmed_in_that_language(
    client: TestClient, engine: Engine
) -> None:
    assert text(client, "parar") == [
        "No recibirá más mensajes de este número. Responda INICIAR para volver a recibirlos."
    ]
    assert text(client, "AYUDA") == []
    assert text(client, "INICIAR") == ["Volverá a recibir mensajes de este número."]
    assert rows(engine, OptOut) == 0


def test_stop_inside_a_sentence_is_not_an_opt_out(client: TestClient, engine: Engine) -> None:
    text(client, "1")
    assert text(client, "STOP this bill") != []
    assert rows(engine, OptOut) == 0


def test_delete_erases_what_is_held_under_the_number_and_confirms_once(
    app: FastAPI, client: TestClient, engine: Engine
) -> None:
    place_call(client, ["2", "0"], caller=TEXTER)
    text(client, "2")
    runtime_of(app).recorder.flush()
    assert rows(engine, CallEvent) > 0
    assert text(client, "BORRAR") == ["Borramos todo lo que teníamos sobre su número de teléfono."]
    runtime_of(app).recorder.flush()
    assert rows(engine, CallEvent) == 0
    assert rows(engine, CallerPreference) == 0
    assert rows(engine, SmsInbound) == 1  # only the delete request itself, to answer retries
    # Forgotten: the next text gets the language menu again.
    assert text(client, "??")[0].startswith("For English, reply 1.\n")


def test_urgent_words_and_pictures_get_the_menu_that_says_to_call(client: TestClient) -> None:
    urgent = text(client, "AYUDA")
    assert "llame a este número" in urgent[0]
    form = {
        "MessageSid": "SM" + "e" * 32,
        "From": "+13125550167",
        "To": HOTLINE,
        "Body": "",
        "NumMedia": "1",
        "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM1/Media/ME1",
        "MediaContentType0": "image/jpeg",
    }
    reply = signed_post(client, "/twilio/sms", form)
    assert reply.status_code == 200
    assert "For English, reply 1." in reply.text


@pytest.mark.parametrize(
    ("greeting", "start"),
    [
        ("Hola", "Línea de emergencia de inmigración"),
        ("bonjour", "Ligne d'urgence"),
        ("привет", None),
        ("Kumusta", None),
    ],
)
def test_a_greeting_in_a_language_answers_in_it(
    client: TestClient, greeting: str, start: str | None
) -> None:
    reply = text(client, greeting)
    assert len(reply) == 1, "the menu in that language, not the language menu"
    if start is not None:
        assert reply[0].startswith(start)
