"""`hotline zones import FILE.csv`: zone,zip (and neighbours), all or nothing, by line."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from hotline import db, migrate
from hotline.cli import app
from hotline.models import Zone
from hotline.rapid import zones
from hotline.rapid.zone_import import RowProblem, ZoneImport, import_zones
from tests.roster.factories import everything

GOOD = (
    "zone,zip,neighbours\n"
    "Pilsen,60608,Little Village\n"
    "Little Village,60623,\n"
    "Little Village,60632,\n"
    "Bridgeport,60616,Pilsen\n"
)


def run(engine: Engine, text: str) -> ZoneImport:
    with db.transaction(engine) as session:
        return import_zones(session=session, rows=io.StringIO(text))


def layout(engine: Engine) -> dict[str, tuple[list[str], list[str]]]:
    with Session(engine) as session:
        names = zones.names(session)
        found = {}
        for zone in session.exec(select(Zone)).all():
            assert zone.id is not None
            zips = zones.zips_of(session, [zone.id]).get(zone.id, [])
            near = sorted(names[n] for n in zones.neighbours_of(session, zone.id))
            found[zone.name] = (zips, near)
        return found


def test_zones_their_zips_and_neighbours_both_ways(engine: Engine) -> None:
    report = run(engine, GOOD)
    assert (report.ok, report.created, report.zips) == (True, 3, 4)
    assert layout(engine) == {
        "Pilsen": (["60608"], ["Bridgeport", "Little Village"]),
        "Little Village": (["60623", "60632"], ["Pilsen"]),
        "Bridgeport": (["60616"], ["Pilsen"]),
    }
    again = run(engine, GOOD)
    assert (again.created, again.updated) == (0, 3)
    assert layout(engine)["Pilsen"] == (["60608"], ["Bridgeport", "Little Village"])


def test_the_file_is_the_truth_for_the_zones_it_names(engine: Engine) -> None:
    run(engine, GOOD)
    # 60632 moves to Pilsen; Little Village keeps only 60623; Bridgeport is not named.
    moved = run(engine, "zone,zip\nPilsen,60608\nPilsen,60632\nLittle Village,60623\n")
    assert (moved.ok, moved.updated, moved.unchanged) == (True, 2, 0)
    found = layout(engine)
    assert found["Pilsen"][0] == ["60608", "60632"]
    assert found["Little Village"][0] == ["60623"]
    # Without the neighbours column, neighbours stay as they were.
    assert found["Bridgeport"] == (["60616"], ["Pilsen"])


def test_every_bad_row_is_reported_by_line_and_nothing_is_written(engine: Engine) -> None:
    run(engine, "zone,zip\nBridgeport,60616\n")
    with Session(engine) as session:
        bridgeport = session.exec(select(Zone.id)).one()
    before = everything(engine)
    report = run(
        engine,
        "zone,zip,neighbours\n"
        "Pilsen,6060,\n"
        ",60608,\n"
        "Pilsen,60608,Nowhere\n"
        "Little Village,60608,\n"
        "Little Village,60616,\n"
        "Little Village,60623,,extra\n"
        "Pilsen,+17735550150,\n",
    )
    assert report.problems == [
        RowProblem(2, "zip", "a ZIP code has five digits, like 60608"),
        RowProblem(3, "zone", "a zone name has 1 to 80 letters"),
        RowProblem(4, "neighbours", "no zone has this name"),
        RowProblem(5, "zip", "this ZIP code is listed for another zone on line 4"),
        RowProblem(6, "zip", f"belongs to zone {bridgeport}, not in this file"),
        RowProblem(7, "(extra cells)", "more cells than columns"),
        RowProblem(8, "zip", "a ZIP code has five digits, like 60608"),
    ]
    assert "7735550150" not in "\n".join(str(p) for p in report.problems)
    assert everything(engine) == before


def test_a_file_without_the_columns_is_refused_at_line_1(engine: Engine) -> None:
    report = run(engine, "name,postcode\nPilsen,60608\n")
    assert [(p.line, p.column) for p in report.problems] == [
        (1, "column 1"), (1, "column 2"), (1, "zone"), (1, "zip"),
    ]  # fmt: skip


def test_the_command_imports_and_says_what_it_did(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    migrate.upgrade(url)
    good, bad = tmp_path / "zones.csv", tmp_path / "bad.csv"
    good.write_text(GOOD)
    bad.write_text("zone,zip\nPilsen,606\n")
    env = {"HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_DATABASE_URL": url}
    done = CliRunner().invoke(app, ["zones", "import", str(good)], env=env)
    assert done.exit_code == 0, done.output
    assert "zones: 3 added, 0 updated, 0 unchanged; 4 ZIP codes" in done.output
    refused = CliRunner().invoke(app, ["zones", "import", str(bad)], env=env)
    assert refused.exit_code == 1
    assert "bad.csv: line 2, zip: a ZIP code has five digits" in refused.output
    assert "nothing was imported: 1 problem(s)" in refused.output
