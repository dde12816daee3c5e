"""The housekeeping commands work on a fresh embedded database."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from hotline.cli import app


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


def test_users_list_deactivate_and_rotate(tmp_path: Path) -> None:
    env = {"HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_DATABASE_URL": ""}
    cli = CliRunner()
    made = cli.invoke(
        app,
        ["users", "create", "--name", "Dana", "--role", "coordinator", "--expires-days", "30"],
        env=env,
    )
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
    assert missing.exit_code != 0
