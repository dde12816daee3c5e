"""The roster's rules: volunteers and their numbers, shifts, covers, availability, coverage.

A volunteer's number is sealed to its row and found again through a keyed fingerprint
that never rotates; what people see of it is a hint (`+1312•••0100`). No number, whole
or in part beyond the hint, goes into an error, a log line or the audit log.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from hotline.auth import service as auth_service
from hotline.auth.service import InvalidField
from hotline.claims import service as claims
from hotline.config import e164
from hotline.db import aware
from hotline.errors import HotlineError, NotFound
from hotline.models import CallRecord, Shift, ShiftOverride, User, Volunteer
from hotline.privacy.vault import Vault
from hotline.rapid import zones as rapid_zones
from hotline.roster.schemas import (
    AvailabilityUpdate,
    OverrideCreate,
    ShiftCreate,
    VolunteerCreate,
    VolunteerUpdate,
)
from hotline.routing import service as routing_service
from hotline.routing.oncall import ShiftSpec, occurrences

HINT_MASK = "•••"
# More would all but give the number away to someone holding a list of numbers.
HINT_DIGITS = 2


class Conflict(HotlineError):
    status_code = 409
    code = "conflict"


def phone_number(raw: str, *, country: str) -> str:
    """`raw` (E.164, or national in `country`) in E.164; InvalidField naming `phone` otherwise."""
    try:
        return e164(raw, field="phone", region=country)
    except ValueError as error:
        raise InvalidField(str(error), loc=("body", "phone")) from None


def phone_hint(number: str) -> str:
    """What people may see of an E.164 `number`: its country code and last two digits."""
    parsed = phonenumbers.parse(number, None)
    digits = phonenumbers.national_significant_number(parsed)
    return f"+{parsed.country_code}{HINT_MASK}{digits[-HINT_DIGITS:]}"


def phone_key(*, vault: Vault, number: str) -> str:
    """The fingerprint that finds a volunteer by their E.164 `number`."""
    return vault.volunteer_key(number)


def enabled_languages(codes: Iterable[str], *, enabled: Collection[str]) -> list[str]:
    """`codes` without repeats, in order; InvalidField naming the first that is not enabled."""
    kept: list[str] = []
    for index, code in enumerate(codes):
        if code not in enabled:
            raise InvalidField(
                f"not an enabled language ({', '.join(sorted(enabled))})",
                loc=("body", "languages", index),
            )
        if code not in kept:
            kept.append(code)
    return kept


def find_by_phone(*, session: Session, vault: Vault, number: str) -> Volunteer | None:
    """The volunteer whose number is `number` (E.164), if any."""
    key = phone_key(vault=vault, number=number)
    return session.exec(select(Volunteer).where(Volunteer.phone_key == key)).first()


def _set_phone(volunteer: Volunteer, *, vault: Vault, number: str) -> None:
    volunteer.phone_key = phone_key(vault=vault, number=number)
    volunteer.phone_hint = phone_hint(number)
    volunteer.phone_sealed = vault.seal(
        number, place=routing_service.volunteer_phone_place(volunteer.phone_key)
    )


def _refuse_taken(*, session: Session, vault: Vault, number: str, own_id: int | None) -> None:
    other = find_by_phone(session=session, vault=vault, number=number)
    if other is not None and other.id != own_id:
        raise Conflict("another volunteer has this phone number")


def _flush_unique(session: Session) -> None:
    # Two requests adding the same number at once: the unique fingerprint stops the second.
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("another volunteer has this phone number") from None


def list_volunteers(*, session: Session) -> list[Volunteer]:
    """Every volunteer, oldest first."""
    return list(session.exec(select(Volunteer).order_by(col(Volunteer.id))).all())


def get_volunteer(*, session: Session, volunteer_id: int) -> Volunteer:
    """The volunteer `volunteer_id`; NotFound if there is none."""
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound(f"volunteer {volunteer_id} does not exist")
    return volunteer


def create_volunteer(
    *,
    session: Session,
    vault: Vault,
    country: str,
    enabled: Collection[str],
    volunteer_in: VolunteerCreate,
    user: User | None,
    now: datetime | None = None,
) -> Volunteer:
    """A new volunteer; Conflict if one already has this number."""
    now = now or datetime.now(UTC)
    number = phone_number(volunteer_in.phone, country=country)
    languages = enabled_languages(volunteer_in.languages, enabled=enabled)
    zone_ids = _zone_ids(session, volunteer_in.zones)
    _refuse_taken(session=session, vault=vault, number=number, own_id=None)
    volunteer = Volunteer.model_validate(
        {
            "name": volunteer_in.name,
            "phone_sealed": b"",
            "phone_key": "",
            "phone_hint": "",
            "languages": ",".join(languages),
            "role": volunteer_in.role,
            "active": volunteer_in.active,
            "created_at": now,
            "updated_at": now,
        }
    )
    _set_phone(volunteer, vault=vault, number=number)
    session.add(volunteer)
    _flush_unique(session)
    assert volunteer.id is not None
    fields = ["name", "phone", "languages", "role", "active"]
    if zone_ids:
        rapid_zones.set_volunteer_zones(session, volunteer.id, zone_ids)
        fields.append("zones")
    auth_service.record(
        session=session,
        user=user,
        action="create",
        entity="volunteer",
        entity_id=volunteer.id,
        fields=fields,
        now=now,
    )
    return volunteer


def _zone_ids(session: Session, names: Sequence[str] | None) -> list[int]:
    if not names:
        return []
    return rapid_zones.zone_ids(session=session, names=names, loc=("body", "zones"))


def zone_names(session: Session, volunteer_ids: Collection[int]) -> dict[int, list[str]]:
    """The names of the zones each volunteer responds in."""
    names = rapid_zones.names(session)
    return {
        volunteer_id: sorted(names[z] for z in zone_ids if z in names)
        for volunteer_id, zone_ids in rapid_zones.volunteer_zone_ids(session, volunteer_ids).items()
    }


def update_volunteer(
    *,
    session: Session,
    vault: Vault,
    country: str,
    enabled: Collection[str],
    volunteer: Volunteer,
    volunteer_in: VolunteerUpdate,
    user: User | None,
    now: datetime | None = None,
) -> Volunteer:
    """`volunteer` with the fields given changed; the audit log names those that did."""
    now = now or datetime.now(UTC)
    changed: list[str] = []
    if volunteer_in.name is not None and volunteer_in.name != volunteer.name:
        volunteer.name = volunteer_in.name
        changed.append("name")
    if volunteer_in.phone is not None:
        number = phone_number(volunteer_in.phone, country=country)
        if phone_key(vault=vault, number=number) != volunteer.phone_key:
            _refuse_taken(session=session, vault=vault, number=number, own_id=volunteer.id)
            _set_phone(volunteer, vault=vault, number=number)
            changed.append("phone")
    if volunteer_in.languages is not None:
        languages = ",".join(enabled_languages(volunteer_in.languages, enabled=enabled))
        if languages != volunteer.languages:
            volunteer.languages = languages
            changed.append("languages")
    if volunteer_in.role is not None and volunteer_in.role != volunteer.role:
        volunteer.role = volunteer_in.role
        changed.append("role")
    if volunteer_in.active is not None and volunteer_in.active != volunteer.active:
        volunteer.active = volunteer_in.active
        changed.append("active")
        if not volunteer.active:
            _leave(session=session, volunteer=volunteer, now=now)
    if volunteer_in.zones is not None:
        assert volunteer.id is not None
        zone_ids = _zone_ids(session, volunteer_in.zones)
        if rapid_zones.set_volunteer_zones(session, volunteer.id, zone_ids):
            changed.append("zones")
    if not changed:
        return volunteer
    volunteer.updated_at = now
    session.add(volunteer)
    _flush_unique(session)
    auth_service.record(
        session=session,
        user=user,
        action="update",
        entity="volunteer",
        entity_id=volunteer.id,
        fields=changed,
        now=now,
    )
    return volunteer


def delete_volunteer(*, session: Session, volunteer: Volunteer, user: User | None) -> None:
    """Remove `volunteer`, their shifts and the covers they took on; what they held goes
    back to the others, and their API users are disabled."""
    _leave(session=session, volunteer=volunteer, now=datetime.now(UTC))
    auth_service.record(
        session=session,
        user=user,
        action="delete",
        entity="volunteer",
        entity_id=volunteer.id,
        fields=(),
    )
    session.delete(volunteer)
    session.flush()


def _leave(*, session: Session, volunteer: Volunteer, now: datetime) -> None:
    """`volunteer` stops helping at once: no more relayed texts, their cases and callbacks
    back to the queue (re-alerted by the claims tick), their API users disabled."""
    assert volunteer.id is not None
    claims.release_volunteer(session=session, volunteer_id=volunteer.id, now=now)
    auth_service.disable_users_of(session=session, volunteer_id=volunteer.id, now=now)


def set_availability(
    *,
    session: Session,
    volunteer: Volunteer,
    availability_in: AvailabilityUpdate,
    user: User | None,
    now: datetime | None = None,
) -> Volunteer:
    """Put `volunteer` on call, off, or on a break that ends by itself."""
    now = now or datetime.now(UTC)
    volunteer.availability = availability_in.status
    volunteer.break_until = (
        now + timedelta(minutes=availability_in.minutes)
        if availability_in.status == "break" and availability_in.minutes is not None
        else None
    )
    volunteer.updated_at = now
    session.add(volunteer)
    session.flush()
    auth_service.record(
        session=session,
        user=user,
        action="update",
        entity="volunteer",
        entity_id=volunteer.id,
        fields=["availability", "break_until"],
        now=now,
    )
    return volunteer


def _spec(shift: Shift) -> ShiftSpec:
    return ShiftSpec(
        id=shift.id or 0,
        volunteer_id=shift.volunteer_id,
        starts_at=aware(shift.starts_at),
        ends_at=aware(shift.ends_at),
        weekly=shift.weekly,
        repeat_until=aware(shift.repeat_until) if shift.repeat_until else None,
    )


def _overlaps(
    shift: Shift, *, timezone: ZoneInfo, start: datetime | None, end: datetime | None
) -> bool:
    spec = _spec(shift)
    if end is not None:
        return next(occurrences(spec, timezone, start or spec.starts_at, end), None) is not None
    if start is None:
        return True
    if not spec.weekly:
        return spec.ends_at > start
    if spec.repeat_until is None:
        return True
    return spec.repeat_until + (spec.ends_at - spec.starts_at) > start


def list_shifts(
    *,
    session: Session,
    timezone: ZoneInfo,
    volunteer_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[Shift]:
    """Shifts, of one volunteer if given, with a stretch on call in [start, end)."""
    query = select(Shift).order_by(col(Shift.starts_at), col(Shift.id))
    if volunteer_id is not None:
        query = query.where(Shift.volunteer_id == volunteer_id)
    return [
        shift
        for shift in session.exec(query).all()
        if _overlaps(shift, timezone=timezone, start=start, end=end)
    ]


def get_shift(*, session: Session, shift_id: int) -> Shift:
    """The shift `shift_id`; NotFound if there is none."""
    shift = session.get(Shift, shift_id)
    if shift is None:
        raise NotFound(f"shift {shift_id} does not exist")
    return shift


def create_shift(
    *, session: Session, shift_in: ShiftCreate, user: User | None, now: datetime | None = None
) -> Shift:
    """A new shift for an existing volunteer, stored in UTC."""
    now = now or datetime.now(UTC)
    get_volunteer(session=session, volunteer_id=shift_in.volunteer_id)
    shift = Shift.model_validate(
        {
            "volunteer_id": shift_in.volunteer_id,
            "starts_at": shift_in.starts_at.astimezone(UTC),
            "ends_at": shift_in.ends_at.astimezone(UTC),
            "weekly": shift_in.weekly,
            "repeat_until": shift_in.repeat_until.astimezone(UTC)
            if shift_in.repeat_until
            else None,
            "created_at": now,
        }
    )
    session.add(shift)
    session.flush()
    auth_service.record(
        session=session,
        user=user,
        action="create",
        entity="shift",
        entity_id=shift.id,
        fields=["volunteer_id", "starts_at", "ends_at", "weekly", "repeat_until"],
        now=now,
    )
    return shift


def move_shift(
    *,
    session: Session,
    shift: Shift,
    starts_at: datetime,
    ends_at: datetime,
    user: User | None,
    now: datetime | None = None,
) -> Shift:
    """`shift` at another time (a weekly one repeats from there); its covers stay."""
    if ends_at <= starts_at:
        raise InvalidField("ends_at must be after starts_at", loc=("body", "ends_at"))
    if shift.weekly and ends_at - starts_at > timedelta(days=7):
        raise InvalidField("a weekly shift lasts 7 days at most", loc=("body", "ends_at"))
    shift.starts_at, shift.ends_at = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
    session.add(shift)
    session.flush()
    auth_service.record(
        session=session,
        user=user,
        action="update",
        entity="shift",
        entity_id=shift.id,
        fields=["starts_at", "ends_at"],
        now=now,
    )
    return shift


def delete_shift(*, session: Session, shift: Shift, user: User | None) -> None:
    """Remove `shift` and the covers of it."""
    auth_service.record(
        session=session, user=user, action="delete", entity="shift", entity_id=shift.id, fields=()
    )
    session.delete(shift)
    session.flush()


def list_overrides(*, session: Session, shift_id: int | None = None) -> list[ShiftOverride]:
    """Covers, of one shift if given, earliest first."""
    query = select(ShiftOverride).order_by(col(ShiftOverride.starts_at), col(ShiftOverride.id))
    if shift_id is not None:
        query = query.where(ShiftOverride.shift_id == shift_id)
    return list(session.exec(query).all())


def get_override(*, session: Session, override_id: int) -> ShiftOverride:
    """The cover `override_id`; NotFound if there is none."""
    override = session.get(ShiftOverride, override_id)
    if override is None:
        raise NotFound(f"override {override_id} does not exist")
    return override


def create_override(
    *,
    session: Session,
    override_in: OverrideCreate,
    user: User | None,
    now: datetime | None = None,
) -> ShiftOverride:
    """A volunteer covering a shift for a while."""
    now = now or datetime.now(UTC)
    get_shift(session=session, shift_id=override_in.shift_id)
    get_volunteer(session=session, volunteer_id=override_in.volunteer_id)
    override = ShiftOverride.model_validate(
        {
            "shift_id": override_in.shift_id,
            "volunteer_id": override_in.volunteer_id,
            "starts_at": override_in.starts_at.astimezone(UTC),
            "ends_at": override_in.ends_at.astimezone(UTC),
            "created_at": now,
        }
    )
    session.add(override)
    session.flush()
    auth_service.record(
        session=session,
        user=user,
        action="create",
        entity="shift_override",
        entity_id=override.id,
        fields=["shift_id", "volunteer_id", "starts_at", "ends_at"],
        now=now,
    )
    return override


def delete_override(*, session: Session, override: ShiftOverride, user: User | None) -> None:
    """Remove the cover `override`: the shift's own volunteer is on call again."""
    auth_service.record(
        session=session,
        user=user,
        action="delete",
        entity="shift_override",
        entity_id=override.id,
        fields=(),
    )
    session.delete(override)
    session.flush()


def on_call(
    *, session: Session, timezone: ZoneInfo, at: datetime, language: str | None
) -> list[Volunteer]:
    """Who is on call and available at `at`, read from the database rather than the cache."""
    snapshot = routing_service.load_snapshot(session, timezone=timezone, at=at)
    return [
        get_volunteer(session=session, volunteer_id=person.id)
        for person in snapshot.on_call(at, language)
    ]


def coverage(
    *,
    session: Session,
    timezone: ZoneInfo,
    languages: Iterable[str],
    start: datetime,
    end: datetime,
) -> dict[str, list[tuple[datetime, datetime]]]:
    """Per language, the stretches of [start, end) when no active volunteer on a shift speaks it."""
    snapshot = routing_service.load_snapshot(session, timezone=timezone, at=start)
    return snapshot.gaps_by_language(languages, start, end)


def recent_calls(*, session: Session, limit: int) -> list[CallRecord]:
    """The latest `limit` urgent calls, newest first."""
    query = (
        select(CallRecord)
        .order_by(col(CallRecord.started_at).desc(), col(CallRecord.id).desc())
        .limit(limit)
    )
    return list(session.exec(query).all())
