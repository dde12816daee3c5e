"""The service refuses to start on settings or catalogs it cannot trust."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hotline import db
from hotline.app import build_runtime
from hotline.config import PROJECT_ROOT, Settings, settings_from_environment
from hotline.errors import CatalogError, ConfigError
from hotline.privacy.pseudonym import Keyring
from hotline.telephony.fake import FakeGateway
from tests.support import PUBLIC_URL, TOKEN


def make(tmp_path: Path, **changes: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path,
        "public_url": PUBLIC_URL,
        "twilio_auth_token": TOKEN,
        "secret_key": "k" * 40,
    }
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]


def start(settings: Settings) -> None:
    engine = db.make_engine("sqlite://")
    keyring = Keyring(base_epoch=0, base_key=b"k" * 32, epoch_days=30)
    build_runtime(settings, engine=engine, keyring=keyring, gateway=FakeGateway())


def test_a_missing_auth_token_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN"):
        start(make(tmp_path, twilio_auth_token=None))


def test_a_token_without_a_public_url_stops_start_up(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, twilio_auth_token=TOKEN, secret_key="k" * 40)
    with pytest.raises(ConfigError, match="HOTLINE_PUBLIC_URL"):
        start(settings)


def test_a_token_without_a_secret_key_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="HOTLINE_SECRET_KEY"):
        start(make(tmp_path, secret_key=None))


def test_the_environment_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("HOTLINE_PUBLIC_URL", "https://Hotline.Example.org/")
    monkeypatch.setenv("HOTLINE_LANGUAGES", "en, es")
    settings = Settings(data_dir=tmp_path)
    assert settings.public_url == "https://hotline.example.org"
    assert settings.languages == ["en", "es"]
    assert "public_url" in settings.model_fields_set


def test_a_missing_compiled_catalog_stops_start_up_naming_the_file(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(PROJECT_ROOT / "locales", locales)
    missing = locales / "es" / "LC_MESSAGES" / "hotline.mo"
    missing.unlink()
    with pytest.raises(CatalogError, match=str(missing)):
        start(make(tmp_path, locales_dir=locales))


def test_a_corrupt_catalog_stops_start_up_naming_the_file(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(PROJECT_ROOT / "locales", locales)
    corrupt = locales / "es" / "LC_MESSAGES" / "hotline.mo"
    corrupt.write_bytes(b"not a catalog at all")
    with pytest.raises(CatalogError, match=str(corrupt)):
        start(make(tmp_path, locales_dir=locales))


def test_a_language_outside_the_registry_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="'xx'"):
        start(make(tmp_path, languages=["en", "xx"], voice_menu=["en"]))


@pytest.mark.parametrize("seconds", ["7", "7200", "soon"])
def test_an_outbox_lease_shorter_than_a_send_or_past_an_hour_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, seconds: str
) -> None:
    monkeypatch.setenv("HOTLINE_OUTBOX_LEASE_SECONDS", seconds)
    with pytest.raises(ConfigError) as refused:
        settings_from_environment()
    (line,) = str(refused.value).splitlines()
    assert line.startswith("HOTLINE_OUTBOX_LEASE_SECONDS ")
    assert seconds not in line
