"""Incidents: reports grouped, call-outs escalated, claimed with GO, verified from the field."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from hotline import db
from hotline.models import Incident, Volunteer
from hotline.rapid import reports
from hotline.rapid.kinds import Channel, IncidentStatus, ReportKind, ReportStatus
from hotline.rapid.reports import Sighting, Submitted
from tests.rapid.conftest import HOTLINE_LINE, Field

ANA, LUIS, WEI, BOSS = "+13125550131", "+13125550133", "+13125550132", "+13125550139"
WITNESS = "+13125550177"
MINUTE = timedelta(minutes=1)


def sighting(place: str = "26th & Pulaski 60623", **changes: object) -> Sighting:
    base = Sighting(
        kind=ReportKind.STREET,
        place=place,
        ongoing=True,
        language="es",
        channel=Channel.SMS,
        reporter=WITNESS,
        line=HOTLINE_LINE,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def report(field: Field, seen: Sighting, at: datetime) -> Submitted:
    with db.transaction(field.hotline.engine) as session:
        return reports.submit_report(session, rapid=field.rapid, sighting=seen, now=at)


def incident(field: Field, incident_id: int) -> Incident:
    with Session(field.hotline.engine) as session:
        found = session.get(Incident, incident_id)
        assert found is not None
        return found


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)


def test_reports_of_one_kind_in_one_zone_within_30_minutes_are_one_incident(
    field: Field, now: datetime
) -> None:
    village = field.zone("Little Village", ["60623", "60632"])
    first = report(field, sighting(), now)
    assert first.new_incident
    same = report(field, sighting("60632 Kedzie y 31"), now + 29 * MINUTE)
    assert (same.incident_id, same.new_incident) == (first.incident_id, False)
    # A chain: the window counts from the incident's latest report.
    later = report(field, sighting(), now + 58 * MINUTE)
    assert later.incident_id == first.incident_id
    other_kind = report(field, sighting(kind=ReportKind.HOME), now + MINUTE)
    much_later = report(field, sighting(), now + 120 * MINUTE)
    assert len({first.incident_id, other_kind.incident_id, much_later.incident_id}) == 3
    assert incident(field, first.incident_id).reports == 3
    assert incident(field, first.incident_id).zone_id == village
    # Nobody responds in the zone or next to it: straight to the backup number.
    assert field.history(first.incident_id)[:6] == [
        "reported", "skipped", "skipped", "skipped", "coordinators", "report-added",
    ]  # fmt: skip


def test_a_report_in_no_zone_opens_its_own_incident_for_the_coordinators(
    field: Field, now: datetime
) -> None:
    boss = field.responder("Boss", BOSS, "en", [])
    with db.transaction(field.hotline.engine) as session:
        row = session.get(Volunteer, boss)
        assert row is not None
        row.role = "coordinator_backup"
    field.hotline.runtime.roster.refresh()
    first = report(field, sighting("26th and Pulaski", channel=Channel.API), now)
    second = report(field, sighting("26th and Pulaski", channel=Channel.API), now)
    assert first.incident_id != second.incident_id
    # By text (anyone can send those, from many numbers) they join the latest of the kind.
    assert not report(field, sighting("26th and Pulaski"), now).new_incident
    assert not report(field, sighting("Kedzie y Cermak"), now).new_incident
    assert len(field.incidents()) == 2
    assert incident(field, first.incident_id).zone_id is None
    [callout, _] = field.texts_to(BOSS)
    assert callout.startswith("Hotline: no responder took call-out")
    assert "an area without a zone" in callout
    assert "26th and Pulaski" in callout


def test_a_call_out_escalates_every_five_minutes_until_someone_goes(
    field: Field, now: datetime
) -> None:
    village = field.zone("Little Village", ["60623"])
    pilsen = field.zone("Pilsen", ["60608"], neighbours=["Little Village"])
    ana = field.responder("Ana", ANA, "es", [village])
    field.responder("Wei", WEI, "zh,en", [pilsen])
    opened = report(field, sighting(), now)
    code = incident(field, opened.incident_id).code
    assert code is not None
    assert len(field.texts_to(ANA)) == 1
    assert field.texts_to(WEI) == []
    field.tick(now + 4 * MINUTE)
    assert len(field.texts_to(ANA)) == 1
    field.tick(now + 5 * MINUTE)
    assert field.texts_to(ANA)[-1].startswith(
        f"Línea de ayuda: nadie ha tomado todavía el llamado {code}"
    )
    field.tick(now + 10 * MINUTE)
    [wei] = field.texts_to(WEI)
    assert wei.startswith(f"热线出勤{code}：Little Village")
    # The backup number stands in when no coordinator backup is active.
    field.tick(now + 15 * MINUTE)
    backup = field.hotline.runtime.settings.backup_number
    assert backup is not None
    assert field.texts_to(backup)[-1].startswith("Hotline: no responder took call-out")
    field.tick(now + 20 * MINUTE)
    assert field.history(opened.incident_id) == [
        "reported", "called-out", "re-alerted", "neighbours", "coordinators", "unanswered",
    ]  # fmt: skip
    # Anyone called out at any stage may still take it.
    assert field.reply(ana, f"GO {code}", now + 21 * MINUTE).startswith(
        f"Hotline: call-out {code} is yours."
    )
    assert incident(field, opened.incident_id).status == IncidentStatus.DISPATCHED


def test_the_first_go_wins_the_others_are_told_and_the_call_out_stops(
    field: Field, now: datetime
) -> None:
    village = field.zone("Little Village", ["60623"])
    ana = field.responder("Ana", ANA, "es", [village])
    luis = field.responder("Luis", LUIS, "es,en", [village])
    opened = report(field, sighting(), now)
    code = incident(field, opened.incident_id).code
    assert field.reply(luis, f"go {code}", now).startswith(f"Hotline: call-out {code} is yours")
    assert field.reply(luis, f"GO {code}", now).startswith(f"Hotline: call-out {code} is yours")
    # To the one who asks, "taken" is worded as "unknown"; everyone called out was told.
    unknown = f"Hotline: there is no open call-out with the code {code} for you."
    assert field.reply(ana, f"GO {code}", now) == unknown
    assert field.texts_to(ANA)[-1] == f"Línea de ayuda: el llamado {code} ya fue tomado. Gracias."
    field.tick(now + 30 * MINUTE)
    assert "re-alerted" not in field.history(opened.incident_id)
    assert field.history(opened.incident_id)[-2:] == ["go", "dispatched"]


def test_two_responders_may_go_when_configured(field: Field, now: datetime) -> None:
    settings = replace(field.rapid.settings, capacity=2)
    object.__setattr__(field.hotline.runtime, "rapid", replace(field.rapid, settings=settings))
    village = field.zone("Little Village", ["60623"])
    ana = field.responder("Ana", ANA, "es", [village])
    luis = field.responder("Luis", LUIS, "es", [village])
    wei = field.responder("Wei", WEI, "zh", [village])
    code = incident(field, report(field, sighting(), now).incident_id).code
    assert "is yours" in field.reply(ana, f"GO {code}", now)
    assert "is yours" in field.reply(luis, f"GO {code}", now)
    assert "no open call-out" in field.reply(wei, f"GO {code}", now)
    assert field.texts_to(WEI)[-1] == f"热线：出勤{code}已经有人接了。谢谢。"
    # UNSURE from one while the other is still out keeps the incident open.
    assert "unsure" in field.reply(ana, f"UNSURE {code}", now)
    [found] = field.incidents()
    assert found.status == IncidentStatus.DISPATCHED
    assert "recorded as nobody there" in field.reply(luis, f"GONE {code}", now)
    assert field.incidents()[0].status == IncidentStatus.GONE


def test_someone_never_called_out_learns_nothing_from_a_real_code(
    field: Field, now: datetime
) -> None:
    village = field.zone("Little Village", ["60623"])
    pilsen = field.zone("Pilsen", ["60608"])
    ana = field.responder("Ana", ANA, "es", [village])
    stranger = field.responder("Wei", WEI, "zh", [pilsen])
    code = incident(field, report(field, sighting(), now).incident_id).code
    unknown = f"Hotline: there is no open call-out with the code {code} for you."
    assert field.reply(stranger, f"GO {code}", now) == unknown
    assert field.reply(stranger, f"CONFIRMED {code}", now) == unknown
    assert field.reply(stranger, "GO 0000" if code != "0000" else "GO 0001", now).startswith(
        "Hotline: there is no open call-out"
    )
    # Called out but not holding it: told so, and the incident is unchanged.
    assert "only a responder who replied GO" in field.reply(ana, f"CONFIRMED {code}", now)
    assert field.incidents()[0].status == IncidentStatus.REPORTED


@pytest.mark.parametrize(
    ("verb", "status"),
    [
        ("CONFIRMED", IncidentStatus.CONFIRMED),
        ("NOTICE", IncidentStatus.NOT_ENFORCEMENT),
        ("GONE", IncidentStatus.GONE),
        ("UNSURE", IncidentStatus.UNVERIFIABLE),
    ],
)
def test_a_result_closes_the_incident_and_deletes_the_reporters_numbers(
    field: Field, now: datetime, verb: str, status: IncidentStatus
) -> None:
    village = field.zone("Little Village", ["60623"])
    ana = field.responder("Ana", ANA, "es", [village])
    opened = report(field, sighting(), now)
    report(field, sighting(reporter="+13125550178"), now + MINUTE)
    assert all(r.reporter_sealed is not None for r in field.reports())
    code = incident(field, opened.incident_id).code
    field.reply(ana, f"GO {code}", now)
    field.reply(ana, f"{verb} {code}", now + 10 * MINUTE)
    closed = incident(field, opened.incident_id)
    assert closed.status == status
    assert closed.closed_at is not None
    for kept in field.reports():
        assert (kept.status, kept.reporter_sealed, kept.reporter_key) == (
            ReportStatus.CLOSED, None, None,
        )  # fmt: skip
    # The code means nothing now.
    assert "no open call-out" in field.reply(ana, f"GO {code}", now)
    # A later report of the same raid joins a confirmed incident, closed at once.
    if status == IncidentStatus.CONFIRMED:
        joined = report(field, sighting(), now + 20 * MINUTE)
        assert joined.incident_id == opened.incident_id
        assert field.reports()[-1].reporter_sealed is None


def test_an_incident_nobody_verifies_expires(field: Field, now: datetime) -> None:
    village = field.zone("Little Village", ["60623"])
    ana = field.responder("Ana", ANA, "es", [village])
    opened = report(field, sighting(), now)
    field.reply(ana, f"GO {incident(field, opened.incident_id).code}", now)
    expiry = field.rapid.settings.incident_expiry
    field.tick(now + expiry - MINUTE)
    assert incident(field, opened.incident_id).status == IncidentStatus.DISPATCHED
    field.tick(now + expiry)
    assert incident(field, opened.incident_id).status == IncidentStatus.EXPIRED
    assert field.reports()[0].reporter_sealed is None
    assert field.history(opened.incident_id)[-1] == "expired"


def test_a_report_that_cannot_be_kept_never_takes_the_spool_down(field: Field) -> None:
    broken = reports.SubmitReport(field.rapid, sighting(kind="nonsense"), datetime.now(UTC))  # type: ignore[arg-type]
    good = reports.SubmitReport(field.rapid, sighting(), datetime.now(UTC))
    field.hotline.runtime.recorder.record([broken, good])
    assert field.hotline.runtime.recorder.flush() == 2
    assert len(field.reports()) == 1


def test_a_flood_of_reports_calls_responders_out_once_per_kind(field: Field, now: datetime) -> None:
    village = field.zone("Little Village", ["60623"])
    field.responder("Ana", ANA, "es", [village])
    for n in range(40):
        kind = list(ReportKind)[n % 5]
        report(field, sighting(kind=kind, reporter=WITNESS), now + n * MINUTE / 4)
    assert [i.reports for i in field.incidents()] == [8, 8, 8, 8, 8]
    # Five call-outs, one per kind; nothing unverified reaches anyone else.
    field.clock = now + 10 * MINUTE
    assert len(field.texts_to(ANA)) == 5
    assert field.alerts() == []
