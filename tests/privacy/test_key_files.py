"""The pseudonym key file and the secret key, as a start-up meets them."""

from __future__ import annotations

import base64
import json
import multiprocessing
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, delete

from hotline import db
from hotline.config import Settings
from hotline.errors import ConfigError
from hotline.models import KeyCheck, OptOut
from hotline.privacy import keycheck
from hotline.privacy.pseudonym import KeyFileError, epoch_of, load_keyring
from hotline.privacy.vault import Vault
from hotline.startup import key_file, open_keys, prepare

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def opt_out_someone(engine: Engine) -> None:
    with db.transaction(engine) as session:
        session.add(OptOut(contact_key="k" * 32, key_epoch=1, at=NOW))


def test_a_first_start_on_an_empty_database_creates_the_key_file_privately(
    settings: Settings, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    keyring = open_keys(settings, engine, reachable=True, create=False)
    path = key_file(settings)
    assert keyring.path == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert "created a NEW pseudonym key file" in caplog.text


def test_a_missing_key_file_with_data_in_the_database_refuses_naming_the_file(
    settings: Settings, engine: Engine
) -> None:
    open_keys(settings, engine, reachable=True, create=False)
    opt_out_someone(engine)
    key_file(settings).unlink()
    with pytest.raises(KeyFileError) as refused:
        open_keys(settings, engine, reachable=True, create=False)
    assert str(key_file(settings)) in refused.value.message
    assert "hotline keys new" in refused.value.message
    assert not key_file(settings).exists()


def test_another_key_file_than_the_database_was_written_with_is_refused(
    settings: Settings, engine: Engine
) -> None:
    open_keys(settings, engine, reachable=True, create=False)
    opt_out_someone(engine)
    key_file(settings).unlink()
    load_keyring(key_file(settings), epoch_days=settings.pseudonym_epoch_days, create=True)
    with pytest.raises(ConfigError, match="not the one this database was written with"):
        open_keys(settings, engine, reachable=True, create=False)


def test_another_secret_key_is_refused(settings: Settings, engine: Engine) -> None:
    open_keys(settings, engine, reachable=True, create=False)
    other = settings.model_copy(update={"secret_key": SecretStr("z" * 40)})
    with pytest.raises(ConfigError, match="HOTLINE_SECRET_KEY does not open"):
        open_keys(other, engine, reachable=True, create=False)


@pytest.mark.parametrize(
    "content",
    [
        "",
        "not json",
        '{"epoch": 1}',
        '{"epoch": "1", "key": "' + base64.b64encode(b"k" * 32).decode() + '"}',
        '{"epoch": 1, "key": "' + base64.b64encode(b"k" * 31).decode() + '"}',
        '{"epoch": 1, "key": "' + base64.b64encode(b"k" * 33).decode() + '"}',
        '{"epoch": 1, "key": "!!!", "extra": 2}',
    ],
)
def test_a_key_file_that_is_not_exactly_one_key_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "pseudonym.json"
    path.write_text(content)
    with pytest.raises(KeyFileError, match=str(path)):
        load_keyring(path, epoch_days=30, at=NOW)
    assert path.read_text() == content


def test_a_key_from_the_future_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pseudonym.json"
    future = epoch_of(NOW, epoch_days=30) + 1
    key = base64.b64encode(b"k" * 32).decode()
    path.write_text(json.dumps({"epoch": future, "key": key}))
    with pytest.raises(KeyFileError, match="from the future"):
        load_keyring(path, epoch_days=30, at=NOW)


def _start(
    path: str, barrier: multiprocessing.synchronize.Barrier, out: multiprocessing.Queue[str]
) -> None:
    barrier.wait()
    ring = load_keyring(Path(path), epoch_days=30, create=True)
    out.put(ring.base_key.hex())


def test_two_processes_starting_together_end_with_one_key(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "pseudonym.json"
    context = multiprocessing.get_context("fork")
    barrier, out = context.Barrier(4), context.Queue()
    workers = [context.Process(target=_start, args=(str(path), barrier, out)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    keys = {out.get(timeout=5) for _ in workers}
    assert len(keys) == 1


def test_a_running_keyring_ratchets_forward_at_the_epoch_boundary(tmp_path: Path) -> None:
    path = tmp_path / "pseudonym.json"
    ring = load_keyring(path, epoch_days=30, at=NOW, create=True)
    now = epoch_of(NOW, epoch_days=30)
    future_key = ring.key(now + 2)
    assert not ring.ratchet(NOW + timedelta(days=1))
    assert ring.ratchet(NOW + timedelta(days=61))
    assert ring.base_epoch == now + 1
    with pytest.raises(LookupError):
        ring.key(now)
    assert ring.key(now + 2) == future_key
    assert json.loads(path.read_text())["epoch"] == now + 1
    # Another process reading the file now agrees, and cannot go back either.
    again = load_keyring(path, epoch_days=30, at=NOW + timedelta(days=61))
    assert again.base_key == ring.base_key


def test_a_prepared_start_keeps_the_data_folder_private(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        public_url="https://hotline.coalition.net",
        twilio_auth_token="t" * 32,
        secret_key="s" * 40,
    )
    prepared = prepare(settings)
    prepared.engine.dispose()
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    database = tmp_path / "data" / "hotline.db"
    assert stat.S_IMODE(database.stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE(key_file(settings).stat().st_mode) == 0o600


def test_processes_starting_together_on_an_empty_database_all_start(
    settings: Settings, engine: Engine
) -> None:
    """Web processes and workers started at once (a compose file does) each write the
    keys' proofs on first start: the one that loses the race checks the winner's instead
    of stopping."""
    keyring = open_keys(settings, engine, reachable=True, create=False)
    with db.transaction(engine) as session:
        session.exec(delete(KeyCheck))  # type: ignore[call-overload]
    failures: list[BaseException] = []

    def start() -> None:
        try:
            open_keys(settings, engine, reachable=True, create=False)
        except BaseException as error:
            failures.append(error)

    _, secret = settings.require_secrets()
    with db.transaction(engine) as session:
        keycheck.record(session, keyring=keyring, vault=Vault(secret), now=NOW)
        other = threading.Thread(target=start)
        other.start()
        other.join(0.5)
    other.join(10)
    assert not other.is_alive()
    assert failures == []
