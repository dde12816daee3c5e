"""Verified alerts: subscriptions by ZIP code, the fan-out in each subscriber's language, the
sender pool, approval, corrections, expiry, and nothing about the reporter."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from hotline import db
from hotline.auth import service as auth_service
from hotline.models import Subscriber, SubscriberZip
from hotline.outbox.dispatcher import DispatchSettings
from hotline.rapid import alerts, reports, subscriptions
from hotline.rapid.commands import parse_alerts_command
from hotline.rapid.kinds import AlertKind, AlertStatus, Channel, ReportKind
from hotline.rapid.reports import Sighting
from hotline.rapid.service import SenderPool, quarter_hour
from hotline.telephony.segments import segments
from tests.rapid.conftest import HOTLINE_LINE, Field

ANA = "+13125550131"
WITNESS = "+13125550177"
SUBSCRIBERS = {"+13125550161": "es", "+13125550162": "zh", "+13125550163": "en"}
MG = "MG" + "0123456789abcdef" * 2


def configure(field: Field, **changes: object) -> None:
    settings = replace(field.rapid.settings, **changes)  # type: ignore[arg-type]
    object.__setattr__(field.hotline.runtime, "rapid", replace(field.rapid, settings=settings))


def confirmed(field: Field, *, place: str = "2415 S Pulaski apt 3", verb: str = "CONFIRMED") -> int:
    """A report in Little Village from the witness, taken by Ana, who replies `verb`."""
    village = field.zone("Little Village", ["60623"])
    ana = field.responder("Ana", ANA, "es", [village])
    seen = Sighting(
        ReportKind.WORK, f"{place} 60623", True, "es", Channel.SMS, WITNESS, HOTLINE_LINE
    )
    with db.transaction(field.hotline.engine) as session:
        submitted = reports.submit_report(
            session, rapid=field.rapid, sighting=seen, now=datetime.now(UTC)
        )
    [incident] = field.incidents()
    field.reply(ana, f"GO {incident.code}")
    field.reply(ana, f"{verb} {incident.code}")
    return submitted.incident_id


def test_subscribing_tells_which_areas_are_covered(field: Field) -> None:
    field.zone("Little Village", ["60623"])
    field.zone("Pilsen", ["60608"])
    first = field.subscribe("+13125550161", ["60623"], "es")
    assert (first.areas, first.uncovered, first.corrections) == (("Little Village",), (), False)
    more = field.subscribe("+13125550161", ["60608", "60999"], "es", corrections=True)
    assert more.areas == ("Pilsen", "Little Village") or set(more.areas) == {
        "Pilsen",
        "Little Village",
    }
    assert (more.uncovered, more.corrections) == (("60999",), True)
    with Session(field.hotline.engine) as session:
        [row] = session.exec(select(Subscriber)).all()
        zips = {z.zip for z in session.exec(select(SubscriberZip)).all()}
    assert zips == {"60623", "60608", "60999"}
    assert row.number_sealed != b"+13125550161"
    assert b"5550161" not in row.number_sealed
    with db.transaction(field.hotline.engine) as session:
        assert subscriptions.unsubscribe(session, rapid=field.rapid, number="+13125550161")
        assert not subscriptions.unsubscribe(session, rapid=field.rapid, number="+13125550161")
    with Session(field.hotline.engine) as session:
        assert session.exec(select(SubscriberZip)).all() == []


def test_a_confirmed_incident_alerts_its_zone_in_each_subscribers_language(field: Field) -> None:
    field.zone("Pilsen", ["60608"])
    for number, language in SUBSCRIBERS.items():
        field.subscribe(number, ["60623"], language)
    field.subscribe("+13125550164", ["60608"], "en")
    incident_id = confirmed(field)
    [alert] = field.alerts()
    assert (alert.kind, alert.status, alert.recipients) == (
        AlertKind.CONFIRMED, AlertStatus.SENT, 3,
    )  # fmt: skip
    when = field.rapid.clock(quarter_hour(alert.created_at.replace(tzinfo=UTC)), "en")
    [english] = field.texts_to("+13125550163")
    assert english == (
        "Hotline alert, confirmed by our responders: immigration agents at a workplace or "
        f"school in Little Village around {when}. Know your rights: reply RIGHTS."
    )
    [spanish] = field.texts_to("+13125550161")
    assert spanish.startswith("Alerta de la línea de ayuda, confirmada por nuestro equipo: ")
    assert spanish.endswith("responda DERECHOS.")
    [chinese] = field.texts_to("+13125550162")
    assert chinese.startswith("热线警报")
    assert "Little Village" in chinese
    assert "权利" in chinese
    assert field.texts_to("+13125550164") == []
    for body in (english, spanish, chinese):
        # One part each, and nothing of the witness: not their place, not their number.
        assert segments(body) <= 4
        assert [w for w in ("Pulaski", "2400", "5550177") if w in body] == []
    rows = field.outbox("alert")
    assert {row.language for row in rows} == {"es", "zh", "en"}
    assert {row.parts for row in rows} == {1}
    assert field.history(incident_id)[-1] == "confirmed"


def test_an_alert_goes_out_through_the_pool_at_the_pace_of_each_sender(field: Field) -> None:
    configure(field, senders=SenderPool(numbers=("+13125550101", "+13125550102")))
    for n in range(4):
        field.subscribe(f"+1312555017{n}", ["60623"], "en")
    confirmed(field)
    senders = [row.sender for row in field.outbox("alert")]
    assert sorted(senders) == ["+13125550101", "+13125550101", "+13125550102", "+13125550102"]


def test_a_messaging_service_sends_alerts_and_keeps_its_own_pace(field: Field) -> None:
    configure(field, senders=SenderPool(messaging_service=MG))
    field.subscribe("+13125550161", ["60623"], "es")
    confirmed(field)
    field.send()
    [sent] = [m for m in field.hotline.gateway.messages if m["to"] == "+13125550161"]
    assert (sent["messaging_service_sid"], sent["from"]) == (MG, None)
    pace = DispatchSettings(rate_per_second=1.0, sender_rates={MG: 50.0})
    assert (pace.rate(MG), pace.rate("+13125550101")) == (50.0, 1.0)


def test_with_approval_an_alert_waits_for_a_coordinator(field: Field) -> None:
    configure(field, approval=True)
    field.subscribe("+13125550161", ["60623"], "es")
    confirmed(field)
    [alert] = field.alerts()
    assert alert.status == AlertStatus.AWAITING_APPROVAL
    field.tick()
    assert field.texts_to("+13125550161") == []
    with db.transaction(field.hotline.engine) as session:
        boss, _ = auth_service.create_user(session=session, name="Boss", role="coordinator")
        row = alerts.get_alert(session=session, alert_id=alert.id or 0)
        alerts.approve(session=session, alert=row, user=boss, now=datetime.now(UTC))
        with pytest.raises(alerts.NotAwaitingApproval):
            alerts.approve(session=session, alert=row, user=boss, now=datetime.now(UTC))
    field.tick()
    assert len(field.texts_to("+13125550161")) == 1


def test_an_alert_not_approved_in_time_is_dropped_not_sent_late(field: Field) -> None:
    configure(field, approval=True)
    field.subscribe("+13125550161", ["60623"], "es")
    confirmed(field)
    later = datetime.now(UTC) + field.rapid.settings.alert_expiry + timedelta(minutes=1)
    assert field.tick(later).alerts_dropped == 1
    assert field.alerts()[0].status == AlertStatus.DROPPED
    assert field.texts_to("+13125550161") == []


def test_a_notice_goes_as_a_correction_to_those_who_asked_for_corrections(field: Field) -> None:
    field.subscribe("+13125550161", ["60623"], "es", corrections=True)
    field.subscribe("+13125550163", ["60623"], "en")
    confirmed(field, verb="NOTICE")
    [alert] = field.alerts()
    assert alert.kind == AlertKind.CORRECTION
    [correction] = field.texts_to("+13125550161")
    assert correction.startswith("Aviso de la línea de ayuda: nuestro equipo verificó el reporte")
    assert field.texts_to("+13125550163") == []
    assert [row.purpose for row in field.outbox("alert-correction")] == ["alert-correction"]


@pytest.mark.parametrize("verb", ["GONE", "UNSURE"])
def test_nothing_unverified_is_ever_sent(field: Field, verb: str) -> None:
    field.subscribe("+13125550161", ["60623"], "es", corrections=True)
    confirmed(field, verb=verb)
    assert field.alerts() == []
    assert field.texts_to("+13125550161") == []


def test_the_fan_out_queues_in_chunks_and_a_second_run_adds_nothing(field: Field) -> None:
    for n in range(7):
        field.subscribe(f"+1312555018{n}", ["60623"], "en")
    configure(field, approval=True)
    confirmed(field)
    [alert] = field.alerts()
    with db.transaction(field.hotline.engine) as session:
        row = alerts.get_alert(session=session, alert_id=alert.id or 0)
        row.status = AlertStatus.SENDING
    now = datetime.now(UTC)
    assert alerts.fan_out(field.hotline.engine, rapid=field.rapid, now=now, chunk=3) == 7
    assert alerts.fan_out(field.hotline.engine, rapid=field.rapid, now=now, chunk=3) == 0
    assert len(field.outbox("alert")) == 7
    assert field.alerts()[0].status == AlertStatus.SENT


def test_a_subscriber_who_deletes_is_forgotten_with_their_reports(field: Field) -> None:
    field.subscribe(WITNESS, ["60623"], "es")
    field.zone("Little Village", ["60623"])
    seen = Sighting(ReportKind.HOME, "60623", True, "es", Channel.SMS, WITNESS, HOTLINE_LINE)
    with db.transaction(field.hotline.engine) as session:
        reports.submit_report(session, rapid=field.rapid, sighting=seen, now=datetime.now(UTC))
    with db.transaction(field.hotline.engine) as session:
        gone = subscriptions.forget_number(session, rapid=field.rapid, number=WITNESS)
    assert (gone.subscription, gone.reports) == (True, 1)
    [kept] = field.reports()
    assert (kept.reporter_sealed, kept.reporter_key) == (None, None)
    assert kept.place_sealed is not None


def test_what_a_subscriber_is_told_in_their_language(field: Field) -> None:
    field.zone("Little Village", ["60623"])
    spanish = field.subscribe("+13125550161", ["60623", "60999"], "es")
    told = subscriptions.answer(field.rapid, spanish, lang="es", first_zip="60623")
    assert told == (
        "Recibirá alertas de la línea de ayuda para Little Village, solo cuando nuestro equipo "
        "las haya confirmado. Responda ALERTAS PARAR para dejar de recibirlas. Todavía no hay "
        "zona de alertas para 60999. Para saber también cuándo un reporte fue una falsa "
        "alarma, responda ALERTAS 60623 CORRECCIONES."
    )
    # What the subscriber is told to reply is what the parser reads back.
    parsed = parse_alerts_command("ALERTAS 60623 CORRECCIONES", field.rapid.words)
    assert parsed is not None
    assert parsed.corrections
    stop = parse_alerts_command("ALERTAS PARAR", field.rapid.words)
    assert stop is not None
    assert stop.stop
    nothing = field.subscribe("+13125550162", ["60999"], "zh", corrections=True)
    assert subscriptions.answer(field.rapid, nothing, lang="zh", first_zip="60999") == (
        "目前还没有警报区域包括这些邮政编码。我们会保留它们，等有区域包括时再提醒您。"
        " 如果举报是误报，您也会收到通知。"
    )
    assert subscriptions.how_to(field.rapid, lang="en").startswith(
        "To get alerts, reply ALERTS and one or more ZIP codes, like ALERTS 60623."
    )
