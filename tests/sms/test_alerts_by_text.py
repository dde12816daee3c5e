"""Alerts by text: ALERTS <zip> … subscribes in the texter's language, ALERTS STOP, every
opt-out and DELETE unsubscribe; a wrong ALERTS is told how to write it."""

from __future__ import annotations

from sqlmodel import Session, select

from hotline.models import Subscriber, SubscriberZip
from tests.rapid.conftest import Field, field_fixture

__all__ = ["field_fixture"]

TEXTER = "+13125550161"


def subscribers(field: Field) -> list[Subscriber]:
    with Session(field.hotline.engine) as session:
        return list(session.exec(select(Subscriber)).all())


def zips(field: Field) -> set[str]:
    with Session(field.hotline.engine) as session:
        return {row.zip for row in session.exec(select(SubscriberZip)).all()}


def test_alerts_subscribes_in_the_language_of_the_word(field: Field) -> None:
    field.zone("Little Village", ["60623"])
    [answer] = field.text("alertas 60623, 60999", TEXTER)
    assert answer.startswith(
        "Recibirá alertas de la línea de ayuda para Little Village, solo cuando nuestro equipo "
        "las haya confirmado. Responda ALERTAS PARAR para dejar de recibirlas."
    )
    [row] = subscribers(field)
    assert (row.language, row.line, row.corrections) == ("es", "+13125550100", False)
    assert zips(field) == {"60623", "60999"}
    assert b"5550161" not in row.number_sealed
    # More ZIP codes, with corrections: added to those held.
    field.text("ALERTAS 60608 CORRECCIONES", TEXTER)
    assert zips(field) == {"60623", "60999", "60608"}
    assert subscribers(field)[0].corrections


def test_alerts_stop_any_opt_out_and_delete_each_unsubscribe(field: Field) -> None:
    field.zone("Little Village", ["60623"])
    field.text("ALERTAS 60623", TEXTER)
    assert field.text("ALERTAS PARAR", TEXTER) == ["Ya no recibirá alertas de la línea de ayuda."]
    assert subscribers(field) == []
    field.text("警报 60623", TEXTER)
    assert subscribers(field)[0].language == "es", "the texter's language is known by now"
    # Twilio answers STOP itself; the subscription goes all the same.
    assert field.text("STOP", TEXTER) == []
    assert subscribers(field) == []
    field.text("START", TEXTER)
    field.text("ALERTS 60623", TEXTER)
    assert len(subscribers(field)) == 1
    # (Past five texts in ten minutes a number gets no answers, but is still acted on.)
    field.text("BORRAR", TEXTER)
    assert subscribers(field) == []
    assert zips(field) == set()


def test_an_alerts_command_that_is_not_right_is_told_how_to_write_it(field: Field) -> None:
    assert field.text("ALERTAS mañana", TEXTER) == [
        "Para recibir alertas, responda ALERTAS y uno o más códigos postales, por ejemplo "
        "ALERTAS 60623. Para dejar de recibirlas, responda ALERTAS PARAR."
    ]
    assert subscribers(field) == []
