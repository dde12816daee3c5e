"""Import zones from CSV, all or nothing: `hotline zones import FILE.csv`.

The header names the columns, in any order: ``zone,zip`` and, optionally, ``neighbours``.

- One row per ZIP code of a zone (``Pilsen,60608``). The file is the truth for the zones
  it names: each gets exactly the ZIP codes listed for it. Zones it does not name are
  left as they are.
- A ZIP code belongs to one zone: the same ZIP code under two zones, or one that belongs
  to a zone the file does not name, is a problem.
- ``neighbours``: names of the zones next to this one, separated by semicolons
  (``Little Village;Bridgeport``); each must be in the file or already exist. When the
  column is there, a zone's neighbours become those named on any of its rows (and it
  becomes theirs); without the column, neighbours stay as they are.

Every bad row is reported with its line (the header is line 1) and its column, and when
any row is bad nothing is written. No message repeats a cell's value.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO

from sqlalchemy import delete
from sqlmodel import Session, col, select

from hotline.auth import service as auth_service
from hotline.models import Zone, ZoneZip
from hotline.rapid import zones

COLUMNS = ("zone", "zip", "neighbours")
REQUIRED = ("zone", "zip")
MAX_NAME = 80
_ZIP = re.compile(r"^[0-9]{5}$")


@dataclass(frozen=True, slots=True)
class RowProblem:
    """What is wrong with one cell; line 1 is the header."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.message}"


@dataclass
class ZoneImport:
    """What an import did, or the problems that stopped it (and then it did nothing)."""

    problems: list[RowProblem] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    zips: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Planned:
    name: str
    zips: list[str] = field(default_factory=list)
    neighbours: list[tuple[int, str]] = field(default_factory=list)


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _read_rows(
    rows: TextIO, report: ZoneImport
) -> tuple[dict[str, _Planned], dict[str, tuple[str, int]], bool]:
    """The zones the file plans, each ZIP code's zone and line, and whether it names
    neighbours; problems go into `report`."""
    reader = csv.DictReader(rows)
    header = [column.strip() for column in reader.fieldnames or []]
    for index, column in enumerate(header, start=1):
        if column not in COLUMNS:
            report.problems.append(
                RowProblem(1, f"column {index}", f"unknown column; use {', '.join(COLUMNS)}")
            )
    for column in REQUIRED:
        if column not in header:
            report.problems.append(RowProblem(1, column, "this column is missing"))
    planned: dict[str, _Planned] = {}
    zip_owner: dict[str, tuple[str, int]] = {}
    if not report.ok:
        return planned, zip_owner, False
    for row in reader:
        _read_row(reader.line_num, row, planned, zip_owner, report)
    return planned, zip_owner, "neighbours" in header


def _read_row(
    line: int,
    row: Mapping[str | None, object],
    planned: dict[str, _Planned],
    zip_owner: dict[str, tuple[str, int]],
    report: ZoneImport,
) -> None:
    if None in row:
        report.problems.append(RowProblem(line, "(extra cells)", "more cells than columns"))
        return
    cells = {str(k).strip(): (v.strip() if isinstance(v, str) else "") for k, v in row.items()}
    name, zip_code = cells.get("zone", ""), cells.get("zip", "")
    if not 1 <= len(name) <= MAX_NAME:
        report.problems.append(RowProblem(line, "zone", f"a zone name has 1 to {MAX_NAME} letters"))
        return
    if not _ZIP.match(zip_code):
        report.problems.append(RowProblem(line, "zip", "a ZIP code has five digits, like 60608"))
        return
    plan = planned.setdefault(_key(name), _Planned(name))
    owner = zip_owner.get(zip_code)
    if owner is not None and owner[0] != _key(name):
        report.problems.append(
            RowProblem(line, "zip", f"this ZIP code is listed for another zone on line {owner[1]}")
        )
        return
    if owner is None:
        zip_owner[zip_code] = (_key(name), line)
        plan.zips.append(zip_code)
    for other in (part.strip() for part in cells.get("neighbours", "").split(";")):
        if other:
            plan.neighbours.append((line, other))


def _check_against_database(
    session: Session,
    planned: dict[str, _Planned],
    zip_owner: dict[str, tuple[str, int]],
    report: ZoneImport,
) -> dict[str, Zone]:
    """The zones already there, by key; a ZIP code another zone holds is a problem."""
    existing = {_key(zone.name): zone for zone in session.exec(select(Zone)).all()}
    named_ids = {existing[key].id for key in planned if key in existing}
    if zip_owner:
        held = session.exec(select(ZoneZip).where(col(ZoneZip.zip).in_(list(zip_owner)))).all()
        for row in held:
            if row.zone_id not in named_ids:
                line = zip_owner[row.zip][1]
                report.problems.append(
                    RowProblem(line, "zip", f"belongs to zone {row.zone_id}, not in this file")
                )
    for plan in planned.values():
        for line, other in plan.neighbours:
            if _key(other) not in planned and _key(other) not in existing:
                report.problems.append(RowProblem(line, "neighbours", "no zone has this name"))
    return existing


def import_zones(*, session: Session, rows: TextIO, now: datetime | None = None) -> ZoneImport:
    """Create or update the zones of `rows`; nothing at all if one row is bad."""
    now = now or datetime.now(UTC)
    report = ZoneImport()
    planned, zip_owner, with_neighbours = _read_rows(rows, report)
    # Checked against the database even when rows are bad: every problem is told at once.
    existing = _check_against_database(session, planned, zip_owner, report)
    if not report.ok:
        report.problems.sort(key=lambda problem: problem.line)
        return report
    before = zones.zips_of(session, [z.id for z in existing.values() if z.id is not None])
    ids: dict[str, int] = {}
    for key, plan in planned.items():
        zone = existing.get(key)
        if zone is None:
            zone = Zone.model_validate({"name": plan.name, "created_at": now, "updated_at": now})
            session.add(zone)
            session.flush()
            report.created += 1
        elif sorted(plan.zips) == before.get(zone.id or 0, []) and not with_neighbours:
            report.unchanged += 1
        else:
            zone.updated_at = now
            report.updated += 1
        assert zone.id is not None
        ids[key] = zone.id
    # Every named zone lets go of its ZIP codes first, so one can move between them.
    session.exec(delete(ZoneZip).where(col(ZoneZip.zone_id).in_(list(ids.values()))))
    for key, plan in planned.items():
        zones.add_links(session, ZoneZip, [{"zip": z, "zone_id": ids[key]} for z in plan.zips])
        report.zips += len(plan.zips)
    session.flush()
    if with_neighbours:
        _link_neighbours(session, planned, ids, existing)
    for key, zone_id in ids.items():
        auth_service.record(
            session=session,
            user=None,
            action="update" if key in existing else "create",
            entity="zone",
            entity_id=zone_id,
            fields=["zips", "neighbours"] if with_neighbours else ["zips"],
            now=now,
        )
    return report


def _link_neighbours(
    session: Session, planned: dict[str, _Planned], ids: dict[str, int], existing: dict[str, Zone]
) -> None:
    def zone_id(name: str) -> int:
        key = _key(name)
        found = ids.get(key) or existing[key].id
        assert found is not None
        return found

    # Symmetric: a zone named by a zone in the file is that zone's neighbour too.
    links: dict[int, set[int]] = {zone_id_: set() for zone_id_ in ids.values()}
    for key, plan in planned.items():
        for _line, other in plan.neighbours:
            other_id = zone_id(other)
            links[ids[key]].add(other_id)
            if other_id in links:
                links[other_id].add(ids[key])
    for own, others in links.items():
        zones.set_neighbours(session, own, others)
    session.flush()
