"""A retried text is acted on once; a flood is capped; only some countries get answers.

Twilio retries a webhook it got no timely answer to, with the same MessageSid, and
retries can overlap. Fifty copies of one signed text, sent at the same moment to a
real server, must all be answered alike and leave one trace and one effect.
"""

from __future__ import annotations

import threading
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import phonenumbers
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select
from starlette.types import ASGIApp, Receive, Scope, Send

from hotline.app import create_app
from hotline.config import Settings
from hotline.models import CallerPreference, OptOut, SmsInbound
from hotline.privacy.pseudonym import Keyring
from hotline.telephony.fake import FakeGateway
from tests.support import ACCOUNT_SID, HOTLINE, PUBLIC_URL, SIGNER, served, signed_post

SMS = "/twilio/sms"
TEXTER = "+13125550142"
COPIES = 50


def text_params(body: str, *, sender: str = TEXTER, sid: str | None = None) -> dict[str, str]:
    return {
        "MessageSid": sid or "SM" + uuid.uuid4().hex,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "To": HOTLINE,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
    }


def messages(text: str) -> list[str]:
    root = ET.fromstring(text)
    assert root.tag == "Response"
    return [message.text or "" for message in root.iter("Message")]


def send(client: TestClient, body: str, *, sender: str = TEXTER) -> list[str]:
    response = signed_post(client, SMS, text_params(body, sender=sender))
    assert response.status_code == 200, response.text
    return messages(response.text)


def count(engine: Engine, model: type[SmsInbound | CallerPreference | OptOut]) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def all_at_once(url: str, params: dict[str, str], copies: int) -> list[httpx.Response]:
    """`copies` identical signed POSTs, released together from as many threads."""
    signature = SIGNER.compute_signature(PUBLIC_URL + SMS, params)
    start = threading.Barrier(copies)
    answers: list[httpx.Response | BaseException] = [RuntimeError("not sent")] * copies
    limits = httpx.Limits(max_connections=copies, max_keepalive_connections=copies)
    with httpx.Client(base_url=url, timeout=30, limits=limits) as client:

        def post(index: int) -> None:
            try:
                start.wait(timeout=10)
                answers[index] = client.post(
                    SMS, data=params, headers={"X-Twilio-Signature": signature}
                )
            except BaseException as error:
                answers[index] = error

        threads = [threading.Thread(target=post, args=(i,)) for i in range(copies)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    failed = [answer for answer in answers if not isinstance(answer, httpx.Response)]
    assert not failed, failed[:3]
    return [answer for answer in answers if isinstance(answer, httpx.Response)]


class InFlight:
    """The app, counting how many requests it was serving at the same moment."""

    def __init__(self, app: ASGIApp) -> None:
        self.app, self.now, self.most = app, 0, 0
        self.lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            await self.app(scope, receive, send)
        finally:
            with self.lock:
                self.now -= 1


@pytest.fixture
def in_flight(app: FastAPI) -> InFlight:
    return InFlight(app)


@pytest.fixture
def server(in_flight: InFlight) -> Iterator[str]:
    with served(in_flight) as url:
        yield url


def test_fifty_copies_of_a_language_choice_choose_it_once(
    server: str, engine: Engine, in_flight: InFlight
) -> None:
    answers = all_at_once(server, text_params("2"), COPIES)

    assert [answer.status_code for answer in answers] == [200] * COPIES, {
        answer.status_code: answer.text[:200] for answer in answers
    }
    assert in_flight.most > 1  # they did overlap
    replies = {answer.text for answer in answers}
    assert len(replies) == 1, replies
    (menu,) = messages(replies.pop())
    assert "DERECHOS" in menu  # the Spanish menu
    assert count(engine, SmsInbound) == 1
    with Session(engine) as session:
        chosen = session.exec(select(CallerPreference)).all()
    assert [row.language for row in chosen] == ["es"]


def test_fifty_copies_of_an_opt_out_opt_out_once(
    server: str, engine: Engine, keyring: Keyring, in_flight: InFlight
) -> None:
    answers = all_at_once(server, text_params("PARAR"), COPIES)

    assert [answer.status_code for answer in answers] == [200] * COPIES, {
        answer.status_code: answer.text[:200] for answer in answers
    }
    assert in_flight.most > 1  # they did overlap
    replies = {answer.text for answer in answers}
    assert len(replies) == 1, replies
    (confirmation,) = messages(replies.pop())
    assert "INICIAR" in confirmation
    assert count(engine, SmsInbound) == 1
    epochs = keyring.live_epochs(datetime.now(UTC))
    with Session(engine) as session:
        keys = set(session.exec(select(OptOut.contact_key)).all())
    assert keys == {keyring.pseudonym(TEXTER, epoch=epoch) for epoch in epochs}


def test_a_retry_after_the_fact_is_answered_alike_and_not_acted_on(
    client: TestClient, engine: Engine
) -> None:
    params = text_params("2")
    first = signed_post(client, SMS, params)
    send(client, "1")  # then English, in another text
    again = signed_post(client, SMS, params)

    assert first.status_code == again.status_code == 200
    client.app.state.runtime.recorder.flush()  # type: ignore[attr-defined]
    assert count(engine, SmsInbound) == 2
    with Session(engine) as session:
        (chosen,) = session.exec(select(CallerPreference)).all()
    assert chosen.language == "en"  # the retried "2" did not choose Spanish again
    assert again.text == first.text  # but it is answered as it was the first time
    assert "DERECHOS" in messages(again.text)[0]


def test_the_sixth_text_in_ten_minutes_gets_no_answer_but_an_opt_out_still_counts(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    assert settings.sms_reply_cap == 5
    answered = [send(client, f"hello {n}") for n in range(5)]
    flooded = [send(client, f"hello again {n}") for n in range(3)]
    other = send(client, "hello", sender="+13125550143")

    assert all(answered), answered
    assert flooded == [[], [], []]
    assert other  # the cap is per number
    assert count(engine, OptOut) == 0

    confirmation = send(client, "PARAR")

    assert confirmation
    assert "INICIAR" in confirmation[0]
    assert count(engine, OptOut) >= 1
    assert send(client, "hello at last") == []


def _abroad() -> str:
    """A valid British mobile number: libphonenumber's own example, +44 7400 123456."""
    example = phonenumbers.example_number_for_type("GB", phonenumbers.PhoneNumberType.MOBILE)
    assert example is not None
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)


def test_a_number_from_outside_the_allowed_countries_gets_no_answer(
    client: TestClient, engine: Engine
) -> None:
    # Valid and textable, so the silence is the allow-list's doing: the text is
    # still noted (it counts towards a flood) and an opt-out is still honoured.
    assert send(client, "hello", sender=_abroad()) == []
    assert send(client, "STOP please", sender=_abroad()) == []
    assert send(client, "PARAR", sender=_abroad()) == []

    client.app.state.runtime.recorder.flush()  # type: ignore[attr-defined]
    assert count(engine, SmsInbound) == 3
    assert count(engine, OptOut) >= 1
    assert send(client, "hello") != []  # a Chicago number is answered


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_the_allowed_countries_come_from_the_settings(
    settings: Settings, engine: Engine, keyring: Keyring
) -> None:
    only_us = settings.model_copy(update={"sms_countries": ["US"]})
    app = create_app(only_us, engine=engine, gateway=FakeGateway(), keyring=keyring)
    with TestClient(app) as client:
        assert send(client, "hello", sender="+12045550142") == []  # Winnipeg, Canada
        assert send(client, "hello", sender=TEXTER) != []
    with Session(engine) as session:
        assert session.exec(select(func.count(col(SmsInbound.id)))).one() == 2
