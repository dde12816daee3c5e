"""The housekeeping commands work on a fresh embedded database."""

from __future__ import annotations

from pathlib import Path

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
