"""What `hotline serve` and `hotline worker` check before they take any traffic.

Each problem an operator can fix becomes one line naming what to change (a
ConfigError); nothing here prints a traceback. A database that cannot be reached is
not one of them: the service starts anyway, answers callers from memory, spools what
it must write, and catches up when the database comes back. A database that is
behind the migrations, read-only, or written with other keys stops the start.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlmodel import Session

from hotline import db, migrate
from hotline.config import Settings, private_dir
from hotline.errors import ConfigError
from hotline.privacy import keycheck
from hotline.privacy.pseudonym import KeyFileError, Keyring, load_keyring
from hotline.privacy.vault import Vault

log = logging.getLogger(__name__)

KEY_FILE = "pseudonym.json"


@dataclass(frozen=True)
class Prepared:
    """A checked start: the engine, the keys, and whether the database answered."""

    settings: Settings
    engine: Engine
    keyring: Keyring
    database_ready: bool


def prepare(settings: Settings, *, create_keys: bool = False) -> Prepared:
    """Check the data folder, the database and the keys; ConfigError on what to fix."""
    private_dir(settings.data_dir)
    _require_spool(settings)
    if settings.is_sqlite:
        _upgrade_sqlite(settings)
    engine = db.make_engine(settings.sqlalchemy_url)
    reason = unreachable(engine)
    if reason is None:
        _require_current(settings, engine)
        _require_writable(settings, engine)
    else:
        log.warning(
            "the database does not answer; starting anyway, answering from memory",
            extra={"database": settings.masked_database_url, "reason": reason},
        )
    keyring = open_keys(settings, engine, reachable=reason is None, create=create_keys)
    return Prepared(settings, engine, keyring, database_ready=reason is None)


def _require_spool(settings: Settings) -> None:
    """What cannot be written to the database is kept in the spool: a spool that cannot
    be written would turn an outage into lost texts, so it stops the start."""
    try:
        private_dir(settings.spool_dir)
        probe = settings.spool_dir / f".probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise ConfigError(
            f"the spool folder {settings.spool_dir} cannot be written ({error.strerror}): "
            "check HOTLINE_DATA_DIR, its owner and its free space"
        ) from None


def key_file(settings: Settings) -> Path:
    return settings.keys_dir / KEY_FILE


def open_keys(settings: Settings, engine: Engine, *, reachable: bool, create: bool) -> Keyring:
    """The pseudonym keys, checked against what the database was written with.

    A missing key file is created only for a database that holds nothing made with a
    key, or when `create` says so (`hotline keys new`).
    """
    path = key_file(settings)
    if not path.exists() and not create:
        if not reachable:
            raise KeyFileError(
                f"the pseudonym key file {path} does not exist and the database cannot be "
                "checked for data made with it: restore the file, or start once the "
                "database answers"
            )
        with Session(engine) as session:
            create = not keycheck.holds_pseudonyms(session)
    keyring = load_keyring(path, epoch_days=settings.pseudonym_epoch_days, create=create)
    if reachable:
        _, secret = settings.require_secrets()
        try:
            _check_keys(engine, keyring, Vault(secret))
        except IntegrityError:
            # Another process starting at the same moment wrote the first proofs: check
            # these keys against its proofs instead.
            _check_keys(engine, keyring, Vault(secret))
    return keyring


def _check_keys(engine: Engine, keyring: Keyring, vault: Vault) -> None:
    with db.transaction(engine) as session:
        keycheck.require(session, keyring=keyring, vault=vault, now=datetime.now(UTC))


def unreachable(engine: Engine) -> str | None:
    """Why the database does not answer, in a few words; None when it does."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        return short_reason(error)
    return None


def short_reason(error: BaseException) -> str:
    """The first line of a driver's complaint, short enough for one log line."""
    cause = getattr(error, "orig", None) or error
    first = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    return first[:200]


def _upgrade_sqlite(settings: Settings) -> None:
    path = Path(settings.sqlalchemy_url.removeprefix("sqlite:///"))
    if path.exists() and not _writable(path):
        raise ConfigError(
            f"the database file {path} cannot be written: check its owner and permissions "
            "(HOTLINE_DATABASE_URL, HOTLINE_DATA_DIR)"
        )
    try:
        migrate.upgrade(settings.sqlalchemy_url)
    except OperationalError as error:
        raise ConfigError(
            f"the database file {path} cannot be used: {short_reason(error)} "
            "(HOTLINE_DATABASE_URL, HOTLINE_DATA_DIR)"
        ) from None
    # SQLite makes its write-ahead log and shared-memory files with the file's own mode.
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if part.exists() and part.stat().st_mode & 0o077:
            part.chmod(0o600)


def _writable(path: Path) -> bool:
    try:
        with path.open("r+b"):
            return True
    except OSError:
        return False


def _require_current(settings: Settings, engine: Engine) -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config(settings.sqlalchemy_url))
    head = script.get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current != head:
        raise ConfigError(
            f"the database at {settings.masked_database_url} is at revision {current or 'none'} "
            f"and this version needs {head}: run 'hotline db upgrade'"
        )


def _require_writable(settings: Settings, engine: Engine) -> None:
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                if connection.execute(text("SHOW transaction_read_only")).scalar() == "on":
                    raise OperationalError("SHOW", {}, Exception("the server is read-only"))
            else:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                connection.exec_driver_sql("ROLLBACK")
    except OperationalError as error:
        raise ConfigError(
            f"the database at {settings.masked_database_url} cannot be written: "
            f"{short_reason(error)}"
        ) from None
