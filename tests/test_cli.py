"""The housekeeping commands work on a fresh embedded database; the command starts fast."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import Result
from sqlmodel import Session, select
from typer.testing import CliRunner

from hotline import db
from hotline.auth import console as console_auth
from hotline.cli import app
from hotline.models import User


def test_purge_and_coverage_run_on_a_data_folder_never_served(tmp_path: Path) -> None:
    env = {"HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_DATABASE_URL": ""}
    purged = CliRunner().invoke(app, ["purge"], env=env)
    assert purged.exit_code == 0, purged.output
    assert "purged: 0 call events" in purged.output
    coverage = CliRunner().invoke(
        app, ["roster", "coverage", "--days", "1", "--language", "es"], env=env
    )
    assert coverage.exit_code == 0, coverage.output
    assert coverage.output.startswith("es: 24.0 h uncovered")
    assert (tmp_path / "hotline.db").exists()


def _create(env: dict[str, str], tmp_path: Path, *extra: str) -> Result:
    secret = tmp_path / "password"
    secret.write_text("a long enough password\n")
    args = ["users", "create", "--name", "Dana", "--role", "coordinator"]
    return CliRunner().invoke(app, [*args, "--password-file", str(secret), *extra], env=env)


def test_users_list_deactivate_and_rotate(tmp_path: Path) -> None:
    env = {"HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_DATABASE_URL": ""}
    cli = CliRunner()
    made = _create(env, tmp_path, "--expires-days", "30")
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[-1]
    listed = cli.invoke(app, ["users", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    (row,) = listed.stdout.strip().splitlines()
    assert row.startswith("1\tcoordinator\t-\tactive\tuntil ")
    assert token not in listed.output
    rotated = cli.invoke(app, ["users", "rotate", "1"], env=env)
    assert rotated.exit_code == 0, rotated.output
    new_token = rotated.stdout.strip().splitlines()[-1]
    assert new_token.startswith("hl_")
    assert new_token != token
    assert "no expiry" in cli.invoke(app, ["users", "list"], env=env).stdout
    gone = cli.invoke(app, ["users", "deactivate", "1"], env=env)
    assert gone.exit_code == 0, gone.output
    assert "\tdisabled\t" in cli.invoke(app, ["users", "list"], env=env).stdout
    missing = cli.invoke(app, ["users", "rotate", "99"], env=env)
    assert missing.exit_code == 2


def test_users_create_sets_the_console_password_and_prints_the_token_last(
    tmp_path: Path,
) -> None:
    env = {"HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_DATABASE_URL": ""}
    made = _create(env, tmp_path)
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith("hl_")
    assert "a long enough password" not in made.output
    engine = db.make_engine(f"sqlite:///{tmp_path / 'hotline.db'}")
    with Session(engine) as session:
        user = session.exec(select(User)).one()
        assert user.password_hash is not None
        assert user.password_hash.startswith("$argon2id$")
        signed = console_auth.sign_in(
            session=session, name="Dana", password="a long enough password",
            policy=console_auth.Policy(),
        )  # fmt: skip
        assert signed.token is not None


def test_users_create_refuses_a_short_password_and_creates_nobody(tmp_path: Path) -> None:
    env = {"HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_DATABASE_URL": ""}
    secret = tmp_path / "password"
    secret.write_text("short\n")
    made = CliRunner().invoke(
        app,
        [
            "users",
            "create",
            "--name",
            "Dana",
            "--role",
            "coordinator",
            "--password-file",
            str(secret),
        ],
        env=env,
    )
    assert made.exit_code == 2
    assert "at least 12 characters" in made.output
    assert "short" not in made.output.replace("at least", "")
    engine = db.make_engine(f"sqlite:///{tmp_path / 'hotline.db'}")
    with Session(engine) as session:
        assert session.exec(select(User)).first() is None


# What takes the command seconds to import, and that `--help` and `simulate` never use.
HEAVY = ("fastapi", "starlette", "sqlalchemy", "sqlmodel", "twilio.rest", "uvicorn", "babel")
NOTHING_LISTENS = "http://127.0.0.1:9"


def loaded_by(tmp_path: Path, *argv: str) -> tuple[int | str | None, set[str]]:
    """Import hotline.cli in a fresh interpreter, run `hotline *argv` if given: its exit
    status and every module then loaded."""
    code = (
        "import json, sys\n"
        "import hotline.cli\n"
        "status = None\n"
        f"sys.argv = ['hotline', *{list(argv)!r}]\n"
        f"if {bool(argv)!r}:\n"
        "    try:\n"
        "        hotline.cli.main()\n"
        "    except SystemExit as exit:\n"
        "        status = exit.code\n"
        "print(json.dumps([status, sorted(sys.modules)]))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "TWILIO_"))}
    env["HOTLINE_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    status, modules = json.loads(done.stdout.splitlines()[-1])
    return status, set(modules)


def heavy(modules: set[str]) -> set[str]:
    return {name for name in HEAVY if name in modules}


def test_importing_the_command_loads_no_framework_database_or_carrier(tmp_path: Path) -> None:
    _, modules = loaded_by(tmp_path)
    assert heavy(modules) == set()
    assert "pydantic_settings" not in modules  # the settings load when a command runs


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["simulate", "call", "--help"],
        ["simulate", "sms", "--url", NOTHING_LISTENS, "HELP"],
        ["simulate", "call", "--url", NOTHING_LISTENS, "--press", "1"],
    ],
)
def test_help_and_the_simulator_load_nothing_heavy(tmp_path: Path, argv: list[str]) -> None:
    status, modules = loaded_by(tmp_path, *argv)
    assert status == (0 if argv[-1] == "--help" else 2)
    assert heavy(modules) == set()
    if argv[-1] == "--help":
        assert "rich" not in modules
        assert "pydantic_settings" not in modules
