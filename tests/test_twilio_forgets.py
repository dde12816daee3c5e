"""What Twilio keeps of who was in touch: the hotline deletes texts received once answered,
its answers and its messages once final, and calls once ended."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from hotline.deps import Runtime
from hotline.models import CarrierDeletion, SmsInbound
from hotline.outbox.deletions import Deletions
from hotline.telephony.fake import FakeGateway
from tests.support import HOTLINE, PUBLIC_URL, call_params, signed_post

TEXTER = "+13125550177"
SID = "SM" + "4" * 32


def runtime_of(app: FastAPI) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


def text(client: TestClient, body: str, sid: str = SID) -> ET.Element:
    params = {"MessageSid": sid, "From": TEXTER, "To": HOTLINE, "Body": body, "NumMedia": "0"}
    answer = signed_post(client, "/twilio/sms", params)
    assert answer.status_code == 200
    return ET.fromstring(answer.text)


def delete_due(runtime: Runtime, gateway: FakeGateway, *, at: datetime) -> list[tuple[str, str]]:
    runtime.recorder.flush()
    Deletions(
        engine=runtime.engine, gateway=gateway, vault=runtime.vault, clock=lambda: at
    ).run_due()
    return gateway.deleted


def test_a_text_received_is_deleted_from_twilio_once_answered(
    app: FastAPI, engine: Engine, gateway: FakeGateway
) -> None:
    with TestClient(app) as client:
        answer = text(client, "HELP")
    runtime = runtime_of(app)
    assert delete_due(runtime, gateway, at=datetime.now(UTC)) == []
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert delete_due(runtime, gateway, at=later) == [("message", SID)]
    # Each answer reports its status, so it can be deleted once final too.
    (message,) = answer.iter("Message")
    assert message.get("action") == f"{PUBLIC_URL}/twilio/sms/status"
    with Session(engine) as session:
        assert session.exec(select(CarrierDeletion)).all() == []


def test_the_database_keeps_no_id_of_twilios_for_a_text_received(
    app: FastAPI, engine: Engine, gateway: FakeGateway
) -> None:
    with TestClient(app) as client:
        text(client, "HELP")
        text(client, "HELP")  # Twilio retries: answered again, noted once
    runtime = runtime_of(app)
    runtime.recorder.flush()
    with Session(engine) as session:
        (received,) = session.exec(select(SmsInbound)).all()
        assert received.sid_sealed is not None
        dumped = repr(received.model_dump()) + repr(session.exec(select(CarrierDeletion)).all())
    # A keyed hash finds the text again; Twilio's id itself is only sealed, then gone.
    assert SID not in dumped
    assert SID.encode() not in received.sid_sealed
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert delete_due(runtime, gateway, at=later) == [("message", SID)]
    with Session(engine) as session:
        assert session.exec(select(SmsInbound.sid_sealed)).one() is None
        assert session.exec(select(CarrierDeletion)).all() == []


def test_an_answer_is_deleted_once_twilio_says_it_is_final(
    app: FastAPI, gateway: FakeGateway
) -> None:
    answer_sid = "SM" + "5" * 32
    with TestClient(app) as client:
        for status in ("sent", "delivered"):
            params = {"MessageSid": answer_sid, "MessageStatus": status, "To": TEXTER}
            assert signed_post(client, "/twilio/sms/status", params).status_code == 204
    assert delete_due(runtime_of(app), gateway, at=datetime.now(UTC)) == [("message", answer_sid)]


def test_an_ended_call_and_its_legs_are_deleted_from_twilio(
    app: FastAPI, gateway: FakeGateway
) -> None:
    call = "CA" + "6" * 32
    leg = "CA" + "7" * 32
    with TestClient(app) as client:
        signed_post(client, "/twilio/voice/status", call_params(CallSid=call, CallStatus="ringing"))
        signed_post(
            client, "/twilio/voice/status", call_params(CallSid=call, CallStatus="completed")
        )
        leg_params = call_params(CallSid=leg, ParentCallSid=call, CallStatus="completed")
        signed_post(client, "/twilio/voice/leg?leg=3", leg_params)
    later = datetime.now(UTC) + timedelta(minutes=2)
    assert sorted(delete_due(runtime_of(app), gateway, at=later)) == [("call", call), ("call", leg)]


def test_nothing_is_deleted_when_the_deployment_says_so(app: FastAPI, gateway: FakeGateway) -> None:
    runtime = runtime_of(app)
    runtime.settings.delete_from_twilio = False
    with TestClient(app) as client:
        text(client, "HELP")
        signed_post(client, "/twilio/voice/status", call_params(CallStatus="completed"))
    later = datetime.now(UTC) + timedelta(days=2)
    assert delete_due(runtime, gateway, at=later) == []
