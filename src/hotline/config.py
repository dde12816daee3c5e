"""Settings: the only module that reads the environment."""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import AliasChoices, Field, PrivateAttr, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from hotline.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ALL_LANGUAGES = ("en", "es", "zh", "pl", "ar", "uk", "ru", "fr", "ht", "tl")
VOICE_MENU = ("en", "es", "zh", "pl", "ar", "uk", "ru", "fr", "ht")
LOCAL_ACCOUNT_SID = "AC" + "0" * 32
LOCAL_STANDIN_PATH = "/local-twilio"
TWILIO_API_URL = "https://api.twilio.com"
DRIVERS = ("sqlite", "sqlite+pysqlite", "postgresql+psycopg")
ACCOUNT_SID = re.compile(r"AC[0-9a-f]{32}")
MIN_SECRET_CHARS = 32
# What .env.example and the documentation put where a real value must go.
EXAMPLE_MARK = "change-me"
EXAMPLE_DOMAINS = ("example.org", "example.com", "example.net", ".example", ".invalid")
FICTIONAL_NUMBER = re.compile(r"\+1\d{3}55501\d{2}")
# What a production start needs, each named as the operator sets it.
REQUIRED = (
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "HOTLINE_PUBLIC_URL",
    "HOTLINE_SECRET_KEY",
    "HOTLINE_BACKUP_NUMBER",
)
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
    # A second number the fallbacks ring when the first does not answer.
    backup_number_2: str | None = None
    twilio_account_sid: str = Field(default="", validation_alias=AliasChoices("TWILIO_ACCOUNT_SID"))
    twilio_auth_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TWILIO_AUTH_TOKEN")
    )
    twilio_api_url: str = TWILIO_API_URL
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
    # How long a dispatcher holds a row it claimed: a dispatcher that died holding it
    # lets it go after this long. Longer than a request to Twilio may take (10 s).
    outbox_lease_seconds: int = Field(default=120, ge=15, le=3600)
    # Texts answered per number in ten minutes, so a loop with another machine stops.
    sms_reply_cap: int = Field(default=5, ge=1)
    # A relayed text conversation nobody writes in for this long closes.
    sms_case_idle_minutes: int = Field(default=60, ge=1)
    # Countries whose numbers get answers (ISO codes); others get none. Every text
    # and call the hotline places goes only to these countries.
    sms_countries: Annotated[list[str], NoDecode] = ["US", "CA"]
    # The rights by text message, at most this many times a day to one number.
    rights_texts_per_day: int = Field(default=3, ge=1)
    # Segments one caller-facing number may be sent in 24 hours, whatever the purpose.
    recipient_segments_per_day: int = Field(default=120, ge=1)
    # Delete messages from Twilio once they reach a final status (and texts received
    # once answered), so Twilio's logs do not keep who texted the hotline.
    delete_from_twilio: bool = True
    # How long a webhook waits on the database before it answers from memory and
    # spools what it must write.
    database_deadline_ms: int = Field(default=1000, ge=50, le=5000)
    # Run the outbox dispatcher inside the web process; by default only on SQLite,
    # where `hotline worker` processes are not an option.
    dispatch_in_web: bool | None = None
    # Call events, urgent calls' records, callbacks and text cases (their counts stay).
    call_event_retention_days: int = Field(default=90, ge=1)
    # Who changed what in the roster and the rest, for coordinators' accountability.
    audit_retention_days: int = Field(default=365, ge=30)
    purge_interval_minutes: int = Field(default=60, ge=1)
    # The console: a session ends this long after sign-in, or after this long unused.
    console_session_hours: float = Field(default=12.0, gt=0, le=24 * 7)
    console_idle_minutes: float = Field(default=60.0, gt=0)
    # Wrong passwords in a row that lock an account, and for how long.
    console_lockout_failures: int = Field(default=5, ge=1)
    console_lockout_minutes: float = Field(default=15.0, gt=0)
    # How often the Now page fetches itself again.
    console_refresh_seconds: float = Field(default=5.0, gt=0)
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

    # Set by `--demo` only, never by the environment: the stand-in and demo roster.
    _demo: bool = PrivateAttr(default=False)

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
                raise ValueError("entries look like +13125550101=es")
            lines[e164(number, field="a number")] = code.strip()
        return lines

    @field_validator("sms_rate_per_second", mode="before")
    @classmethod
    def _rate(cls, value: object) -> object:
        # "0" or "off" turns the pace off (for a short code or a test stand-in).
        return None if value in ("0", "off", "", 0) else value

    @field_validator("public_url", "twilio_api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http:// on a loopback address)")
        scheme, _, rest = value.partition("://")
        host, slash, path = rest.partition("/")
        return f"{scheme}://{host.lower()}{slash}{path}"

    @field_validator("backup_number", "backup_number_2", mode="before")
    @classmethod
    def _backup_number(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip() or None
        if value is None:
            return None
        return e164(str(value), field="it")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return value
        scheme, _, rest = value.partition("://")
        if not rest:
            raise ValueError(
                "is not a database URL: use postgresql+psycopg://user:password@host/name "
                "or sqlite:///path/to/file.db"
            )
        if scheme not in DRIVERS:
            raise ValueError(f"uses {scheme!r}: use postgresql+psycopg:// or sqlite:///")
        if scheme.startswith("postgresql") and not urlsplit(value).hostname:
            raise ValueError("names no host: postgresql+psycopg://user:password@host/name")
        return value

    @property
    def is_demo(self) -> bool:
        """True for `hotline serve --demo`: a local stand-in for Twilio, a demo roster."""
        return self._demo

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data folder."""
        return self.database_url or f"sqlite:///{self.data_dir / 'hotline.db'}"

    @property
    def masked_database_url(self) -> str:
        """The database URL as it may be printed: the password hidden."""
        parts = urlsplit(self.sqlalchemy_url)
        if parts.password is None:
            return self.sqlalchemy_url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    @property
    def uses_local_standin(self) -> bool:
        """True when REST calls go to the stand-in this service mounts for itself."""
        return self.twilio_api_url == self.local_standin_url

    @property
    def local_standin_url(self) -> str:
        return self.public_url + LOCAL_STANDIN_PATH

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not a time zone (America/Chicago, say)") from None
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
    def backup_numbers(self) -> tuple[str, ...]:
        """The backup numbers, first one first."""
        return tuple(n for n in (self.backup_number, self.backup_number_2) if n)

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"

    def problems(self) -> list[str]:
        """What stops a production start, one line each, naming the variable."""
        found = [f"{name} is not set" for name in REQUIRED if not self._given(name)]
        sid = self.twilio_account_sid
        if sid and not ACCOUNT_SID.fullmatch(sid):
            found.append("TWILIO_ACCOUNT_SID must be AC followed by 32 hexadecimal digits")
        secret = self.secret_key.get_secret_value() if self.secret_key else ""
        if secret and len(secret) < MIN_SECRET_CHARS:
            found.append(f"HOTLINE_SECRET_KEY must have at least {MIN_SECRET_CHARS} characters")
        if self._given("HOTLINE_PUBLIC_URL") and not _https_or_loopback(self.public_url):
            found.append("HOTLINE_PUBLIC_URL must start with https:// (Twilio signs that URL)")
        if not _https_or_loopback(self.twilio_api_url):
            found.append("HOTLINE_TWILIO_API_URL must start with https://")
        return found + self._examples() + self.consistency()

    def _examples(self) -> list[str]:
        """Values copied from .env.example or the demo, which no deployment can run on."""
        found = []
        secrets_given = {
            "TWILIO_AUTH_TOKEN": self.twilio_auth_token,
            "HOTLINE_SECRET_KEY": self.secret_key,
        }
        for name, value in secrets_given.items():
            if value is not None and EXAMPLE_MARK in value.get_secret_value():
                found.append(f"{name} still has the example value: set the real one")
        if self.twilio_account_sid == LOCAL_ACCOUNT_SID:
            found.append("TWILIO_ACCOUNT_SID is the demo's: set the real account")
        if (urlsplit(self.public_url).hostname or "").endswith(EXAMPLE_DOMAINS):
            found.append("HOTLINE_PUBLIC_URL still names an example host: set the real one")
        for name, number in (
            ("HOTLINE_BACKUP_NUMBER", self.backup_number),
            ("HOTLINE_BACKUP_NUMBER_2", self.backup_number_2),
        ):
            if number is not None and FICTIONAL_NUMBER.fullmatch(number):
                found.append(f"{name} is a fictional 555-01xx number: set one that rings")
        return found

    def consistency(self) -> list[str]:
        """Settings that contradict each other, one line each, naming the variable."""
        found = []
        if self.default_language not in self.languages:
            found.append("HOTLINE_DEFAULT_LANGUAGE must be one of HOTLINE_LANGUAGES")
        unknown = [code for code in self.voice_menu if code not in self.languages]
        if unknown:
            found.append(f"HOTLINE_VOICE_MENU names languages not enabled: {', '.join(unknown)}")
        unbound = sorted(set(self.line_languages.values()) - set(self.languages))
        if unbound:
            found.append(
                f"HOTLINE_LINE_LANGUAGES names languages not enabled: {', '.join(unbound)}"
            )
        return found

    def _given(self, name: str) -> bool:
        field = _FIELD_OF.get(name, name.removeprefix("HOTLINE_").lower())
        value = getattr(self, field)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        return bool(value) and (field != "public_url" or field in self.model_fields_set)

    def require_secrets(self) -> tuple[str, bytes]:
        """The auth token and secret key, or a ConfigError that says what is missing."""
        missing = [
            line
            for line in self.problems()
            if line.startswith(("TWILIO_AUTH_TOKEN", "HOTLINE_SECRET_KEY"))
        ]
        if self._given("TWILIO_AUTH_TOKEN") and not self._given("HOTLINE_PUBLIC_URL"):
            missing.append("HOTLINE_PUBLIC_URL is not set (signatures are checked against it)")
        if missing or self.twilio_auth_token is None or self.secret_key is None:
            raise ConfigError("\n".join(missing or ["TWILIO_AUTH_TOKEN is not set"]))
        consistency = self.consistency()
        if consistency:
            raise ConfigError("\n".join(consistency))
        return (
            self.twilio_auth_token.get_secret_value(),
            self.secret_key.get_secret_value().encode(),
        )


_FIELD_OF = {"TWILIO_ACCOUNT_SID": "twilio_account_sid", "TWILIO_AUTH_TOKEN": "twilio_auth_token"}
_LOOPBACK_NAMES = frozenset({"localhost", "testserver"})


def _https_or_loopback(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return True
    host = parts.hostname or ""
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def variable_name(field: str) -> str:
    """The environment variable that sets `field`."""
    aliases = {v: k for k, v in _FIELD_OF.items()}
    return aliases.get(field, f"HOTLINE_{field.upper()}")


def settings_from_environment(**overrides: Any) -> Settings:
    """Settings from the environment (and `overrides`); a ConfigError with one line per
    malformed variable, naming it and never quoting its value."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        lines = []
        for problem in error.errors(include_input=False, include_url=False):
            field = str(problem["loc"][0]) if problem["loc"] else "?"
            message = problem["msg"].removeprefix("Value error, ")
            lines.append(f"{variable_name(field)} {message}")
        raise ConfigError("\n".join(dict.fromkeys(lines))) from None


def production_settings(**overrides: Any) -> Settings:
    """Settings for a real deployment; a ConfigError listing every problem, one a line."""
    settings = settings_from_environment(**overrides)
    problems = settings.problems()
    if problems:
        raise ConfigError("\n".join(problems))
    return settings


def demo_settings(*, local_url: str | None = None, **overrides: Any) -> Settings:
    """Settings for `--demo`: the local stand-in for Twilio, secrets made in the data
    folder on first use, a demo backup number. Never reached without `--demo`.

    The public URL is HOTLINE_PUBLIC_URL when set, else `local_url` (where it listens).
    The stand-in keeps the texts it was handed (`hotline simulate messages` shows them)
    unless HOTLINE_DELETE_FROM_TWILIO says otherwise: it is this machine's memory, not a
    carrier's.
    """
    settings = settings_from_environment(**overrides)
    if "twilio_api_url" in settings.model_fields_set and not settings.uses_local_standin:
        raise ConfigError(
            "HOTLINE_TWILIO_API_URL is set: the demo talks only to its local stand-in"
        )
    local = settings.data_dir / "local"
    public_url = settings.public_url
    if "public_url" not in settings.model_fields_set:
        public_url = (local_url or DEMO_PUBLIC_URL).rstrip("/")
    demo = settings.model_copy(
        update={
            "twilio_account_sid": LOCAL_ACCOUNT_SID,
            "twilio_auth_token": SecretStr(_local_secret(local / "auth-token", 24)),
            "secret_key": settings.secret_key or SecretStr(_local_secret(local / "secret-key", 32)),
            "public_url": public_url,
            "twilio_api_url": public_url + LOCAL_STANDIN_PATH,
            "backup_number": settings.backup_number or DEMO_BACKUP,
            "delete_from_twilio": "delete_from_twilio" in settings.model_fields_set
            and settings.delete_from_twilio,
        }
    )
    demo._demo = True
    return demo


DEMO_PUBLIC_URL = "http://127.0.0.1:8000"
DEMO_BACKUP = "+13125550111"


def _local_secret(path: Path, nbytes: int) -> str:
    """A secret kept in the data folder for the demo, made on first use."""
    if path.exists():
        return path.read_text().strip()
    private_dir(path.parent)
    value = secrets.token_urlsafe(nbytes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def private_dir(path: Path) -> Path:
    """`path` as a folder only this user can enter (0700), created if absent."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def misspelt(environ: Mapping[str, str] | None = None) -> list[str]:
    """HOTLINE_ variables the service does not know, with the one probably meant."""
    environ = os.environ if environ is None else environ
    known = {variable_name(name) for name in Settings.model_fields}
    lines = []
    for name in sorted(environ):
        if not name.startswith("HOTLINE_") or name in known or name.startswith("HOTLINE_TEST_"):
            continue
        guess = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {guess[0]}?" if guess else ""
        lines.append(f"{name} is not a setting of this service{hint}")
    return lines


@lru_cache
def get_settings() -> Settings:
    return Settings()
