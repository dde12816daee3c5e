"""A PostgreSQL server of the test's own, which the test stops and starts.

`initdb` into a temporary folder, listening on one loopback port and a socket in that
folder, tuned for speed (fsync off: a crashed test's data does not matter). PostgreSQL
refuses to run as root, and CI runs as root: then every command runs as the `postgres`
user, which owns the folder.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from hotline import db, migrate

ROLE = "hotline"
PASSWORD = "faults-only-password"
TEMPLATE = "hotline_template"
# Quick, but never losing a commit to a crash of the server (the tests crash it):
# fsync off only loses data when the machine itself goes down.
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "full_page_writes": "off",
    "shared_buffers": "32MB",
    "max_connections": "200",
    "log_min_messages": "warning",
}


class PostgresMissing(Exception):
    """The PostgreSQL server programs are not installed here."""


def bindir() -> Path:
    """The folder of initdb, pg_ctl and postgres: on PATH, else Debian's newest."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(re.sub(r"\D", "", path.parent.parent.name) or 0),
    )
    if not versions:
        raise PostgresMissing(
            "initdb is neither on PATH nor under /usr/lib/postgresql: install the "
            "PostgreSQL server (Debian: postgresql)"
        )
    return versions[-1].parent


class Cluster:
    """One PostgreSQL server in a folder of its own, on `port`."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._bin = bindir()
        self._user = "postgres" if os.geteuid() == 0 else None
        self.root = Path(tempfile.mkdtemp(prefix="hotline-faults-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        if self._user is not None:
            entry = pwd.getpwnam(self._user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._created = 0

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = [str(self._bin / args[0]), *args[1:]]
        if self._user is not None:
            command = ["runuser", "-u", self._user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr[-2000:]}")

    def init(self) -> None:
        """Create the cluster, its role and a migrated template database, and start it."""
        password_file = self.root / "password"
        password_file.write_text(PASSWORD + "\n")
        if self._user is not None:
            entry = pwd.getpwnam(self._user)
            os.chown(password_file, entry.pw_uid, entry.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            ROLE,
            f"--pwfile={password_file}",
            "--auth-host=scram-sha-256",
            "--auth-local=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        )
        password_file.unlink()
        settings = {**SETTINGS, "port": str(self.port), "unix_socket_directories": f"'{self.root}'"}
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        self.start()
        self._admin(f'CREATE DATABASE "{TEMPLATE}"')
        url = self.url(TEMPLATE)
        engine = db.make_engine(url)
        migrate.upgrade(url, engine)
        engine.dispose()

    def start(self) -> None:
        """Start the server and wait until it takes connections."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", "start")

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server: `immediate` is a crash, `fast` a clean shut-down."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{ROLE}:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """The URL of a new database, migrated (a copy of the template)."""
        self._created += 1
        name = f"hotline_{self._created}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
        return self.url(name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        engine = db.make_engine(self.url()).execution_options(isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()

    def destroy(self) -> None:
        """Stop the server (if it runs) and delete its folder."""
        try:
            if self.running():
                self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
