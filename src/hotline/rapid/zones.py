"""Zones: named lists of ZIP codes, their neighbours, and the volunteers who respond there.

A ZIP code belongs to one zone at most, so a report's ZIP code finds one zone.
Neighbours are named explicitly, and are neighbours both ways: when nobody in a zone
takes a call-out, its neighbours' responders are called out next.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, insert, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from hotline.auth import service as auth_service
from hotline.auth.service import InvalidField
from hotline.errors import HotlineError, NotFound
from hotline.models import User, VolunteerZone, Zone, ZoneNeighbour, ZoneZip
from hotline.rapid.schemas import ZoneCreate, ZonePublic, ZoneUpdate


class ZoneConflict(HotlineError):
    status_code = 409
    code = "conflict"


def get_zone(*, session: Session, zone_id: int) -> Zone:
    """The zone `zone_id`; NotFound if there is none."""
    zone = session.get(Zone, zone_id)
    if zone is None:
        raise NotFound(f"zone {zone_id} does not exist")
    return zone


def find_zone(*, session: Session, name: str) -> Zone | None:
    """The zone called `name` (case and spaces aside), if any."""
    wanted = " ".join(name.split()).casefold()
    for zone in session.exec(select(Zone)).all():
        if zone.name.casefold() == wanted:
            return zone
    return None


def zone_of_zip(*, session: Session, zip_code: str) -> Zone | None:
    """The zone ZIP code `zip_code` belongs to, if any."""
    row = session.get(ZoneZip, zip_code)
    return session.get(Zone, row.zone_id) if row is not None else None


def zone_ids(*, session: Session, names: Sequence[str], loc: tuple[str | int, ...]) -> list[int]:
    """The ids of the zones `names`, in order; InvalidField naming the first unknown one."""
    known = {zone.name.casefold(): zone.id for zone in session.exec(select(Zone)).all()}
    found: list[int] = []
    for index, name in enumerate(names):
        zone_id = known.get(" ".join(name.split()).casefold())
        if zone_id is None:
            raise InvalidField("no zone has this name", loc=(*loc, index))
        if zone_id not in found:
            found.append(zone_id)
    return found


def zips_of(session: Session, zone_ids_: Collection[int]) -> dict[int, list[str]]:
    """The ZIP codes of each zone, sorted."""
    found: dict[int, list[str]] = defaultdict(list)
    if zone_ids_:
        rows = session.exec(select(ZoneZip).where(col(ZoneZip.zone_id).in_(zone_ids_))).all()
        for row in sorted(rows, key=lambda r: r.zip):
            found[row.zone_id].append(row.zip)
    return found


def neighbours_of(session: Session, zone_id: int) -> list[int]:
    """The ids of the zones next to `zone_id`."""
    query = select(ZoneNeighbour.neighbour_id).where(ZoneNeighbour.zone_id == zone_id)
    return sorted(session.exec(query).all())


def names(session: Session) -> dict[int, str]:
    """Every zone's name, by id."""
    return {zone.id: zone.name for zone in session.exec(select(Zone)).all() if zone.id}


def _check_zips(session: Session, zips: Iterable[str], *, zone_id: int | None) -> list[str]:
    kept: list[str] = []
    for index, zip_code in enumerate(zips):
        if zip_code in kept:
            continue
        owner = session.get(ZoneZip, zip_code)
        if owner is not None and owner.zone_id != zone_id:
            raise ZoneConflict(f"zips[{index}] already belongs to zone {owner.zone_id}")
        kept.append(zip_code)
    return kept


def _set_zips(session: Session, zone_id: int, zips: list[str]) -> None:
    session.exec(delete(ZoneZip).where(col(ZoneZip.zone_id) == zone_id))
    add_links(session, ZoneZip, [{"zip": zip_code, "zone_id": zone_id} for zip_code in zips])


def add_links(
    session: Session, model: type[SQLModel], rows: Sequence[Mapping[str, object]]
) -> None:
    """Insert rows of a link table as plain rows: no objects for the session to track."""
    if rows:
        session.execute(insert(model.__table__), rows)  # type: ignore[attr-defined]


def set_neighbours(session: Session, zone_id: int, neighbour_ids: Iterable[int]) -> None:
    """Make `neighbour_ids` the zones next to `zone_id`, both ways round."""
    chosen = sorted(set(neighbour_ids) - {zone_id})
    session.exec(
        delete(ZoneNeighbour).where(
            or_(col(ZoneNeighbour.zone_id) == zone_id, col(ZoneNeighbour.neighbour_id) == zone_id)
        )
    )
    add_links(
        session,
        ZoneNeighbour,
        [{"zone_id": zone_id, "neighbour_id": other} for other in chosen]
        + [{"zone_id": other, "neighbour_id": zone_id} for other in chosen],
    )


def _refuse_taken_name(session: Session, name: str, *, own_id: int | None) -> None:
    other = find_zone(session=session, name=name)
    if other is not None and other.id != own_id:
        raise ZoneConflict(f"zone {other.id} already has this name")


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError:
        # Two requests at once claiming one name or one ZIP code: the second is refused.
        raise ZoneConflict("another zone has this name or one of these ZIP codes") from None


def create_zone(
    *, session: Session, zone_in: ZoneCreate, user: User | None, now: datetime | None = None
) -> Zone:
    """A new zone with its ZIP codes and neighbours; ZoneConflict for a taken name or ZIP."""
    now = now or datetime.now(UTC)
    _refuse_taken_name(session, zone_in.name, own_id=None)
    zips = _check_zips(session, zone_in.zips, zone_id=None)
    neighbours = zone_ids(session=session, names=zone_in.neighbours, loc=("body", "neighbours"))
    zone = Zone.model_validate({"name": zone_in.name, "created_at": now, "updated_at": now})
    session.add(zone)
    _flush(session)
    assert zone.id is not None
    _set_zips(session, zone.id, zips)
    set_neighbours(session, zone.id, neighbours)
    _flush(session)
    auth_service.record(
        session=session,
        user=user,
        action="create",
        entity="zone",
        entity_id=zone.id,
        fields=["name", "zips", "neighbours"],
        now=now,
    )
    return zone


def update_zone(
    *,
    session: Session,
    zone: Zone,
    zone_in: ZoneUpdate,
    user: User | None,
    now: datetime | None = None,
) -> Zone:
    """`zone` with the fields given changed; the audit log names those that did."""
    now = now or datetime.now(UTC)
    assert zone.id is not None
    changed: list[str] = []
    if zone_in.name is not None and zone_in.name != zone.name:
        _refuse_taken_name(session, zone_in.name, own_id=zone.id)
        zone.name = zone_in.name
        changed.append("name")
    if zone_in.zips is not None:
        zips = _check_zips(session, zone_in.zips, zone_id=zone.id)
        if sorted(zips) != zips_of(session, [zone.id]).get(zone.id, []):
            _set_zips(session, zone.id, zips)
            changed.append("zips")
    if zone_in.neighbours is not None:
        wanted = zone_ids(session=session, names=zone_in.neighbours, loc=("body", "neighbours"))
        if sorted(set(wanted) - {zone.id}) != neighbours_of(session, zone.id):
            set_neighbours(session, zone.id, wanted)
            changed.append("neighbours")
    if not changed:
        return zone
    zone.updated_at = now
    session.add(zone)
    _flush(session)
    auth_service.record(
        session=session,
        user=user,
        action="update",
        entity="zone",
        entity_id=zone.id,
        fields=changed,
        now=now,
    )
    return zone


def delete_zone(*, session: Session, zone: Zone, user: User | None) -> None:
    """Remove `zone`: its ZIP codes, neighbours and responders' links go with it."""
    auth_service.record(
        session=session, user=user, action="delete", entity="zone", entity_id=zone.id, fields=()
    )
    session.delete(zone)
    session.flush()


def list_zones(*, session: Session) -> list[Zone]:
    """Every zone, by name."""
    return sorted(session.exec(select(Zone)).all(), key=lambda zone: zone.name.casefold())


def public(session: Session, zones: Sequence[Zone], zone_names: dict[int, str]) -> list[ZonePublic]:
    """`zones` as the API shows them, with their ZIP codes, neighbours and responders."""
    ids = [zone.id for zone in zones if zone.id is not None]
    zips = zips_of(session, ids)
    neighbours: dict[int, list[int]] = defaultdict(list)
    responders: dict[int, list[int]] = defaultdict(list)
    if ids:
        for link in session.exec(
            select(ZoneNeighbour).where(col(ZoneNeighbour.zone_id).in_(ids))
        ).all():
            neighbours[link.zone_id].append(link.neighbour_id)
        for held in session.exec(
            select(VolunteerZone).where(col(VolunteerZone.zone_id).in_(ids))
        ).all():
            responders[held.zone_id].append(held.volunteer_id)
    return [
        ZonePublic(
            id=zone.id,
            name=zone.name,
            zips=zips.get(zone.id, []),
            neighbours=sorted(zone_names[n] for n in neighbours.get(zone.id, [])),
            responders=sorted(responders.get(zone.id, [])),
            created_at=zone.created_at,
            updated_at=zone.updated_at,
        )
        for zone in zones
        if zone.id is not None
    ]


def volunteer_zone_ids(session: Session, volunteer_ids: Collection[int]) -> dict[int, list[int]]:
    """The zones each volunteer responds in."""
    found: dict[int, list[int]] = defaultdict(list)
    if volunteer_ids:
        query = select(VolunteerZone).where(col(VolunteerZone.volunteer_id).in_(volunteer_ids))
        for row in session.exec(query).all():
            found[row.volunteer_id].append(row.zone_id)
    return {key: sorted(value) for key, value in found.items()}


def set_volunteer_zones(session: Session, volunteer_id: int, zone_ids_: Sequence[int]) -> bool:
    """Make `zone_ids_` the zones the volunteer responds in; True when that changed them."""
    current = volunteer_zone_ids(session, [volunteer_id]).get(volunteer_id, [])
    if sorted(set(zone_ids_)) == current:
        return False
    session.exec(delete(VolunteerZone).where(col(VolunteerZone.volunteer_id) == volunteer_id))
    add_links(
        session,
        VolunteerZone,
        [{"volunteer_id": volunteer_id, "zone_id": z} for z in sorted(set(zone_ids_))],
    )
    session.flush()
    return True
