"""What ships in deploy/ and docker-compose.yml."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import yaml
from typer.testing import CliRunner

from hotline.cli import app
from hotline.config import PROJECT_ROOT

FALLBACK = PROJECT_ROOT / "deploy" / "fallback.xml"


def test_the_static_fallback_is_valid_twiml_in_every_menu_language() -> None:
    root = ET.fromstring(FALLBACK.read_text(encoding="utf-8"))
    assert root.tag == "Response"
    languages = [say.get("language") for say in root.iter("Say")]
    assert languages[:2] == ["en-US", "es-US"]
    assert len(languages) == 9  # every language of the voice menu
    assert all((say.text or "").strip() for say in root.iter("Say"))
    assert {child.tag for child in root} <= {"Say", "Dial", "Hangup"}


def test_the_static_fallback_is_what_the_catalogs_say_today() -> None:
    result = CliRunner().invoke(app, ["fallback-twiml"], env={"HOTLINE_BACKUP_NUMBER": ""})
    assert result.exit_code == 0, result.output
    assert result.output == FALLBACK.read_text(encoding="utf-8")


def test_the_fallback_rings_the_backup_number_when_there_is_one() -> None:
    result = CliRunner().invoke(
        app, ["fallback-twiml"], env={"HOTLINE_BACKUP_NUMBER": "+13125550111"}
    )
    root = ET.fromstring(result.output)
    assert root.findtext("Dial/Number") == "+13125550111"


def test_compose_runs_migrations_after_a_healthy_database_then_the_service() -> None:
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert "healthcheck" in services["postgres"]
    assert services["migrate"]["command"] == ["hotline", "db", "upgrade"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    depends = services["hotline"]["depends_on"]
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert depends["postgres"]["condition"] == "service_healthy"
    assert "healthcheck" in services["hotline"]
    assert services["worker"]["command"] == ["hotline", "worker"]
    assert services["worker"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    url = services["hotline"]["environment"]["HOTLINE_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://")
