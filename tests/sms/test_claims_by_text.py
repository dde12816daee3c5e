"""Claims by text, as a hostile volunteer would try them, and volunteers who leave."""

from __future__ import annotations

from sqlmodel import Session, select

from hotline import db
from hotline.auth import service as auth_service
from hotline.models import AuditEntry, Claim, OutboxMessage, User, Volunteer
from tests.sms.test_relay import TEXTER, claim_row, sent_to, text
from tests.support import HOTLINE
from tests.voice.test_urgent import ANA, BACKUP, WEI, Hotline

LUIS = "+13125550133"
COORDINATOR = "+13125550134"


def test_guessing_codes_by_text_locks_accept_and_alerts_the_coordinators(
    hotline: Hotline,
) -> None:
    hotline.volunteer("Ana", ANA, "es")
    hotline.volunteer("Wei", WEI, "en")  # not alerted for a Spanish case
    hotline.volunteer("Coco", COORDINATOR, "en")
    with db.transaction(hotline.engine) as session:
        coordinator = session.exec(select(Volunteer).where(Volunteer.name == "Coco")).one()
        coordinator.role = "coordinator_backup"
    hotline.runtime.roster.refresh()
    text(hotline, "AYUDA")
    code = claim_row(hotline).code
    # Wei was not alerted: the right code is refused like any other.
    refused = text(hotline, f"ACCEPT {code}", sender=WEI)
    assert refused == [
        f"Hotline: {code} is not open for you to accept. "
        + ("It may be taken, closed or mistyped.")
    ]
    for guess in ("111111", "222222", "333333", "444444"):
        assert text(hotline, f"ACCEPT {guess}", sender=WEI)[0].endswith("or mistyped.")
    alerted = sent_to(hotline, COORDINATOR) + sent_to(hotline, BACKUP)
    locked = [body for body in alerted if "5 wrong codes" in body]
    assert len(locked) == 2, "the coordinator and the backup number are told"
    assert all("Wei" in body and WEI not in body and code not in body for body in locked)
    with Session(hotline.engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "lockout")).one()
    assert WEI not in entry.fields
    assert code not in entry.fields
    # Ana, who was alerted, still takes it.
    assert "es suyo" in text(hotline, f"ACCEPT {code}", sender=ANA)[0]


def test_a_deactivated_volunteer_stops_relaying_and_the_case_goes_to_another(
    hotline: Hotline,
) -> None:
    ana = hotline.volunteer("Ana", ANA, "es")
    hotline.volunteer("Luis", LUIS, "es")
    with db.transaction(hotline.engine) as session:
        boss, token = auth_service.create_user(session=session, name="Boss", role="coordinator")
        _, ana_token = auth_service.create_user(
            session=session, name="Ana", role="volunteer", volunteer_id=ana
        )
    text(hotline, "AYUDA")
    code = claim_row(hotline).code
    text(hotline, f"ACCEPT {code}", sender=ANA)
    hotline.runtime.recorder.flush()
    text(hotline, "están en la puerta")  # queued for Ana, not yet sent
    answer = hotline.client.patch(
        f"/api/v1/volunteers/{ana}",
        json={"active": False},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text
    with Session(hotline.engine) as session:
        relayed = session.exec(select(OutboxMessage).where(OutboxMessage.purpose == "relay")).all()
        user = session.exec(select(User).where(User.volunteer_id == ana)).one()
    assert [m.status for m in relayed if m.idempotency_key.startswith(f"v{ana}:")] == ["canceled"]
    assert not user.active
    me = hotline.client.get("/api/v1/shifts", headers={"Authorization": f"Bearer {ana_token}"})
    assert me.status_code == 401
    # The texter is told, Luis is alerted again, and Luis can take it.
    assert any("ya no está disponible" in body for body in sent_to(hotline, TEXTER))
    assert any(f"ACCEPT {code}" in body for body in sent_to(hotline, LUIS)[1:])
    assert not any("están en la puerta" in body for body in sent_to(hotline, ANA))
    assert "es suyo" in text(hotline, f"ACCEPT {code}", sender=LUIS)[0]
    text(hotline, "¿hola?")
    assert sent_to(hotline, LUIS)[-1] == f"[{code}] ¿hola?"
    # Ana's texts are now a stranger's: nothing of hers reaches the texter.
    before = len(sent_to(hotline, TEXTER))
    # (a first text from a stranger, answered in the language it is written in)
    assert text(hotline, f"{code} sigo aquí", sender=ANA)[0].startswith(
        "Línea de emergencia de inmigración."
    )
    assert len(sent_to(hotline, TEXTER)) == before
    assert boss.id is not None


def test_open_claims_use_the_hotline_number_as_sender(hotline: Hotline) -> None:
    hotline.volunteer("Ana", ANA, "es")
    text(hotline, "AYUDA")
    hotline.send()
    assert {m["from"] for m in hotline.gateway.messages} == {HOTLINE}
    with Session(hotline.engine) as session:
        assert session.exec(select(Claim)).one().kind == "sms_case"
