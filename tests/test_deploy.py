"""What ships in deploy/ and docker-compose.yml, and the fallbacks generated at deploy time."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import yaml
from typer.testing import CliRunner

from hotline.cli import app
from hotline.config import PROJECT_ROOT

BACKUPS = {"HOTLINE_BACKUP_NUMBER": "+13125550111", "HOTLINE_BACKUP_NUMBER_2": "+13125550112"}


def fallback(*args: str, env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["fallback-twiml", *args], env=env)
    return result.exit_code, result.output


def test_the_repository_holds_no_fallback_that_rings_nobody() -> None:
    for path in PROJECT_ROOT.glob("deploy/**/*.xml"):
        root = ET.fromstring(path.read_text(encoding="utf-8"))
        assert root.find("Dial/Number") is not None or root.find("Message") is not None, path


def test_without_a_backup_number_no_fallback_is_made() -> None:
    env = {"HOTLINE_BACKUP_NUMBER": "", "HOTLINE_BACKUP_NUMBER_2": ""}
    for args in ([], ["--sms"]):
        result = CliRunner().invoke(app, ["fallback-twiml", *args], env=env)
        assert result.exit_code == 2
        assert result.output.startswith("hotline: HOTLINE_BACKUP_NUMBER is not set")


def test_the_voice_fallback_apologises_in_every_menu_language_then_rings_both_backups(
    tmp_path: Path,
) -> None:
    target = tmp_path / "voice.xml"
    code, output = fallback("--output", str(target), env=BACKUPS)
    assert code == 0, output
    root = ET.fromstring(target.read_text(encoding="utf-8"))
    assert root.tag == "Response"
    languages = [say.get("language") for say in root.iter("Say")]
    assert languages[:2] == ["en-US", "es-US"]
    assert len(languages) == 9  # every language of the voice menu
    assert all((say.text or "").strip() for say in root.iter("Say"))
    assert [number.text for number in root.iter("Number")] == list(BACKUPS.values())
    assert [child.tag for child in root][-3:] == ["Dial", "Dial", "Hangup"]


def test_the_messaging_fallback_gives_the_backup_number_in_every_menu_language() -> None:
    code, output = fallback("--sms", env=BACKUPS)
    assert code == 0, output
    root = ET.fromstring(output)
    [message] = list(root)
    lines = (message.text or "").splitlines()
    assert len(lines) == 9
    assert all("+13125550111" in line for line in lines)
    assert "Llame" in lines[1] or "llame" in lines[1]


def test_the_settings_decide_what_the_fallback_says() -> None:
    only_one = {**BACKUPS, "HOTLINE_BACKUP_NUMBER_2": "", "HOTLINE_VOICE_MENU": "es,en"}
    code, output = fallback(env=only_one)
    assert code == 0, output
    root = ET.fromstring(output)
    assert [say.get("language") for say in root.iter("Say")] == ["es-US", "en-US"]
    assert [number.text for number in root.iter("Number")] == ["+13125550111"]


def test_compose_generates_the_fallbacks_then_runs_migrations_and_the_service() -> None:
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert "healthcheck" in services["postgres"]
    generate = " ".join(services["fallback"]["command"])
    assert "fallback-twiml --output" in generate
    assert "fallback-twiml --sms --output" in generate
    assert services["migrate"]["command"] == ["hotline", "db", "upgrade"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    depends = services["hotline"]["depends_on"]
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert depends["postgres"]["condition"] == "service_healthy"
    assert "healthcheck" in services["hotline"]
    assert "--demo" not in " ".join(services["hotline"].get("command", []))
    assert services["worker"]["command"] == ["hotline", "worker"]
    assert services["worker"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    url = services["hotline"]["environment"]["HOTLINE_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://")
