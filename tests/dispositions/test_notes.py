"""NOTE <code> <kind> by text, and the same from the console: only what you took."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from hotline import db
from hotline.dispositions import service as dispositions
from hotline.models import (
    Callback,
    CallRecord,
    Claim,
    ClaimHolder,
    ClaimKind,
    ClaimStatus,
    Disposition,
    SmsCase,
)
from hotline.simulator.call import DialAnswer
from tests.support import HOTLINE, signed_post
from tests.voice.test_urgent import ACCEPT, ANA, WEI, Hotline, hotline

__all__ = ["hotline"]


def text(hotline: Hotline, sender: str, body: str, n: int) -> str:
    form = {"From": sender, "To": HOTLINE, "Body": body, "MessageSid": f"SMnote{n:028d}"}
    answer = signed_post(hotline.client, "/twilio/sms", form)
    assert answer.status_code == 200
    return answer.text


def taken(session: Session, kind: ClaimKind, code: str, volunteer_id: int) -> int:
    """A claim that `volunteer_id` took and finished: its id."""
    now = datetime.now(UTC)
    claim = Claim(
        kind=kind, code=code, status=ClaimStatus.DONE, held=1, created_at=now, updated_at=now
    )
    session.add(claim)
    session.flush()
    assert claim.id is not None
    session.add(ClaimHolder(claim_id=claim.id, volunteer_id=volunteer_id, at=now))
    session.flush()
    return claim.id


def notes(engine: Engine) -> list[Disposition]:
    with Session(engine) as session:
        return list(session.exec(select(Disposition)).all())


def test_the_volunteer_who_answered_notes_the_call_by_text(hotline: Hotline) -> None:
    ana = hotline.volunteer("Ana", ANA, "es,en")
    hotline.volunteer("Wei", WEI, "zh,en")
    hotline.call(["2", "1"], {ANA: DialAnswer("completed", keys=ACCEPT)})
    record = hotline.record()
    code = dispositions.call_code(record.call_ref)
    # Wei did not take it: the code is nothing to him, and nothing is written.
    assert f"编号为 {code} 的电话或个案" in text(hotline, WEI, f"NOTE {code} DETENTION", 1)
    assert notes(hotline.engine) == []
    answer = text(hotline, ANA, f"note {code} detention", 2)
    assert f"anotado, {code} fue sobre DETENTION" in answer
    [noted] = notes(hotline.engine)
    assert (noted.call_record_id, noted.kind, noted.volunteer_id) == (record.id, "detention", ana)
    # A correction replaces the word; there is still one note.
    text(hotline, ANA, f"NOTE {code} CLINIC", 3)
    [noted] = notes(hotline.engine)
    assert noted.kind == "clinic"


@pytest.mark.parametrize("body", ["NOTE", "NOTE 12 DETENTION", "NOTE 1234 BURGLARY", "note x"])
def test_a_note_that_cannot_be_read_gets_the_how_to(hotline: Hotline, body: str) -> None:
    hotline.volunteer("Ana", ANA, "en")
    assert "send NOTE, its code and one word" in text(hotline, ANA, body, 7)
    assert notes(hotline.engine) == []


def test_a_text_case_is_noted_by_its_code(hotline: Hotline, engine: Engine) -> None:
    ana = hotline.volunteer("Ana", ANA, "en")
    now = datetime.now(UTC)
    with db.transaction(engine) as session:
        claim = taken(session, ClaimKind.SMS_CASE, "482100", ana)
        case = SmsCase(
            claim_id=claim, texter_key="k", sender=HOTLINE, language="es",
            last_activity_at=now, created_at=now,
        )  # fmt: skip
        session.add(case)
    assert "noted, 482100 was about SIGHTING" in text(hotline, ANA, "NOTE 482100 SIGHTING", 9)
    [noted] = notes(engine)
    assert (noted.sms_case_id, noted.kind) == (case.id, "sighting")


def test_kinds_outside_the_list_are_refused(engine: Engine) -> None:
    with db.transaction(engine) as session:
        record = CallRecord(call_ref="r", started_at=datetime.now(UTC))
        session.add(record)
        session.flush()
        assert record.id is not None
        with pytest.raises(dispositions.InvalidField):
            dispositions.note(
                session=session, subject="call", subject_id=record.id, kind="x", volunteer_id=None,
                user=None,
            )  # fmt: skip


def test_a_call_called_back_is_known_by_the_callbacks_code_and_its_own(
    hotline: Hotline, engine: Engine
) -> None:
    ana = hotline.volunteer("Ana", ANA, "en")
    now = datetime.now(UTC)
    with db.transaction(engine) as session:
        record = CallRecord(call_ref="called-back", started_at=now, urgent_at=now)
        session.add(record)
        claim = taken(session, ClaimKind.CALLBACK, "123456", ana)
        session.add(
            Callback(
                claim_id=claim, call_ref="called-back", sender=HOTLINE, language="en",
                expires_at=now, created_at=now, updated_at=now,
            )
        )  # fmt: skip
    assert "noted, 123456 was about RIGHTS" in text(hotline, ANA, "NOTE 123456 RIGHTS", 11)
    own = dispositions.call_code("called-back")
    assert f"noted, {own} was about OTHER" in text(hotline, ANA, f"NOTE {own} OTHER", 12)
    [noted] = notes(engine)
    assert (noted.call_record_id, noted.kind) == (record.id, "other")
