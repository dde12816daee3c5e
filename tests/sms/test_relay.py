"""Urgent help by text, relayed through a volunteer; volunteers' commands."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from itertools import count

from sqlmodel import Session, select

from hotline.models import Claim, SmsCase, Volunteer
from tests.support import HOTLINE, signed_post
from tests.voice.test_urgent import ANA, WEI, Hotline

TEXTER = "+13125550177"
_sids = count(1)


def text(hotline: Hotline, body: str, sender: str = TEXTER) -> list[str]:
    form = {"MessageSid": f"SMrelay{next(_sids):027d}", "From": sender, "To": HOTLINE, "Body": body}
    response = signed_post(hotline.client, "/twilio/sms", form)
    assert response.status_code == 200
    return [m.text or "" for m in ET.fromstring(response.text).iter("Message")]


def sent_to(hotline: Hotline, number: str) -> list[str]:
    hotline.send()
    return [m["body"] or "" for m in hotline.gateway.messages if m["to"] == number]


def case_row(hotline: Hotline) -> SmsCase:
    with Session(hotline.engine) as session:
        return session.exec(select(SmsCase)).one()


def claim_row(hotline: Hotline) -> Claim:
    with Session(hotline.engine) as session:
        return session.exec(select(Claim)).one()


def test_urgent_help_by_text_is_relayed_both_ways_and_forgotten_when_done(
    hotline: Hotline,
) -> None:
    hotline.volunteer("Ana", ANA, "es,en")
    opened = "Recibimos su mensaje. Un voluntario le responderá aquí pronto."
    assert text(hotline, "AYUDA")[0].startswith(opened)
    (alert,) = sent_to(hotline, ANA)
    code = re.search(r"ACCEPT (\d{6})", alert)
    assert code is not None
    assert '"AYUDA"' in alert
    assert TEXTER not in alert
    code_ = code.group(1)

    assert text(hotline, f"accept {code_}", sender=ANA)[0].startswith(
        f"Línea de ayuda: el caso {code_} es suyo."
    )
    assert text(hotline, "están en la puerta") == []
    assert sent_to(hotline, ANA)[-1] == f"[{code_}] están en la puerta"

    assert text(hotline, f"{code_} No abra la puerta.", sender=ANA) == []
    assert text(hotline, "¿Está a salvo?", sender=ANA) == []
    assert sent_to(hotline, TEXTER)[-2:] == ["No abra la puerta.", "¿Está a salvo?"]
    assert {m["from"] for m in hotline.gateway.messages if m["to"] == TEXTER} == {HOTLINE}

    assert text(hotline, f"DONE {code_}", sender=ANA) == [
        f"Línea de ayuda: el caso {code_} está cerrado."
    ]
    assert sent_to(hotline, TEXTER)[-1].startswith("Su conversación con el voluntario terminó.")
    assert case_row(hotline).texter_sealed is None
    closed = claim_row(hotline)
    assert (closed.status, closed.open_code) == ("done", None)


def test_the_second_volunteer_to_accept_is_told_it_is_taken(hotline: Hotline) -> None:
    hotline.volunteer("Ana", ANA, "es")
    hotline.volunteer("Luis", "+13125550133", "es")
    text(hotline, "AYUDA")
    code = claim_row(hotline).code
    assert "es suyo" in text(hotline, f"ACCEPT {code}", sender=ANA)[0]
    # Taken, unknown, or not alerted: one answer, which tells a guesser nothing.
    late = text(hotline, f"ACCEPT {code}", sender="+13125550133")[0]
    assert late == f"Línea de ayuda: {code} no está disponible para que usted lo acepte. " + (
        "Puede que ya lo tomaron, que esté cerrado o que el código esté mal escrito."
    )
    assert text(hotline, "ACCEPT 000000", sender="+13125550133") == [late.replace(code, "000000")]


def test_an_opt_out_during_a_case_is_not_relayed(hotline: Hotline) -> None:
    hotline.volunteer("Ana", ANA, "es")
    text(hotline, "AYUDA")
    code = claim_row(hotline).code
    text(hotline, f"ACCEPT {code}", sender=ANA)
    before = len(sent_to(hotline, ANA))
    assert text(hotline, "PARAR")[0].startswith("No recibirá más mensajes")
    assert len(sent_to(hotline, ANA)) == before


def test_a_quiet_case_closes_and_forgets_the_number(hotline: Hotline) -> None:
    hotline.volunteer("Ana", ANA, "es")
    text(hotline, "AYUDA")
    with Session(hotline.engine) as session:
        case = session.exec(select(SmsCase)).one()
        case.last_activity_at = datetime.now(UTC) - timedelta(hours=2)
        session.add(case)
        session.commit()
    assert hotline.runtime.texting.close_quiet_cases() == 1
    assert case_row(hotline).texter_sealed is None


def test_volunteer_commands(hotline: Hotline) -> None:
    ana = hotline.volunteer("Ana", ANA, "en,es")
    assert text(hotline, "status", sender=ANA) == [
        "Hotline: you are on call now. Your availability: on."
    ]
    assert text(hotline, "OFF", sender=ANA) == [
        "Hotline: you are not on call now. Your availability: off."
    ]
    reply = text(hotline, "break 30", sender=ANA)[0]
    assert reply.startswith("Hotline: you are not on call now. Your availability: break ")
    with Session(hotline.engine) as session:
        volunteer = session.get(Volunteer, ana)
        assert volunteer is not None
        assert volunteer.availability == "break"
    assert text(hotline, "on", sender=ANA)[0].startswith("Hotline: you are on call now.")
    assert text(hotline, "what now?", sender=ANA)[0].startswith("Hotline commands: ON, OFF")
    assert text(hotline, "DONE 1234", sender=ANA)[0].startswith("Hotline: you have no open case")
    # Someone who is no volunteer sending a command is just a texter.
    assert text(hotline, "STATUS", sender=WEI)[0].startswith("For English, reply 1.")
