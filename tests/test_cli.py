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
