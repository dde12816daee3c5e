"""End to end through the real SDK and the local stand-in: once a message is delivered,
the hotline deletes it from "Twilio", and nothing of it remains there."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.types import Receive, Scope, Send

from hotline import db
from hotline.app import create_app, make_dispatcher
from hotline.config import LOCAL_STANDIN_PATH, Settings
from hotline.deps import Runtime
from hotline.outbox import service
from hotline.privacy.pseudonym import Keyring
from hotline.telephony.twilio_gateway import TwilioGateway
from tests.support import ACCOUNT_SID, TOKEN, as_demo, served

CALLER = "+13125550188"


class Later:
    """An ASGI app whose inner app is set once the port (and so the public URL) is known."""

    app: FastAPI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


@pytest.fixture
def live(settings: Settings, engine: Engine, keyring: Keyring) -> Iterator[Runtime]:
    later = Later()
    with served(later) as url:
        local = as_demo(settings.model_copy(update={"public_url": url}))
        gateway = TwilioGateway(
            account_sid=ACCOUNT_SID, auth_token=TOKEN, api_url=url + LOCAL_STANDIN_PATH
        )
        later.app = create_app(local, engine=engine, keyring=keyring, gateway=gateway)
        with TestClient(later.app):  # runs the lifespan: the recorder writes what comes in
            yield later.app.state.runtime


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_delivered_message_is_deleted_from_twilio(live: Runtime) -> None:
    runtime = live
    now = datetime.now(UTC)
    write = service.texts(
        vault=runtime.vault,
        keyring=runtime.keyring,
        sender="+13125550100",
        recipient=CALLER,
        parts=["Tiene derecho a guardar silencio."],
        purpose="rights",
        language="es",
        key="k",
        now=now,
        expires_in=timedelta(minutes=5),
    )
    with db.transaction(runtime.engine) as session:
        write.apply(session)
    dispatcher = make_dispatcher(runtime.settings, runtime)
    assert dispatcher.run_once() == 1
    assert len(standin_messages(runtime)) == 1
    # The stand-in reports "sent", then "delivered", to the status webhook; the hotline
    # then deletes the message through the real SDK.
    deadline = time.monotonic() + 10
    deleted = 0
    while time.monotonic() < deadline and not deleted:
        time.sleep(0.1)
        runtime.recorder.flush()
        deleted = dispatcher.deletions.run_due()
    assert deleted == 1
    assert standin_messages(runtime) == []


def standin_messages(runtime: Runtime) -> list[object]:
    url = f"{runtime.settings.twilio_api_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    answer = httpx.get(url, auth=(ACCOUNT_SID, TOKEN), timeout=5)
    answer.raise_for_status()
    messages: list[object] = answer.json()["messages"]
    return messages
