"""Urgent calls end to end: tiers, screening, the call record, callbacks claimed by text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from hotline.app import create_app, make_dispatcher
from hotline.config import Settings
from hotline.deps import Runtime
from hotline.models import Callback, CallRecord, Claim, Shift, Volunteer
from hotline.privacy.pseudonym import Keyring
from hotline.routing.service import volunteer_phone_place
from hotline.schedule import tick_callbacks
from hotline.simulator.call import CallResult, CallSimulator, DialAnswer, ScriptedKeys
from hotline.telephony.fake import FakeGateway
from tests.support import (
    CALLER,
    HOTLINE,
    PUBLIC_URL,
    TOKEN,
    call_params,
    place_call,
    signed_post,
)

BACKUP = "+13125550111"
ANA, WEI = "+13125550131", "+13125550132"
ACCEPT, DECLINE, VOICEMAIL = ("1",), ("2",), ()


@dataclass
class Hotline:
    app: FastAPI
    client: TestClient
    gateway: FakeGateway
    engine: Engine

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    def volunteer(self, name: str, phone: str, languages: str) -> int:
        """A volunteer on call from an hour ago for a day."""
        vault, now = self.runtime.vault, datetime.now(UTC)
        key = vault.fingerprint(phone, purpose="volunteer")
        with Session(self.engine) as session:
            volunteer = Volunteer(
                name=name,
                phone_sealed=vault.seal(phone, place=volunteer_phone_place(key)),
                phone_key=key,
                phone_hint=phone[:5] + "•••" + phone[-4:],
                languages=languages,
                created_at=now,
                updated_at=now,
            )
            session.add(volunteer)
            session.flush()
            assert volunteer.id is not None
            session.add(
                Shift(
                    volunteer_id=volunteer.id,
                    starts_at=now - timedelta(hours=1),
                    ends_at=now + timedelta(days=1),
                    created_at=now,
                )
            )
            session.commit()
            volunteer_id = volunteer.id
        self.runtime.roster.refresh()
        return volunteer_id

    def call(self, keys: list[str], answers: dict[str, DialAnswer]) -> CallResult:
        def answer(number: str) -> DialAnswer:
            return answers.get(number, DialAnswer(status="no-answer"))

        return place_call(self.client, keys, answer=answer)

    def record(self) -> CallRecord:
        self.runtime.recorder.flush()
        with Session(self.engine) as session:
            return session.exec(select(CallRecord)).one()

    def send(self) -> None:
        self.runtime.recorder.flush()
        make_dispatcher(self.runtime.settings, self.runtime).run_once()


@pytest.fixture
def hotline(settings: Settings, engine: Engine, keyring: Keyring) -> Hotline:
    gateway = FakeGateway()
    app = create_app(settings, engine=engine, gateway=gateway, keyring=keyring)
    with TestClient(app) as client:
        yield Hotline(app, client, gateway, engine)  # type: ignore[misc]


def dials(result: CallResult) -> list[str]:
    return [h.text for h in result.transcript if h.kind == "say"]


def callee_heard(result: CallResult) -> list[str]:
    return [h.text for h in result.transcript if h.leg == "callee" and h.kind == "say"]


def test_accepted_in_the_first_tier(hotline: Hotline) -> None:
    ana = hotline.volunteer("Ana", ANA, "es,en")
    hotline.volunteer("Wei", WEI, "zh,en")
    result = hotline.call(["2", "1"], {ANA: DialAnswer("completed", keys=ACCEPT)})
    assert "Conectando. No cuelgue." in dials(result)
    assert callee_heard(result)[0] == (
        "Llamada urgente de la línea de ayuda en español. Oprima 1 para aceptar."
    )
    record = hotline.record()
    assert (record.tier_reached, record.accepted_by, record.outcome) == (1, ana, "answered")
    assert record.first_ring_at is not None
    assert record.answered_at is not None
    assert record.language == "es"


@pytest.mark.parametrize("ana_does", [DECLINE, VOICEMAIL], ids=["declined", "voicemail"])
def test_a_declined_or_voicemail_leg_is_dropped_and_the_next_tier_rings(
    hotline: Hotline, ana_does: tuple[str, ...]
) -> None:
    hotline.volunteer("Ana", ANA, "es")
    wei = hotline.volunteer("Wei", WEI, "zh,en")
    answers = {
        ANA: DialAnswer("completed", keys=ana_does),
        WEI: DialAnswer("completed", keys=ACCEPT),
    }
    result = hotline.call(["2", "1"], answers)
    said = dials(result)
    assert "Todavía estamos tratando de comunicarnos con alguien. Por favor, no cuelgue." in said
    # Wei hears the whisper in Chinese, naming the caller's language in Chinese.
    assert any("西班牙语" in line for line in callee_heard(result))
    record = hotline.record()
    assert (record.tier_reached, record.accepted_by) == (2, wei)


def test_nobody_in_the_first_tier_rings_the_second_at_once(hotline: Hotline) -> None:
    wei = hotline.volunteer("Wei", WEI, "zh,en")
    result = hotline.call(["2", "1"], {WEI: DialAnswer("completed", keys=ACCEPT)})
    assert "Todavía estamos" not in " ".join(dials(result))
    record = hotline.record()
    assert (record.tier_reached, record.accepted_by) == (2, wei)


def test_the_backup_rings_when_no_volunteer_answers(hotline: Hotline) -> None:
    hotline.volunteer("Ana", ANA, "es")
    rung: list[str] = []

    def answer(number: str) -> DialAnswer:
        rung.append(number)
        return DialAnswer("completed") if number == BACKUP else DialAnswer("no-answer")

    place_call(hotline.client, ["2", "1"], answer=answer)
    assert rung == [ANA, BACKUP]
    record = hotline.record()
    assert (record.tier_reached, record.outcome) == (3, "connected")


def test_the_caller_never_hears_a_number_and_every_leg_shows_the_hotline(
    hotline: Hotline,
) -> None:
    hotline.volunteer("Ana", ANA, "es")
    result = hotline.call(["2", "1"], {ANA: DialAnswer("completed", keys=ACCEPT)})
    assert not any(re.search(r"\d{7}", line) for line in dials(result))
    screening = [r for r in result.requests if "/screen" in r]
    assert screening, "the volunteer's leg must be screened"


def callback_requested(hotline: Hotline) -> tuple[str, Callback]:
    """Ana does not answer, nor the backup; the caller asks for a callback."""
    hotline.call(["2", "1", "1"], {})
    hotline.send()
    alerts = [m for m in hotline.gateway.messages if m["to"] == ANA]
    assert alerts, "the on-call volunteer is texted"
    body = alerts[-1]["body"] or ""
    code = re.search(r"ACCEPT (\d{6})", body)
    assert code is not None
    assert CALLER not in body
    with Session(hotline.engine) as session:
        callback = session.exec(select(Callback)).one()
    return code.group(1), callback


def test_a_callback_claimed_by_text_is_bridged_and_then_forgets_the_number(
    hotline: Hotline,
) -> None:
    hotline.volunteer("Ana", ANA, "es,en")
    hotline.volunteer("Luis", "+13125550133", "es")
    code, callback = callback_requested(hotline)
    assert callback.caller_sealed is not None
    assert CALLER.encode() not in callback.caller_sealed

    sms = {"From": ANA, "To": HOTLINE, "Body": f"accept {code}", "MessageSid": "SM" + "a" * 32}
    reply = signed_post(hotline.client, "/twilio/sms", sms)
    assert "es suya" in reply.text
    again = signed_post(
        hotline.client, "/twilio/sms", {**sms, "From": "+13125550133", "MessageSid": "SMb"}
    )
    assert "no está disponible para que usted lo acepte" in again.text

    hotline.send()
    (call,) = hotline.gateway.calls
    assert (call["to"], call["from"]) == (ANA, HOTLINE)
    taken = [m for m in hotline.gateway.messages if m["to"] == "+13125550133"]
    assert any("otro voluntario" in (m["body"] or "") for m in taken)

    # A signed request about any call but the one the hotline placed dials nobody.
    forged = call_params(CallSid="CA" + "e" * 32, Digits="1", From=HOTLINE, To=ANA)
    for url in (call["url"], call["url"].replace("/callback?", "/callback/connect?")):
        answer = signed_post(hotline.client, url, forged)
        assert "<Dial" not in answer.text
        assert CALLER not in answer.text

    # Ana picks up the hotline's call, presses 1, and the caller is rung from the hotline.
    rung: list[str] = []

    def caller_answers(number: str) -> DialAnswer:
        rung.append(number)
        return DialAnswer("completed")

    CallSimulator(
        client=hotline.client,
        public_url=PUBLIC_URL,
        auth_token=TOKEN,
        caller=ANA,
        hotline=HOTLINE,
        keys=ScriptedKeys(["1"], barge_in=False),
        out=lambda _line: None,
        answer=caller_answers,
    ).run(answering=call["url"], call_sid=call["sid"])
    assert rung == [CALLER]
    with Session(hotline.engine) as session:
        done = session.exec(select(Callback)).one()
        claim = session.get(Claim, done.claim_id)
    assert done.caller_sealed is None
    assert claim is not None
    assert (claim.status, claim.open_code) == ("done", None)


def test_an_unclaimed_callback_is_announced_again_then_goes_to_the_backup(
    hotline: Hotline,
) -> None:
    hotline.volunteer("Ana", ANA, "es")
    _, callback = callback_requested(hotline)
    settings = hotline.runtime.settings
    later = datetime.now(UTC)
    for round_ in range(2, settings.callback_alerts + 2):
        later += timedelta(minutes=settings.callback_realert_minutes + 1)
        with Session(hotline.engine) as session:
            row = session.get(Claim, callback.claim_id)
            assert row is not None
            row.next_alert_at = datetime.now(UTC) - timedelta(seconds=1)
            session.add(row)
            session.commit()
        assert tick_callbacks(hotline.runtime) == 1
        hotline.send()
        if round_ <= settings.callback_alerts:
            assert sum(1 for m in hotline.gateway.messages if m["to"] == ANA) == round_
    assert [c["to"] for c in hotline.gateway.calls] == [BACKUP]


def test_an_expired_callback_deletes_the_sealed_number(hotline: Hotline) -> None:
    hotline.volunteer("Ana", ANA, "es")
    _, callback = callback_requested(hotline)
    with Session(hotline.engine) as session:
        row = session.get(Callback, callback.id)
        assert row is not None
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        session.add(row)
        session.commit()
    tick_callbacks(hotline.runtime)
    with Session(hotline.engine) as session:
        expired = session.exec(select(Callback)).one()
        claim = session.get(Claim, expired.claim_id)
    assert expired.caller_sealed is None
    assert claim is not None
    assert claim.status == "expired"


def test_an_unknown_code_or_a_stranger_gets_the_ordinary_answer(hotline: Hotline) -> None:
    hotline.volunteer("Ana", ANA, "es")
    text = {"To": HOTLINE, "Body": "ACCEPT 000000", "MessageSid": "SM" + "c" * 32}
    unknown = signed_post(hotline.client, "/twilio/sms", {**text, "From": ANA})
    assert "000000" in unknown.text
    stranger = signed_post(hotline.client, "/twilio/sms", {**text, "From": CALLER})
    assert "For English, reply 1." in stranger.text
