"""The Now page's incidents waiting for verification: coordinators see every one with the
responders dispatched, a volunteer only those they were dispatched to; in Spanish too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import select

from hotline import db
from hotline.deps import Runtime
from hotline.models import Incident, Shift, User
from hotline.rapid import reports, responders, zones
from hotline.rapid.commands import Command, Verb
from hotline.rapid.kinds import Channel, ReportKind
from hotline.rapid.schemas import ZoneCreate
from hotline.rapid.sighting import Sighting
from tests.console.conftest import Browser, People


def incidents(engine: Engine, runtime: Runtime, people: People) -> str:
    """One incident in Pilsen that Vera took, one in no zone nobody took; Vera's code."""
    now = datetime.now(UTC)
    with db.transaction(engine) as session:
        pilsen = zones.create_zone(
            session=session, zone_in=ZoneCreate(name="Pilsen", zips=["60608"]), user=None
        )
        assert pilsen.id is not None
        zones.set_volunteer_zones(session, people.vera, [pilsen.id])
        session.add(
            Shift(volunteer_id=people.vera, starts_at=now - timedelta(hours=1),
                  ends_at=now + timedelta(hours=8), created_at=now)
        )  # fmt: skip
    runtime.roster.refresh()
    rapid = runtime.rapid
    places = (("18th & Ashland 60608", ReportKind.WORK), ("a parking lot", ReportKind.TAKEN))
    with db.transaction(engine) as session:
        for place, kind in places:
            seen = Sighting(kind, place, True, "es", Channel.SMS, "+13125550177", "+13125550100")
            reports.submit_report(session, rapid=rapid, sighting=seen, now=now)
    with db.transaction(engine) as session:
        taken = session.exec(select(Incident).where(Incident.zone_id == pilsen.id)).one()
        assert taken.code is not None
        code = taken.code
        responders.answer_responder(
            session, rapid=rapid, volunteer_id=people.vera, command=Command(Verb.GO, code), now=now
        )
    return code


def test_coordinators_see_every_incident_and_who_went(
    browser: Browser, people: People, engine: Engine, runtime: Runtime
) -> None:
    incidents(engine, runtime, people)
    page = browser.sign_in("Dana").get("/console/now/live").text
    assert "Incidents waiting for verification" in page
    assert "Pilsen" in page
    assert "Agents at a workplace or school" in page
    assert "A responder is on the way" in page
    assert "Vera" in page
    assert "No zone" in page
    assert "Waiting for a responder" in page
    assert "Nobody yet" in page
    # Nothing of the witness: neither the place nor the number.
    assert "Ashland" not in page
    assert "5550177" not in page
    with db.transaction(engine) as session:
        user = session.get(User, people.coordinator_id)
        assert user is not None
        user.console_language = "es"
    spanish = browser.get("/console/now/live").text
    assert "Incidentes por verificar" in spanish
    assert "Agentes en un lugar de trabajo o una escuela" in spanish
    assert "Alguien va en camino a verificar" in spanish


def test_a_volunteer_sees_only_the_incidents_they_were_dispatched_to(
    browser: Browser, other_browser: Browser, people: People, engine: Engine, runtime: Runtime
) -> None:
    incidents(engine, runtime, people)
    vera = browser.sign_in("Vera").get("/console/now/live").text
    assert "Incidents you were dispatched to" in vera
    assert "Pilsen" in vera
    assert "No zone" not in vera
    omar = other_browser.sign_in("Omar").get("/console/now/live").text
    assert "You were dispatched to no incident that is still open." in omar
    assert "Pilsen" not in omar
