"""A database that fails never changes what the caller hears."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from hotline import db
from hotline.app import create_app
from hotline.config import Settings
from hotline.deps import Runtime
from hotline.models import CallEvent
from hotline.privacy.pseudonym import Keyring
from hotline.telephony.fake import FakeGateway
from tests.support import call_params, signed_post

STEPS = [
    ("/twilio/voice", {}),
    ("/twilio/voice/next?attempt=0&step=language", {"Digits": "2"}),
    ("/twilio/voice/next?attempt=0&lang=es&step=main", {"Digits": "2"}),
    ("/twilio/voice/next?attempt=0&lang=es&section=1&step=rights", {"Digits": ""}),
    ("/twilio/voice/next?attempt=0&lang=es&step=main", {"Digits": "1"}),
]


def replies(client: TestClient) -> list[str]:
    return [signed_post(client, url, call_params(**extra)).text for url, extra in STEPS]


def test_a_missing_database_changes_nothing_the_caller_hears(
    client: TestClient, settings: Settings, keyring: Keyring, tmp_path: Path, engine: Engine
) -> None:
    healthy = replies(client)
    # A path under a file cannot be opened: every write fails.
    (tmp_path / "not-a-folder").write_text("")
    broken_engine = db.make_engine(f"sqlite:///{tmp_path / 'not-a-folder' / 'hotline.db'}")
    broken = create_app(settings, engine=broken_engine, gateway=FakeGateway(), keyring=keyring)
    with TestClient(broken) as broken_client:
        assert replies(broken_client) == healthy
        runtime: Runtime = broken.state.runtime
        assert runtime.recorder.flush() == 0
        assert runtime.recorder.failures >= 1
        # What could not be written is on disk, not in memory: a restart keeps it.
        assert runtime.recorder.pending == 0
        assert runtime.spool.backlog >= 1
        ready = broken_client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] is False
    # A new process on a database that answers writes what the dead one spooled: the
    # same events the healthy run wrote, again.
    client.app.state.runtime.recorder.flush()  # type: ignore[attr-defined]
    with Session(engine) as session:
        before = len(session.exec(select(CallEvent)).all())
    assert before >= len(STEPS)
    again = create_app(settings, engine=engine, gateway=FakeGateway(), keyring=keyring)
    with TestClient(again):
        again.state.runtime.recorder.flush()
        assert again.state.runtime.spool.backlog == 0
    with Session(engine) as session:
        assert len(session.exec(select(CallEvent)).all()) == 2 * before
