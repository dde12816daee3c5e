"""The demo roster: somebody for every language at every hour, seeded once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, select

from hotline import db
from hotline.config import Settings
from hotline.models import Shift, Volunteer, Zone
from hotline.privacy.vault import Vault
from hotline.roster.demo import DEMO_VOLUNTEERS, seed_demo
from hotline.routing.service import load_snapshot

CHICAGO = ZoneInfo("America/Chicago")
VAULT = Vault(b"k" * 40)


def seed(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    with db.transaction(engine) as session:
        return seed_demo(session=session, vault=VAULT, settings=settings, now=now)


def test_the_demo_roster_covers_every_language_at_every_hour(
    engine: Engine, settings: Settings
) -> None:
    now = datetime.now(UTC)
    assert seed(engine, settings) == len(DEMO_VOLUNTEERS) == 8
    with Session(engine) as session:
        volunteers = session.exec(select(Volunteer)).all()
        shifts = session.exec(select(Shift)).all()
        snapshot = load_snapshot(session, timezone=settings.zone, at=now)
    assert all(v.name.endswith("(demo)") for v in volunteers)
    assert all(v.phone_hint.startswith("+1•••") for v in volunteers)
    assert len(shifts) == 7 * 8
    assert all(s.weekly and s.repeat_until is None for s in shifts)
    for language in settings.languages:
        assert snapshot.gaps(language, now, now + timedelta(days=21)) == [], language
        for hour in range(0, 24 * 8, 5):
            assert snapshot.on_call(now + timedelta(hours=hour), language), (language, hour)


def test_the_demo_roster_has_no_gap_when_the_clocks_change(
    engine: Engine, settings: Settings
) -> None:
    # The Wednesday before daylight saving time begins in 2027.
    now = datetime(2027, 3, 10, 15, 0, tzinfo=CHICAGO)
    seed(engine, settings, now=now)
    with Session(engine) as session:
        snapshot = load_snapshot(session, timezone=settings.zone, at=now)
    for language in settings.languages:
        assert snapshot.gaps(language, now, now + timedelta(days=14)) == [], language


def test_the_demo_is_seeded_only_into_an_empty_roster(engine: Engine, settings: Settings) -> None:
    assert seed(engine, settings) == 8
    assert seed(engine, settings) == 0
    with Session(engine) as session:
        assert len(session.exec(select(Volunteer)).all()) == 8


def test_the_demo_speaks_only_enabled_languages(engine: Engine, settings: Settings) -> None:
    two = settings.model_copy(update={"languages": ["en", "es"]})
    assert seed(engine, two) == 4
    with Session(engine) as session:
        languages = {v.name: v.languages for v in session.exec(select(Volunteer)).all()}
    assert languages == {
        "Ana (demo)": "es,en",
        "Wei (demo)": "en",
        "Maria (demo)": "en",
        "Sam (demo)": "en",
    }


def test_the_demo_has_two_zones_with_responders_on_call(engine: Engine, settings: Settings) -> None:
    now = datetime.now(UTC)
    seed(engine, settings)
    with Session(engine) as session:
        zones = {zone.name: zone.id for zone in session.exec(select(Zone)).all()}
        snapshot = load_snapshot(session, timezone=settings.zone, at=now)
    assert set(zones) == {"Pilsen", "Little Village"}
    assert [p.name for p in snapshot.responders(now, zones["Pilsen"] or 0)] == [
        "Ana (demo)",
        "Sam (demo)",
    ]
    assert len(snapshot.responders(now, zones["Little Village"] or 0)) == 2
