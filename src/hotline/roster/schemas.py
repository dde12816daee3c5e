"""What the roster API reads and answers; table rows never cross HTTP.

Requests are checked for form here; what depends on the deployment (is the number
valid in the hotline's country, is the language enabled) is checked by the service.
Every datetime in an answer is in the hotline's time zone, with its offset.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from hotline.db import aware
from hotline.models import CallRecord, Shift, ShiftOverride, Volunteer

Role = Literal["legal_volunteer", "attorney", "coordinator_backup"]
Status = Literal["on", "off", "break"]
MAX_BREAK_MINUTES = 720
# Ids are INTEGER columns, 32 bits on PostgreSQL: a larger one is refused, not looked up.
MAX_ID = 2**31 - 1
MAX_WEEKLY_SHIFT = timedelta(days=7)
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
_NUMBER = re.compile(r"^\s*[+-]?\d+(\.\d*)?\s*$")


def _language_code(value: str) -> str:
    if not _LANGUAGE_CODE.match(value):
        raise ValueError("a language code looks like es or zh")
    return value


def _iso_8601(value: object) -> object:
    # Pydantic would also read a number as seconds since 1970; the API speaks ISO 8601 only.
    if isinstance(value, datetime) or (isinstance(value, str) and not _NUMBER.match(value)):
        return value
    raise ValueError("a time is ISO 8601 with its offset, like 2026-12-01T09:00:00-06:00")


def _not_null(value: object, info: ValidationInfo) -> object:
    # Fields left out of a PATCH stay as they are; an explicit null is a mistake.
    if value is None:
        raise ValueError(f"{info.field_name} cannot be null")
    return value


Moment = Annotated[AwareDatetime, BeforeValidator(_iso_8601)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
LanguageCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, min_length=2, max_length=16),
    AfterValidator(_language_code),
]
Languages = Annotated[list[LanguageCode], Field(min_length=1, max_length=12)]
ZoneNames = Annotated[
    list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]],
    Field(max_length=20, description="Names of the zones they respond in while on call."),
]


class _Strict(BaseModel):
    # A misspelt field is refused rather than silently ignored.
    model_config = ConfigDict(extra="forbid")


class VolunteerCreate(_Strict):
    """A new volunteer. `phone` is E.164, or national in the hotline's country."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "Ana", "phone": "+13125550142", "languages": ["es", "en"]},
            ]
        }
    )

    name: Name
    phone: Phone = Field(repr=False)
    languages: Languages = Field(description="Language codes, most fluent first.")
    role: Role = "legal_volunteer"
    active: bool = True
    zones: ZoneNames | None = None


class VolunteerUpdate(_Strict):
    """The fields to change; those left out stay as they are."""

    name: Name | None = None
    phone: Phone | None = Field(default=None, repr=False)
    languages: Languages | None = None
    role: Role | None = None
    active: bool | None = None
    zones: ZoneNames | None = None

    _present = field_validator("name", "phone", "languages", "role", "active", "zones")(_not_null)


class AvailabilityUpdate(_Strict):
    """On call, off, or on a break of `minutes` (1 to 720)."""

    status: Status
    minutes: int | None = Field(default=None, ge=1, le=MAX_BREAK_MINUTES, validate_default=True)

    @field_validator("minutes")
    @classmethod
    def _minutes(cls, value: int | None, info: ValidationInfo) -> int | None:
        status = info.data.get("status")
        if status == "break" and value is None:
            raise ValueError("a break needs minutes, from 1 to 720")
        if status in ("on", "off") and value is not None:
            raise ValueError("minutes is only for a break")
        return value


def _after_start(value: datetime, info: ValidationInfo) -> datetime:
    starts_at = info.data.get("starts_at")
    if starts_at is not None and value <= starts_at:
        raise ValueError(f"{info.field_name} must be after starts_at")
    return value


class ShiftCreate(_Strict):
    """A shift; a weekly one repeats at the same local time until `repeat_until`, if given."""

    volunteer_id: int = Field(ge=1, le=MAX_ID)
    # Before ends_at, so that a weekly shift's length is checked under ends_at's name.
    weekly: bool = False
    starts_at: Moment
    ends_at: Moment
    repeat_until: Moment | None = None

    @field_validator("ends_at")
    @classmethod
    def _ends(cls, value: datetime, info: ValidationInfo) -> datetime:
        value = _after_start(value, info)
        starts_at = info.data.get("starts_at")
        if info.data.get("weekly") and starts_at and value - starts_at > MAX_WEEKLY_SHIFT:
            raise ValueError("a weekly shift lasts 7 days at most")
        return value

    @field_validator("repeat_until")
    @classmethod
    def _repeat_until(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        if value is None:
            return None
        if not info.data.get("weekly"):
            raise ValueError("repeat_until is only for a weekly shift")
        return _after_start(value, info)


class OverrideCreate(_Strict):
    """`volunteer_id` covers shift `shift_id` from `starts_at` to `ends_at`."""

    shift_id: int = Field(ge=1, le=MAX_ID)
    volunteer_id: int = Field(ge=1, le=MAX_ID)
    starts_at: Moment
    ends_at: Moment

    _ends = field_validator("ends_at")(_after_start)


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    return aware(moment).astimezone(zone) if moment is not None else None


def _at(moment: datetime, zone: ZoneInfo) -> datetime:
    return aware(moment).astimezone(zone)


class VolunteerPublic(BaseModel):
    """A volunteer as coordinators see them: never their whole number."""

    id: int
    name: str
    phone_hint: str = Field(description="Country and area code and the last digits only.")
    languages: list[str]
    role: str
    active: bool
    availability: str
    break_until: datetime | None
    zones: list[str] = Field(description="The zones they respond in while on call.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Volunteer, zone: ZoneInfo, zones: Sequence[str] = ()) -> VolunteerPublic:
        assert row.id is not None
        return cls(
            id=row.id,
            name=row.name,
            phone_hint=row.phone_hint,
            languages=[code for code in row.languages.split(",") if code],
            role=row.role,
            active=row.active,
            availability=row.availability,
            break_until=_local(row.break_until, zone),
            zones=list(zones),
            created_at=_at(row.created_at, zone),
            updated_at=_at(row.updated_at, zone),
        )


class ShiftPublic(BaseModel):
    id: int
    volunteer_id: int
    starts_at: datetime
    ends_at: datetime
    weekly: bool
    repeat_until: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, row: Shift, zone: ZoneInfo) -> ShiftPublic:
        assert row.id is not None
        return cls(
            id=row.id,
            volunteer_id=row.volunteer_id,
            starts_at=_at(row.starts_at, zone),
            ends_at=_at(row.ends_at, zone),
            weekly=row.weekly,
            repeat_until=_local(row.repeat_until, zone),
            created_at=_at(row.created_at, zone),
        )


class OverridePublic(BaseModel):
    id: int
    shift_id: int
    volunteer_id: int
    starts_at: datetime
    ends_at: datetime
    created_at: datetime

    @classmethod
    def of(cls, row: ShiftOverride, zone: ZoneInfo) -> OverridePublic:
        assert row.id is not None
        return cls(
            id=row.id,
            shift_id=row.shift_id,
            volunteer_id=row.volunteer_id,
            starts_at=_at(row.starts_at, zone),
            ends_at=_at(row.ends_at, zone),
            created_at=_at(row.created_at, zone),
        )


class OnCallPublic(BaseModel):
    """Who is on call and available at `at`; for a language, its first-language speakers first."""

    at: datetime
    language: str | None
    volunteers: list[VolunteerPublic]


class GapPublic(BaseModel):
    start: datetime
    end: datetime
    hours: float


class LanguageCoveragePublic(BaseModel):
    language: str
    uncovered_hours: float
    gaps: list[GapPublic]


class CoveragePublic(BaseModel):
    """Stretches of the next `days` when no active volunteer on a shift speaks a language."""

    start: datetime
    end: datetime
    days: int
    languages: list[LanguageCoveragePublic]


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((aware(end) - aware(start)).total_seconds(), 1)


class CallPublic(BaseModel):
    """An urgent call's timings; the waits count from when the caller asked for a person."""

    call_ref: str
    language: str | None
    started_at: datetime
    urgent_at: datetime | None
    first_ring_at: datetime | None
    answered_at: datetime | None
    tier_reached: int
    outcome: str
    accepted_by: int | None
    seconds_to_first_ring: float | None
    seconds_to_answer: float | None

    @classmethod
    def of(cls, row: CallRecord, zone: ZoneInfo) -> CallPublic:
        asked = row.urgent_at or row.started_at
        return cls(
            call_ref=row.call_ref,
            language=row.language,
            started_at=_at(row.started_at, zone),
            urgent_at=_local(row.urgent_at, zone),
            first_ring_at=_local(row.first_ring_at, zone),
            answered_at=_local(row.answered_at, zone),
            tier_reached=row.tier_reached,
            outcome=row.outcome,
            accepted_by=row.accepted_by,
            seconds_to_first_ring=_seconds(asked, row.first_ring_at),
            seconds_to_answer=_seconds(asked, row.answered_at),
        )
