"""The whole loop, as the issue's "done" says: a report by voice and one by text in Spanish,
grouped into one incident, taken by a responder who confirms it from the field, and an
alert received by subscribers in three languages. The text report goes through the pieces
the text channel calls (`parse_report_command`, `submit_report`)."""

from __future__ import annotations

from datetime import UTC, datetime

from hotline import db
from hotline.rapid import reports
from hotline.rapid.commands import parse_alerts_command, parse_report_command
from hotline.rapid.kinds import Channel, IncidentStatus, ReportKind
from tests.rapid.conftest import HOTLINE_LINE, Field
from tests.support import place_call

RESPONDER = "+13125550131"
TEXTER = "+13125550177"
SUBSCRIBERS = {"+13125550161": "ALERTAS 60623", "+13125550162": "警报 60623",
               "+13125550163": "ALERTS 60623 60608"}  # fmt: skip


def test_report_verify_alert(field: Field) -> None:
    village = field.zone("Little Village", ["60623"])
    ana = field.responder("Ana", RESPONDER, "es,en", [village])
    for number, words in SUBSCRIBERS.items():
        command = parse_alerts_command(words, field.rapid.words)
        assert command is not None
        field.subscribe(number, command.zips, command.language)

    place_call(field.hotline.client, ["2", "3", "3", "60623", "1", "1", "-", "-", "-"])
    [voiced] = field.reports()
    assert voiced.channel == Channel.VOICE
    command = parse_report_command("REPORTE migra en 26 y Pulaski 60623", field.rapid.words)
    assert command is not None
    sighting = reports.Sighting(
        kind=ReportKind.STREET, place=command.text, ongoing=True, language=command.language,
        channel=Channel.SMS, reporter=TEXTER, line=HOTLINE_LINE,
    )  # fmt: skip
    with db.transaction(field.hotline.engine) as session:
        texted = reports.submit_report(
            session, rapid=field.rapid, sighting=sighting, now=datetime.now(UTC)
        )
    [incident] = field.incidents()
    assert (texted.incident_id, texted.new_incident, incident.reports) == (incident.id, False, 2)
    assert sorted(r.channel for r in field.reports()) == ["sms", "voice"]

    [callout] = field.texts_to(RESPONDER)
    assert f"Responda GO {incident.code}" in callout
    assert field.reply(ana, f"GO {incident.code}").startswith("Hotline: call-out")
    assert "confirmed" in field.reply(ana, f"CONFIRMED {incident.code}")
    assert field.incidents()[0].status == IncidentStatus.CONFIRMED

    received = {number: field.texts_to(number) for number in SUBSCRIBERS}
    assert received["+13125550161"][0].startswith("Alerta de la línea de ayuda")
    assert received["+13125550162"][0].startswith("热线警报")
    assert received["+13125550163"][0].startswith("Hotline alert, confirmed by our responders")
    for [body] in received.values():
        assert "Little Village" in body
        assert "Pulaski" not in body
    history = field.history(incident.id or 0)
    assert history[:2] == ["reported", "called-out"]
    assert history[-4:] == ["report-added", "go", "dispatched", "confirmed"]
