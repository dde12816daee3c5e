"""Call-outs are claims of the shared claims module: one code namespace with callbacks and
text cases, the alerted-only rule, one answer for unknown and taken, the lockout, and a
responder who leaves hands their incidents back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from hotline import db
from hotline.auth import service as auth_service
from hotline.claims import service as claims
from hotline.models import Claim, ClaimAlert, ClaimKind, ClaimLockout, OutboxMessage
from hotline.rapid.kinds import IncidentStatus
from tests.rapid.conftest import Field
from tests.rapid.test_incidents import ANA, LUIS, MINUTE, incident, report, sighting

UNKNOWN = "Hotline: there is no open call-out with the code {code} for you."


def test_a_call_out_is_a_claim_with_a_code_unique_among_everything_open(field: Field) -> None:
    village = field.zone("Little Village", ["60623"])
    ana = field.responder("Ana", ANA, "es", [village])
    opened = report(field, sighting(), field.clock)
    found = incident(field, opened.incident_id)
    with Session(field.hotline.engine) as session:
        claim = session.get(Claim, found.claim_id)
        assert claim is not None
        assert (claim.kind, claim.open_code, claim.capacity) == (ClaimKind.INCIDENT, found.code, 1)
        alerted = session.exec(select(ClaimAlert.volunteer_id)).all()
    assert alerted == [ana]
    assert found.code is not None
    assert len(found.code) == 6
    # The claims module finds it whatever its kind, as ACCEPT would.
    with Session(field.hotline.engine) as session:
        assert claims.find_open(session=session, code=found.code) is not None
    field.reply(ana, f"GO {found.code}")
    field.reply(ana, f"CONFIRMED {found.code}")
    with Session(field.hotline.engine) as session:
        closed = session.get(Claim, found.claim_id)
        assert closed is not None
        assert (closed.status, closed.open_code) == ("done", None)


def test_five_wrong_codes_lock_a_responder_out_even_from_a_real_call_out(field: Field) -> None:
    village = field.zone("Little Village", ["60623"])
    ana = field.responder("Ana", ANA, "es", [village])
    luis = field.responder("Luis", LUIS, "es", [])  # a volunteer, never called out
    code = incident(field, report(field, sighting(), field.clock).incident_id).code
    assert code is not None
    for guess in ("111111", "222222", "333333", "444444"):
        assert field.reply(luis, f"GO {guess}") == UNKNOWN.format(code=guess)
    # The fifth wrong one (a real code, but not his) locks him out.
    assert field.reply(luis, f"CONFIRMED {code}") == UNKNOWN.format(code=code)
    with Session(field.hotline.engine) as session:
        assert session.get(ClaimLockout, luis) is not None
    # Ana, who was called out, is not affected.
    assert field.reply(ana, f"GO {code}").startswith(f"Hotline: call-out {code} is yours")


@pytest.mark.parametrize("leaves", ["deactivated", "deleted"])
def test_a_responder_who_leaves_hands_the_incident_back_to_its_call_out(
    field: Field, leaves: str
) -> None:
    village = field.zone("Little Village", ["60623"])
    ana = field.responder("Ana", ANA, "es", [village])
    luis = field.responder("Luis", LUIS, "es", [village])
    now = field.clock
    opened = report(field, sighting(), now)
    code = incident(field, opened.incident_id).code
    field.reply(ana, f"GO {code}", now)
    assert incident(field, opened.incident_id).status == IncidentStatus.DISPATCHED
    with db.transaction(field.hotline.engine) as session:
        _, token = auth_service.create_user(session=session, name="Boss", role="coordinator")
    headers = {"Authorization": f"Bearer {token}"}
    if leaves == "deactivated":
        answer = field.hotline.client.patch(
            f"/api/v1/volunteers/{ana}", json={"active": False}, headers=headers
        )
    else:
        answer = field.hotline.client.delete(f"/api/v1/volunteers/{ana}", headers=headers)
    assert answer.status_code in (200, 204), answer.text
    field.tick(now + MINUTE)
    again = incident(field, opened.incident_id)
    assert (again.status, again.code) == (IncidentStatus.REPORTED, code)
    history = field.history(opened.incident_id)
    assert history[-3:] == ["reported", "responder-left", "called-out"]
    # Luis is called out again with the same code, and may take it; Ana may not.
    assert sum(f"GO {code}" in body for body in field.texts_to(LUIS)) == 2
    assert field.reply(luis, f"GO {code}", now + 2 * MINUTE).startswith(
        f"Hotline: call-out {code} is yours"
    )
    with Session(field.hotline.engine) as session:
        to_ana = session.exec(
            select(OutboxMessage).where(col(OutboxMessage.idempotency_key).startswith(f"v{ana}:"))
        ).all()
    # Her call-out, still queued when she left, was canceled; she can take nothing more.
    assert [m.status for m in to_ana] == ["canceled"]
    if leaves == "deleted":
        return
    assert field.reply(ana, f"GO {code}", now + 2 * MINUTE) == UNKNOWN.format(code=code)
    # Nothing is called out twice: the next tick leaves it alone.
    field.tick(now + 3 * MINUTE)
    assert field.history(opened.incident_id).count("responder-left") == 1


def test_a_call_out_nobody_takes_keeps_escalating_after_the_upgrade_of_claims(
    field: Field,
) -> None:
    village = field.zone("Little Village", ["60623"])
    ana = field.responder("Ana", ANA, "es", [village])
    now = field.clock
    opened = report(field, sighting(), now)
    field.tick(now + 5 * MINUTE + timedelta(seconds=1))
    # The re-alert is the same claim, one more round; the code is unchanged.
    with Session(field.hotline.engine) as session:
        [claim] = session.exec(select(Claim)).all()
    assert claim.rounds == 2
    assert field.texts_to(ANA)[-1].startswith("Línea de ayuda: nadie ha tomado todavía")
    assert field.reply(ana, f"GO {incident(field, opened.incident_id).code}").startswith(
        "Hotline: call-out"
    )
