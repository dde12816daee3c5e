"""Plain factories for roster rows, and ways to look at the whole database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from hotline.models import AuditEntry, Shift, Volunteer, metadata
from hotline.privacy.vault import Vault
from hotline.roster import service
from hotline.roster.schemas import Role, ShiftCreate, VolunteerCreate

HOUR = timedelta(hours=1)


def add_volunteer(
    session: Session,
    vault: Vault,
    *,
    name: str = "Ana",
    number: str = "+13125550142",
    languages: Sequence[str] = ("es", "en"),
    role: Role = "legal_volunteer",
    active: bool = True,
) -> Volunteer:
    return service.create_volunteer(
        session=session,
        vault=vault,
        country="US",
        enabled=("en", "es", "zh", "pl", "ar", "uk", "ru", "fr", "ht", "tl"),
        volunteer_in=VolunteerCreate(
            name=name, phone=number, languages=list(languages), role=role, active=active
        ),
        user=None,
    )


def add_shift(
    session: Session,
    *,
    volunteer_id: int | None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    weekly: bool = False,
) -> Shift:
    """A shift, by default on call from an hour ago to an hour from now."""
    assert volunteer_id is not None
    now = datetime.now(UTC)
    return service.create_shift(
        session=session,
        shift_in=ShiftCreate(
            volunteer_id=volunteer_id,
            starts_at=starts_at or now - HOUR,
            ends_at=ends_at or now + HOUR,
            weekly=weekly,
        ),
        user=None,
    )


def everything(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, to show that a refused request changed nothing."""
    with engine.connect() as connection:
        return {
            table.name: sorted((tuple(row) for row in connection.execute(table.select())), key=repr)
            for table in metadata.sorted_tables
        }


def audit(engine: Engine) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all())


def phone_forms(number: str) -> list[str]:
    """The ways an E.164 `number` shows up in text: whole, without +, national, local."""
    return [number, number[1:], number[2:], number[-7:], number[-7:-4] + "-" + number[-4:]]


def leaks(text: str, number: str) -> list[str]:
    return [form for form in phone_forms(number) if form in text]


def volunteer_row(engine: Engine, volunteer_id: int) -> Volunteer | None:
    with Session(engine) as session:
        return session.get(Volunteer, volunteer_id)
