"""Responders by text: GO and the results from the field, ACCEPT of a call-out, the lockout
for guessed codes, and a question to the reporters through the masked relay."""

from __future__ import annotations

import re
import threading

from sqlmodel import Session, select

from hotline import db
from hotline.models import Report, Volunteer
from tests.rapid.conftest import Field, field_fixture

__all__ = ["field_fixture"]

ANA, LUIS, COCO = "+13125550131", "+13125550133", "+13125550134"
WITNESS, VOICE = "+13125550177", "+13125550188"
SUBSCRIBER = "+13125550161"


def setup(field: Field) -> tuple[int, int]:
    village = field.zone("Little Village", ["60623"])
    ana = field.responder("Ana", ANA, "es,en", [village])
    luis = field.responder("Luis", LUIS, "en", [village])
    return ana, luis


def code_of(field: Field) -> str:
    code = field.incidents()[-1].code
    assert code is not None
    return code


def test_go_and_confirmed_by_text_alert_the_zone_at_once(field: Field) -> None:
    setup(field)
    field.text("ALERTS 60623", SUBSCRIBER)
    field.text("REPORTE migra en 26 y Pulaski 60623", WITNESS)
    code = code_of(field)
    assert f"GO {code}" in field.texts_to(ANA)[0]
    yours = f"Línea de ayuda: el llamado {code} es suyo."
    assert field.text(f"go {code}", ANA)[0].startswith(yours)
    assert field.texts_to(LUIS)[-1] == f"Hotline: call-out {code} is taken. Thank you."
    assert field.text(f"GO {code}", LUIS) == [
        f"Hotline: there is no open call-out with the code {code} for you."
    ]
    assert "confirmado" in field.text(f"CONFIRMED {code}", ANA)[0]
    # The confirmation started queueing the alerts before it was answered, without a tick.
    for thread in threading.enumerate():
        if thread.name == "hotline-alerts":
            thread.join(timeout=30)
    assert len(field.outbox("alert")) == 1
    # The tick's fan-out after it queues nothing twice.
    field.tick()
    [alert] = field.texts_to(SUBSCRIBER)
    assert alert.startswith("Hotline alert, confirmed by our responders")
    assert field.incidents()[-1].status == "confirmed"


def test_accept_with_a_call_out_code_is_go_and_strangers_learn_nothing(field: Field) -> None:
    ana, _ = setup(field)
    stranger = field.hotline.volunteer("Wei", "+13125550132", "en")
    field.text("REPORTE migra en 26 y Pulaski 60623", WITNESS)
    code = code_of(field)
    refusal = f"Hotline: {code} is not open for you to accept. It may be taken, closed or mistyped."
    assert field.text(f"ACCEPT {code}", "+13125550132") == [refusal]
    assert field.text(f"ACCEPT {code}", ANA)[0].startswith(f"Línea de ayuda: el llamado {code}")
    assert field.incidents()[-1].status == "dispatched"
    assert stranger != ana


def test_guessing_codes_with_go_locks_the_responder_out_and_tells_the_coordinators(
    field: Field,
) -> None:
    setup(field)
    coco = field.hotline.volunteer("Coco", COCO, "en")
    with db.transaction(field.hotline.engine) as session:
        row = session.get(Volunteer, coco)
        assert row is not None
        row.role = "coordinator_backup"
    field.hotline.runtime.roster.refresh()
    field.text("REPORTE migra en 26 y Pulaski 60623", WITNESS)
    code = code_of(field)
    for guess in ("111111", "222222", "333333", "444444", "555555"):
        field.text(f"GO {guess}", LUIS)
    # Locked out: even the real code is refused now.
    assert field.text(f"GO {code}", LUIS) == [
        f"Hotline: there is no open call-out with the code {code} for you."
    ]
    told = [b for b in field.texts_to(COCO) if "5 wrong codes" in b]
    assert len(told) == 1
    assert "Luis" in told[0]
    assert LUIS not in told[0]


def test_a_responder_asks_the_reporters_by_text_and_their_answers_come_back(
    field: Field,
) -> None:
    setup(field)
    field.text("REPORTE migra en 26 y Pulaski 60623", WITNESS)
    code = code_of(field)
    assert field.text(f"ASK {code} ¿Siguen ahí?", ANA)[0].startswith(
        "Línea de ayuda: solo quien respondió GO"
    )
    field.text(f"GO {code}", ANA)
    assert field.text(f"ASK {code} ¿Siguen ahí? ¿Cuántos carros?", ANA)[0].startswith(
        f"Línea de ayuda: su pregunta sobre el llamado {code} se envió"
    )
    [question] = field.texts_to(WITNESS)
    assert question.startswith("Línea de ayuda: una persona que está verificando su reporte")
    assert "¿Siguen ahí? ¿Cuántos carros?" in question
    assert ANA not in question
    # The reporter's answer goes to Ana, after the code; the reporter is not answered.
    assert field.text("sí, tres camionetas", WITNESS) == []
    assert field.texts_to(ANA)[-1] == f"[{code}] sí, tres camionetas"
    assert WITNESS not in field.texts_to(ANA)[-1]
    # Once the incident closes, the number is gone and nothing more is relayed.
    field.text(f"CONFIRMED {code}", ANA)
    with Session(field.hotline.engine) as session:
        [report] = session.exec(select(Report)).all()
    assert (report.reporter_sealed, report.asked_by) == (None, None)
    relayed = len(field.texts_to(ANA))
    assert field.text("¿hola?", WITNESS)[0].startswith("Línea de emergencia de inmigración.")
    assert len(field.texts_to(ANA)) == relayed


def test_voice_reporters_are_never_texted_a_question(field: Field) -> None:
    from tests.support import place_call

    setup(field)
    place_call(field.hotline.client, ["2", "3", "5", "60623", "1", "1", "-", "-", "-"],
               caller=VOICE)  # fmt: skip
    code = code_of(field)
    field.text(f"GO {code}", ANA)
    assert field.text(f"ASK {code} ¿dónde?", ANA)[0].startswith(
        f"Línea de ayuda: no hay nadie a quien preguntar sobre el llamado {code}."
    )
    assert field.texts_to(VOICE) == []


def test_words_that_start_like_a_command_still_reach_the_texter(field: Field) -> None:
    field.hotline.volunteer("Ana", ANA, "es")
    field.text("AYUDA", WITNESS)
    alert = field.texts_to(ANA)[0]
    found = re.search(r"ACCEPT (\d{6})", alert)
    assert found is not None
    field.text(f"ACCEPT {found.group(1)}", ANA)
    assert field.text("Go to the back room and stay quiet", ANA) == []
    assert field.texts_to(WITNESS)[-1] == "Go to the back room and stay quiet"
    assert field.text("GO", ANA)[0].startswith("Comandos de la línea de ayuda:")


def test_a_stranger_texting_a_real_code_changes_nothing(field: Field) -> None:
    setup(field)
    field.text("REPORTE migra en 26 y Pulaski 60623", WITNESS)
    code = code_of(field)
    # Not a registered number: the words are a texter's, answered with the language menu.
    for words in (f"GO {code}", f"CONFIRMED {code}", f"ASK {code} hola"):
        assert field.text(words, "+13125550199")[0].startswith("For English, reply 1.")
    assert field.incidents()[-1].status == "reported"
    assert field.alerts() == []


def test_a_digit_answering_a_question_is_relayed_and_changes_no_language(field: Field) -> None:
    setup(field)
    field.text("REPORTE migra en 26 y Pulaski 60623", WITNESS)
    code = code_of(field)
    field.text(f"GO {code}", ANA)
    field.text(f"ASK {code} ¿Cuántos carros? Responda con un número.", ANA)
    assert field.text("3", WITNESS) == []
    assert field.texts_to(ANA)[-1] == f"[{code}] 3"
    field.text(f"CONFIRMED {code}", ANA)
    assert field.text("hola", WITNESS)[0].startswith("Línea de emergencia de inmigración.")
