"""Local resources: names and numbers set per deployment, framed by translated sentences."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hotline.errors import ConfigError
from hotline.i18n.translator import N_, Msg

Kind = Literal["clinic", "emergency", "workshop"]


@dataclass(frozen=True, slots=True)
class Resource:
    """A place or line a caller can turn to."""

    kind: Kind
    name: str
    phone: str


# TRANSLATORS: %(name)s is an organisation's name; %(phone)s its number, read digit by digit.
FRAMES: dict[Kind, Msg] = {
    "clinic": N_("voice", "Free legal clinic: %(name)s. Call %(phone)s."),
    "emergency": N_("voice", "Emergency line, open day and night: %(name)s. Call %(phone)s."),
    "workshop": N_("voice", "Community workshop on your rights: %(name)s. Call %(phone)s."),
}

# The example set a fresh install speaks; a deployment replaces it with its own file.
EXAMPLE: tuple[Resource, ...] = (
    Resource("clinic", "Northside Immigrant Legal Clinic", "+13125550142"),
    Resource("emergency", "Rapid Response Line", "+13125550199"),
    Resource("workshop", "Know Your Rights Night, first Tuesday of the month", "+13125550123"),
)


def load(path: Path | None) -> tuple[Resource, ...]:
    """The resources in the TOML file at `path`, or the example set."""
    if path is None:
        return EXAMPLE
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        entries = raw["resource"]
        resources = tuple(Resource(**entry) for entry in entries)
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as error:
        raise ConfigError(f"cannot read the resources file {path}: {error}") from error
    for resource in resources:
        if resource.kind not in FRAMES:
            raise ConfigError(f"{path}: unknown resource kind {resource.kind!r}")
    return resources
