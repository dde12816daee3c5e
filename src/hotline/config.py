"""Settings: the only module that reads the environment."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from hotline.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ALL_LANGUAGES = ("en", "es", "zh", "pl", "ar", "uk", "ru", "fr", "ht", "tl")
VOICE_MENU = ("en", "es", "zh", "pl", "ar", "uk", "ru", "fr", "ht")
LOCAL_ACCOUNT_SID = "AC" + "0" * 32
LOCAL_STANDIN_PATH = "/local-twilio"
TWILIO_API_URL = "https://api.twilio.com"
MESSAGING_SERVICE_SID = re.compile(r"MG[0-9a-f]{32}")


def e164(number: str, *, field: str, region: str = "US") -> str:
    """`number` in E.164 form, or a ValueError naming `field` (never the number)."""
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        raise ValueError(f"{field} is not a phone number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(f"{field} is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Everything the service can be told, with the embedded defaults."""

    model_config = SettingsConfigDict(
        env_prefix="HOTLINE_", extra="ignore", validate_by_name=True, validate_by_alias=True
    )

    database_url: str = ""
    data_dir: Path = PROJECT_ROOT / "var"
    public_url: str = "http://127.0.0.1:8000"
    secret_key: SecretStr | None = None
    backup_number: str | None = None
    twilio_account_sid: str = Field(
        default=LOCAL_ACCOUNT_SID, validation_alias=AliasChoices("TWILIO_ACCOUNT_SID")
    )
    twilio_auth_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TWILIO_AUTH_TOKEN")
    )
    twilio_api_url: str = ""
    locales_dir: Path = PROJECT_ROOT / "locales"
    languages: Annotated[list[str], NoDecode] = list(ALL_LANGUAGES)
    voice_menu: Annotated[list[str], NoDecode] = list(VOICE_MENU)
    default_language: str = "en"
    timezone: str = "America/Chicago"
    # Where national numbers (no +country code) are read as from: "312 555 0100".
    country: str = "US"
    roster_refresh_seconds: float = Field(default=10.0, gt=0)
    # Who an urgent call rings, tier after tier, and for how many seconds each.
    escalation_tiers: str = "language:25,others:25,backup:30,callback"
    callback_minutes: int = Field(default=15, ge=1, le=240)
    callback_realert_minutes: int = Field(default=5, ge=1)
    # Announcements of an unclaimed callback before it goes to the backup number.
    callback_alerts: int = Field(default=3, ge=1)
    callback_expiry_minutes: int = Field(default=120, ge=5)
    # Hotline numbers bound to one language: "+13125550101=es,+13125550102=tl".
    line_languages: Annotated[dict[str, str], NoDecode] = {}
    audio_dir: Path | None = None
    audio_base_url: str | None = None
    resources_file: Path | None = None
    pseudonym_epoch_days: int = Field(default=30, ge=1)
    remember_language_days: int = Field(default=30, ge=0)
    event_flush_seconds: float = Field(default=0.2, gt=0)
    preference_refresh_seconds: float = Field(default=5.0, gt=0)
    sms_rate_per_second: float | None = Field(default=1.0, gt=0)
    sms_expiry_minutes: int = Field(default=60, ge=1)
    # Texts answered per number in ten minutes, so a loop with another machine stops.
    sms_reply_cap: int = Field(default=5, ge=1)
    # A relayed text conversation nobody writes in for this long closes.
    sms_case_idle_minutes: int = Field(default=60, ge=1)
    # Countries whose numbers get answers (ISO codes); others get none.
    sms_countries: Annotated[list[str], NoDecode] = ["US", "CA"]
    # Run the outbox dispatcher inside the web process; by default only on SQLite,
    # where `hotline worker` processes are not an option.
    dispatch_in_web: bool | None = None
    call_event_retention_days: int = Field(default=90, ge=1)
    purge_interval_minutes: int = Field(default=60, ge=1)
    log_level: str = "INFO"
    # Rapid response. Reports of one kind in one zone this close together are one incident.
    incident_window_minutes: int = Field(default=30, ge=1, le=240)
    # Nobody took a call-out (GO) in this long: the next stage of responders is texted.
    incident_realert_minutes: int = Field(default=5, ge=1, le=60)
    # An incident nobody verified in this long expires.
    incident_expiry_minutes: int = Field(default=180, ge=10)
    # Responders who can take one call-out.
    incident_responders: int = Field(default=1, ge=1, le=2)
    report_retention_days: int = Field(default=30, ge=1)
    # Alerts wait for a coordinator's approval before they go out.
    alert_approval: bool = False
    # A NOTICE result goes as a correction to subscribers who asked for corrections.
    alert_corrections: bool = True
    alert_expiry_minutes: int = Field(default=60, ge=5)
    # The sender pool for alerts: a Messaging Service, or several hotline numbers.
    alert_senders: Annotated[list[str], NoDecode] = []
    messaging_service_sid: str | None = None
    # Messages a second handed to Twilio for the Messaging Service (its pool's pace).
    messaging_service_rate: float = Field(default=10.0, gt=0)

    _split_lists = field_validator(
        "languages", "voice_menu", "sms_countries", "alert_senders", mode="before"
    )(_split)

    @field_validator("alert_senders")
    @classmethod
    def _senders(cls, value: list[str]) -> list[str]:
        return [e164(number, field="HOTLINE_ALERT_SENDERS") for number in value]

    @field_validator("messaging_service_sid", mode="before")
    @classmethod
    def _messaging_service(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip() or None
        if value is not None and not MESSAGING_SERVICE_SID.fullmatch(str(value)):
            raise ValueError("HOTLINE_MESSAGING_SERVICE_SID is MG and 32 hexadecimal digits")
        return value

    @field_validator("line_languages", mode="before")
    @classmethod
    def _lines(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        lines: dict[str, str] = {}
        for entry in value.split(","):
            if not entry.strip():
                continue
            number, _, code = entry.partition("=")
            if not code:
                raise ValueError("HOTLINE_LINE_LANGUAGES entries look like +13125550101=es")
            lines[e164(number, field="HOTLINE_LINE_LANGUAGES")] = code.strip()
        return lines

    @field_validator("sms_rate_per_second", mode="before")
    @classmethod
    def _rate(cls, value: object) -> object:
        # "0" or "off" turns the pace off (for a short code or a test stand-in).
        return None if value in ("0", "off", "", 0) else value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("HOTLINE_PUBLIC_URL must start with http:// or https://")
        scheme, _, rest = value.partition("://")
        host, slash, path = rest.partition("/")
        return f"{scheme}://{host.lower()}{slash}{path}"

    @field_validator("backup_number", mode="before")
    @classmethod
    def _backup_number(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip() or None
        if value is None:
            return None
        return e164(str(value), field="HOTLINE_BACKUP_NUMBER")

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data folder."""
        return self.database_url or f"sqlite:///{self.data_dir / 'hotline.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    @property
    def uses_local_standin(self) -> bool:
        """True when REST calls go to the stand-in this service mounts for itself."""
        return not self.twilio_api_url or self.twilio_api_url == self.local_standin_url

    @property
    def local_standin_url(self) -> str:
        return self.public_url + LOCAL_STANDIN_PATH

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"HOTLINE_TIMEZONE {value!r} is not a time zone") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def dispatches_in_web(self) -> bool:
        return self.is_sqlite if self.dispatch_in_web is None else self.dispatch_in_web

    @property
    def recordings_url(self) -> str:
        """Where Twilio fetches recorded prompts: the deployment's, or this service's."""
        return (self.audio_base_url or f"{self.public_url}/audio").rstrip("/")

    @property
    def effective_twilio_api_url(self) -> str:
        if self.twilio_api_url:
            return self.twilio_api_url.rstrip("/")
        return self.local_standin_url

    def require_secrets(self) -> tuple[str, bytes]:
        """The auth token and secret key, or a ConfigError that says what is missing."""
        if self.twilio_auth_token is None or not self.twilio_auth_token.get_secret_value():
            raise ConfigError(
                "TWILIO_AUTH_TOKEN is not set: webhooks cannot be verified, refusing to start"
            )
        if "public_url" not in self.model_fields_set:
            raise ConfigError(
                "TWILIO_AUTH_TOKEN is set but HOTLINE_PUBLIC_URL is not: signatures are "
                "checked against the public URL, refusing to start"
            )
        if self.secret_key is None or len(self.secret_key.get_secret_value()) < 32:
            raise ConfigError("HOTLINE_SECRET_KEY must be set to at least 32 characters")
        if self.default_language not in self.languages:
            raise ConfigError("HOTLINE_DEFAULT_LANGUAGE must be one of HOTLINE_LANGUAGES")
        unknown = [code for code in self.voice_menu if code not in self.languages]
        if unknown:
            raise ConfigError(f"HOTLINE_VOICE_MENU names languages not enabled: {unknown}")
        unbound = sorted(set(self.line_languages.values()) - set(self.languages))
        if unbound:
            raise ConfigError(f"HOTLINE_LINE_LANGUAGES names languages not enabled: {unbound}")
        return (
            self.twilio_auth_token.get_secret_value(),
            self.secret_key.get_secret_value().encode(),
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()
