"""The REST stand-in, driven by the real Twilio SDK over a loopback socket."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from hotline.simulator.standin import StandinRecord, create_standin
from hotline.telephony.segments import segments
from hotline.telephony.twilio_gateway import TwilioGateway
from tests.support import served as serving

ACCOUNT_SID = "AC" + "0" * 32
TOKEN = "standin-test-token"
MOUNT = "/local-twilio"
SENDER = "+15005550006"
RECIPIENT = "+15550100001"
VOLUNTEER = "+15550100003"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, StandinRecord]]:
    """The stand-in mounted as the service mounts it, served by uvicorn on a free port."""
    standin = create_standin(account_sid=ACCOUNT_SID, auth_token=TOKEN)
    app = FastAPI()
    app.mount(MOUNT, standin)
    with serving(app) as url:
        yield f"{url}{MOUNT}", standin.state.standin


@pytest.fixture
def record(served: tuple[str, StandinRecord]) -> StandinRecord:
    served[1].clear()
    return served[1]


def sdk(served: tuple[str, StandinRecord], token: str = TOKEN) -> Client:
    client = Client(ACCOUNT_SID, token)
    client.api.base_url = served[0]
    return client


def test_the_sdk_sends_a_message_and_gets_twilios_resource_back(
    served: tuple[str, StandinRecord], record: StandinRecord
) -> None:
    message = sdk(served).messages.create(
        to=RECIPIENT,
        from_=SENDER,
        body="Tiene derecho a guardar silencio.",
        status_callback="https://hotline.example.org/twilio/sms/status",
    )

    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert (message.status, message.direction) == ("queued", "outbound-api")
    assert (message.to, message.from_) == (RECIPIENT, SENDER)
    assert message.num_segments == "1"
    assert message.account_sid == ACCOUNT_SID
    assert message.date_created is not None
    (stored,) = record.messages
    assert stored["sid"] == message.sid
    assert stored["body"] == "Tiene derecho a guardar silencio."
    assert stored["status_callback"] == "https://hotline.example.org/twilio/sms/status"


def test_an_unsubscribed_recipient_raises_21610(
    served: tuple[str, StandinRecord], record: StandinRecord
) -> None:
    with pytest.raises(TwilioRestException) as raised:
        sdk(served).messages.create(to="+15005550004", from_=SENDER, body="Hello")

    assert (raised.value.status, raised.value.code) == (400, 21610)
    assert record.messages == []


def test_a_wrong_token_is_refused_with_401_and_20003(
    served: tuple[str, StandinRecord], record: StandinRecord
) -> None:
    with pytest.raises(TwilioRestException) as raised:
        sdk(served, token="wrong-token").messages.create(to=RECIPIENT, from_=SENDER, body="Hi")

    assert (raised.value.status, raised.value.code) == (401, 20003)
    assert record.messages == []


def test_listing_pages_newest_first_through_the_mount(
    served: tuple[str, StandinRecord], record: StandinRecord
) -> None:
    client = sdk(served)
    sids = [client.messages.create(to=RECIPIENT, from_=SENDER, body=f"n{i}").sid for i in range(3)]
    client.messages.create(to=VOLUNTEER, from_=SENDER, body="other")

    # page_size=1 makes the SDK follow next_page_uri, which must resolve under the mount.
    listed = client.messages.list(to=RECIPIENT, page_size=1)

    assert [message.sid for message in listed] == sids[::-1]
    assert client.messages(sids[0]).fetch().body == "n0"


def test_calls_are_created_listed_and_cancelled(
    served: tuple[str, StandinRecord], record: StandinRecord
) -> None:
    client = sdk(served)
    call = client.calls.create(
        to=VOLUNTEER,
        from_=SENDER,
        url="https://hotline.example.org/twilio/voice/screen?attempt=1",
        status_callback="https://hotline.example.org/twilio/voice/status",
        status_callback_event=["initiated", "answered", "completed"],
        timeout=20,
    )

    assert re.fullmatch(r"CA[0-9a-f]{32}", call.sid)
    assert (call.status, call.direction, call.to) == ("queued", "outbound-api", VOLUNTEER)
    (stored,) = record.calls
    assert stored["url"] == "https://hotline.example.org/twilio/voice/screen?attempt=1"
    assert stored["status_callback_event"] == ["initiated", "answered", "completed"]
    assert stored["timeout"] == "20"
    assert [listed.sid for listed in client.calls.list()] == [call.sid]

    cancelled = client.calls(call.sid).update(status="canceled")

    assert cancelled.status == "canceled"
    assert client.calls(call.sid).fetch().status == "canceled"
    with pytest.raises(TwilioRestException) as raised:
        client.calls(call.sid).update(twiml="<Response><Hangup/></Response>")
    assert raised.value.code == 21220


def test_an_unknown_sid_is_404_with_20404(
    served: tuple[str, StandinRecord], record: StandinRecord
) -> None:
    with pytest.raises(TwilioRestException) as raised:
        sdk(served).calls("CA" + "f" * 32).fetch()

    assert (raised.value.status, raised.value.code) == (404, 20404)


@pytest.fixture
def local() -> Iterator[tuple[TestClient, StandinRecord]]:
    """The bare stand-in, in process, for the checks the SDK would refuse to send."""
    standin = create_standin(account_sid=ACCOUNT_SID, auth_token=TOKEN)
    with TestClient(standin) as client:
        client.auth = (ACCOUNT_SID, TOKEN)
        yield client, standin.state.standin


MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
CALLS = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"


@pytest.mark.parametrize(
    ("path", "form", "code"),
    [
        (MESSAGES, {"From": SENDER, "Body": "Hi"}, 21604),
        (MESSAGES, {"To": RECIPIENT, "Body": "Hi"}, 21603),
        (MESSAGES, {"To": RECIPIENT, "From": SENDER, "Body": ""}, 21602),
        (MESSAGES, {"To": RECIPIENT, "From": SENDER, "Body": "x" * 1601}, 21617),
        (MESSAGES, {"To": "+15005550001", "From": SENDER, "Body": "Hi"}, 21211),
        (MESSAGES, {"To": "+15005550009", "From": SENDER, "Body": "Hi"}, 21614),
        (MESSAGES, {"To": RECIPIENT, "MessagingServiceSid": "MG123", "Body": "Hi"}, 21705),
        (CALLS, {"From": SENDER, "Url": "https://h.example.org/x"}, 21201),
        (CALLS, {"To": VOLUNTEER, "Url": "https://h.example.org/x"}, 21213),
        (CALLS, {"To": VOLUNTEER, "From": SENDER}, 21205),
        (CALLS, {"To": VOLUNTEER, "From": SENDER, "Twiml": "<Response/>" + " " * 4000}, 32018),
    ],
)
def test_invalid_requests_are_refused_with_twilios_codes(
    local: tuple[TestClient, StandinRecord], path: str, form: dict[str, str], code: int
) -> None:
    client, record = local

    response = client.post(path, data=form)

    assert response.status_code == 400
    assert response.json() == {
        "code": code,
        "message": response.json()["message"],
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": 400,
    }
    assert (record.messages, record.calls) == ([], [])


def test_a_messaging_service_sender_is_accepted_without_a_from(
    local: tuple[TestClient, StandinRecord],
) -> None:
    client, record = local

    response = client.post(
        MESSAGES, data={"To": RECIPIENT, "MessagingServiceSid": "MG" + "1" * 32, "Body": "Hi"}
    )

    assert response.status_code == 201
    assert response.json()["status"] == "accepted"
    assert response.json()["from"] is None
    assert record.messages[0]["messaging_service_sid"] == "MG" + "1" * 32


def test_another_accounts_path_is_refused_even_with_the_right_token(
    local: tuple[TestClient, StandinRecord],
) -> None:
    client, record = local

    response = client.post(
        f"/2010-04-01/Accounts/AC{'1' * 32}/Messages.json",
        data={"To": RECIPIENT, "From": SENDER, "Body": "Hi"},
    )

    assert response.status_code == 401
    assert response.json()["code"] == 20003
    assert response.headers["www-authenticate"] == 'Basic realm="Twilio API"'
    assert record.messages == []


def test_clear_forgets_everything(local: tuple[TestClient, StandinRecord]) -> None:
    client, record = local
    client.post(MESSAGES, data={"To": RECIPIENT, "From": SENDER, "Body": "Hi"})
    client.post(CALLS, data={"To": VOLUNTEER, "From": SENDER, "Url": "https://h.example.org/x"})
    assert (len(record.messages), len(record.calls)) == (1, 1)

    record.clear()

    assert (record.messages, record.calls) == ([], [])
    assert client.get(MESSAGES).json()["messages"] == []


def test_nothing_is_logged_about_numbers_or_bodies(
    local: tuple[TestClient, StandinRecord], caplog: pytest.LogCaptureFixture
) -> None:
    client, _ = local
    caplog.set_level(logging.DEBUG)

    client.post(MESSAGES, data={"To": RECIPIENT, "From": SENDER, "Body": "secret words"})
    client.post(MESSAGES, data={"To": "+15005550004", "From": SENDER, "Body": "secret words"})

    logged = " ".join(record.getMessage() for record in caplog.records)
    assert RECIPIENT not in logged
    assert "+15005550004" not in logged
    assert "secret words" not in logged


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),
        ("€" * 81, 2),
        ("ł" * 70, 1),
        ("ł" * 71, 2),
        ("😀" * 35, 1),
        ("😀" * 36, 2),
    ],
)
def test_segments_follow_gsm_7_and_ucs_2_limits(body: str, expected: int) -> None:
    assert segments(body) == expected


def test_the_gateway_sends_through_a_messaging_service_when_the_sender_is_one(
    served: tuple[str, StandinRecord], record: StandinRecord
) -> None:
    gateway = TwilioGateway(account_sid=ACCOUNT_SID, auth_token=TOKEN, api_url=served[0])
    service = "MG" + "ab" * 16
    sent = gateway.send_message(to=RECIPIENT, from_=service, body="Alerta confirmada.")
    assert sent.status == "accepted"
    plain = gateway.send_message(to=RECIPIENT, from_=SENDER, body="Hola.")
    assert plain.status == "queued"
    first, second = record.messages
    assert (first["messaging_service_sid"], first["from"]) == (service, None)
    assert (second["messaging_service_sid"], second["from"]) == (None, SENDER)
