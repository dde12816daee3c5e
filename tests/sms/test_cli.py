"""`hotline simulate sms`: one signed text to a running service, and what came back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send
from typer.testing import CliRunner

from hotline.app import create_app
from hotline.cli import app as cli
from hotline.config import LOCAL_STANDIN_PATH, Settings
from hotline.models import CallerPreference
from hotline.privacy.pseudonym import Keyring
from hotline.simulator.standin import StandinRecord
from hotline.telephony.fake import FakeGateway
from tests.support import ACCOUNT_SID, HOTLINE, PUBLIC_URL, TOKEN, as_demo, served

TEXTER = "+13125550177"


def standin_of(app: FastAPI) -> StandinRecord:
    for route in app.routes:
        if isinstance(route, Mount) and route.path == LOCAL_STANDIN_PATH:
            record: StandinRecord = route.app.state.standin  # type: ignore[attr-defined]
            return record
    raise AssertionError("the service mounts no local stand-in")


def outbound(record: StandinRecord, to: str, body: str) -> None:
    """A text as the dispatcher would have sent it through the stand-in."""
    with record.lock:
        sid = f"SM{len(record.messages):032x}"
        record.messages.append(
            {"sid": sid, "to": to, "from": HOTLINE, "body": body, "status": "queued"}
        )


class TextsAlong:
    """The service, plus a text to the texter through the stand-in on each SMS webhook."""

    def __init__(self, app: FastAPI) -> None:
        self.app, self.record = app, standin_of(app)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/twilio/sms":
            outbound(self.record, TEXTER, "Sent by the outbox <b>&</b>")
        await self.app(scope, receive, send)


@pytest.fixture
def standin_app(
    settings: Settings, engine: Engine, gateway: FakeGateway, keyring: Keyring
) -> FastAPI:
    # The service mounts the local stand-in, as `make run` (`serve --demo`) does.
    local = as_demo(settings)
    assert local.uses_local_standin
    return create_app(local, engine=engine, gateway=gateway, keyring=keyring)


@pytest.fixture
def server(standin_app: FastAPI) -> Iterator[str]:
    wrapped: ASGIApp = TextsAlong(standin_app)
    with served(wrapped) as url:
        yield url


def simulate(url: str, tmp_path: Path, *args: str, token: str = TOKEN) -> tuple[int, str]:
    env = {
        "HOTLINE_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_AUTH_TOKEN": token,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "HOTLINE_TWILIO_API_URL": PUBLIC_URL + LOCAL_STANDIN_PATH,
        "HOTLINE_DATA_DIR": str(tmp_path),
    }
    result = CliRunner().invoke(cli, ["simulate", "sms", "--url", url, *args], env=env)
    return result.exit_code, result.output


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_text_is_signed_answered_and_acted_on(
    server: str, standin_app: FastAPI, engine: Engine, tmp_path: Path
) -> None:
    record = standin_of(standin_app)
    outbound(record, TEXTER, "an old text, before this one")
    outbound(record, "+13125550178", "a text to someone else")

    code, output = simulate(server, tmp_path, "--from", TEXTER, "--to", HOTLINE, "2")

    assert code == 0, output
    reply, sent = output.split("--- sent to", 1)
    assert reply.startswith("--- reply to +1312•••77\n")
    assert "Responda DERECHOS" in reply  # the Spanish menu
    assert sent == " +1312•••77 through the stand-in, queued\nSent by the outbox <b>&</b>\n"
    assert TEXTER not in output
    with Session(engine) as session:
        assert [row.language for row in session.exec(select(CallerPreference))] == ["es"]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_no_reply_and_a_wrong_token_are_told(server: str, tmp_path: Path) -> None:
    code, output = simulate(server, tmp_path, "--from", TEXTER, "STOP")
    assert (code, output.splitlines()[0]) == (0, "(no reply)")  # Twilio answers STOP itself

    code, output = simulate(server, tmp_path, "--from", TEXTER, "hola", token="not-the-token")
    assert code == 1
    assert "HTTP 403" in output


def test_nothing_listening_is_told(tmp_path: Path) -> None:
    code, output = simulate("http://127.0.0.1:9", tmp_path, "hello")
    assert code == 2
    assert "nothing answers at http://127.0.0.1:9" in output
