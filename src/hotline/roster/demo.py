"""A fictional roster for the local demo: someone speaks each language, at every hour, and
two zones with responders in them.

The numbers are in the 555-0100 to 555-0199 block, which North American numbering keeps
for fiction; the people do not exist.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlmodel import Session, select

from hotline.config import Settings
from hotline.models import Volunteer
from hotline.privacy.vault import Vault
from hotline.rapid import zones as rapid_zones
from hotline.rapid.schemas import ZoneCreate
from hotline.roster import service
from hotline.roster.schemas import ShiftCreate, VolunteerCreate

DEMO_VOLUNTEERS: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Ana (demo)", "+13125550141", ("es", "en"), ("Pilsen",)),
    ("Wei (demo)", "+13125550142", ("zh", "en"), ()),
    ("Marek (demo)", "+13125550143", ("pl",), ()),
    ("Amal (demo)", "+13125550144", ("ar", "fr"), ()),
    ("Olena (demo)", "+13125550145", ("uk", "ru"), ("Little Village",)),
    ("Jean (demo)", "+13125550146", ("ht", "fr"), ()),
    ("Maria (demo)", "+13125550147", ("tl", "en"), ("Little Village",)),
    ("Sam (demo)", "+13125550148", ("en",), ("Pilsen",)),
)
# Two neighbouring Chicago zones, so a report by phone calls demo responders out.
DEMO_ZONES = (
    ZoneCreate(name="Pilsen", zips=["60608"]),
    ZoneCreate(name="Little Village", zips=["60623", "60632"], neighbours=["Pilsen"]),
)
DAYS = 7


def seed_demo(
    *, session: Session, vault: Vault, settings: Settings, now: datetime | None = None
) -> int:
    """Add the demo volunteers, on call all week, if there are no volunteers yet; how many."""
    if session.exec(select(Volunteer.id).limit(1)).first() is not None:
        return 0
    now = now or datetime.now(UTC)
    zone = settings.zone
    today = now.astimezone(zone).date()
    # One weekly shift a day from local midnight to midnight: 23 or 25 hours long on the
    # days the clocks change, so the week stays covered without a gap or an overlap.
    days = [
        (
            datetime.combine(today + timedelta(days=n), time(0), tzinfo=zone),
            datetime.combine(today + timedelta(days=n + 1), time(0), tzinfo=zone),
        )
        for n in range(DAYS)
    ]
    for zone_in in DEMO_ZONES:
        if rapid_zones.find_zone(session=session, name=zone_in.name) is None:
            rapid_zones.create_zone(session=session, zone_in=zone_in, user=None, now=now)
    created = 0
    for name, number, codes, zones in DEMO_VOLUNTEERS:
        languages = [code for code in codes if code in settings.languages]
        if not languages:
            continue
        volunteer = service.create_volunteer(
            session=session,
            vault=vault,
            country=settings.country,
            enabled=settings.languages,
            volunteer_in=VolunteerCreate(
                name=name, phone=number, languages=languages, zones=list(zones)
            ),
            user=None,
            now=now,
        )
        assert volunteer.id is not None
        for starts_at, ends_at in days:
            service.create_shift(
                session=session,
                shift_in=ShiftCreate(
                    volunteer_id=volunteer.id, weekly=True, starts_at=starts_at, ends_at=ends_at
                ),
                user=None,
                now=now,
            )
        created += 1
    return created
