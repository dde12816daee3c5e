"""What the rapid-response API reads and answers; table rows never cross HTTP.

No answer holds a phone number: not a reporter's, not a subscriber's. Subscriptions are
counted by zone and by language, nothing finer.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from hotline.rapid.kinds import AlertKind, AlertStatus, Channel, IncidentStatus, ReportKind

_ZIP = re.compile(r"^[0-9]{5}$")
MAX_ZIPS_PER_ZONE = 200
MAX_NEIGHBOURS = 20


def _zip(value: str) -> str:
    if not _ZIP.match(value):
        raise ValueError("a ZIP code has five digits, like 60608")
    return value


def _not_null(value: object, info: ValidationInfo) -> object:
    if value is None:
        raise ValueError(f"{info.field_name} cannot be null")
    return value


ZoneName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
ZipCode = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_zip)]
Zips = Annotated[list[ZipCode], Field(max_length=MAX_ZIPS_PER_ZONE)]
Neighbours = Annotated[list[ZoneName], Field(max_length=MAX_NEIGHBOURS)]
# A place in the witness's words: a ZIP code or cross streets, coarsened before it is kept.
Place = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ZoneCreate(_Strict):
    """A zone: a name and its ZIP codes; `neighbours` names zones next to it."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "Pilsen", "zips": ["60608"]}]}
    )

    name: ZoneName
    zips: Zips = Field(min_length=1)
    neighbours: Neighbours = Field(default_factory=list)


class ZoneUpdate(_Strict):
    """The fields to change; `zips` and `neighbours`, when given, replace the old ones."""

    name: ZoneName | None = None
    zips: Zips | None = Field(default=None, min_length=1)
    neighbours: Neighbours | None = None

    _present = field_validator("name", "zips", "neighbours")(_not_null)


class ZonePublic(BaseModel):
    id: int
    name: str
    zips: list[str]
    neighbours: list[str]
    responders: list[int] = Field(description="Ids of the volunteers who respond here.")
    created_at: datetime
    updated_at: datetime


class ReportCreate(_Strict):
    """A report taken by phone by a volunteer or coordinator, for the caller.

    `zip` finds the zone; without it, `zone` names one. `caller_phone`, given only when
    the caller agrees to a follow-up question, is sealed and deleted when the report closes.
    """

    kind: ReportKind
    zip: ZipCode | None = None
    zone: ZoneName | None = None
    place: Place = ""
    ongoing: bool = True
    language: Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)] = "en"
    caller_phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None = (
        Field(default=None, repr=False)
    )


class ReportPublic(BaseModel):
    """A report as coordinators see it: never who made it."""

    id: int
    kind: ReportKind
    zone: str | None
    place: str
    minute: datetime
    ongoing: bool
    language: str
    channel: Channel
    status: str


class ReportAccepted(BaseModel):
    """A report was taken: the incident it joined (or opened)."""

    report_id: int
    incident_id: int
    new_incident: bool


class IncidentPublic(BaseModel):
    """One line of the incident list."""

    id: int
    zone: str | None
    kind: ReportKind
    status: IncidentStatus
    reports: int
    opened_at: datetime


class IncidentStep(BaseModel):
    """One step of an incident's history."""

    at: datetime
    step: str
    status: IncidentStatus
    volunteer_id: int | None
    user_id: int | None
    detail: str


class IncidentDetail(IncidentPublic):
    """An incident with its reports, its responders and its history."""

    ongoing: bool
    code: str | None
    responders: list[int]
    closed_at: datetime | None
    expires_at: datetime
    report_list: list[ReportPublic]
    history: list[IncidentStep]


class IncidentUpdate(_Strict):
    """A coordinator's change: a status by hand, or the zone of an incident without one."""

    status: IncidentStatus | None = None
    zone: ZoneName | None = None

    _present = field_validator("status", "zone")(_not_null)


class ZoneCount(BaseModel):
    zone: str
    subscribers: int


class LanguageCount(BaseModel):
    language: str
    subscribers: int


class SubscriptionCounts(BaseModel):
    """How many subscribers each zone and each language has. Never a number."""

    total: int
    by_zone: list[ZoneCount]
    by_language: list[LanguageCount]
    # ZIP codes subscribed to that no zone covers: they get nothing until one does.
    uncovered_zips: int


class AlertPublic(BaseModel):
    id: int
    incident_id: int | None
    zone: str | None
    kind: AlertKind
    status: AlertStatus
    recipients: int = Field(description="Texts queued so far.")
    created_at: datetime
    approved_at: datetime | None
    approved_by: int | None
    finished_at: datetime | None
    expires_at: datetime
