"""The whole loop, as the issue's "done" says, through the simulator on SQLite and
PostgreSQL: a report by voice (the call simulator) and one by text in Spanish (`hotline
simulate sms`, signed as Twilio signs), grouped into one incident, dispatched to a
responder who takes it and confirms it from the field by text, and an alert received by
subscribers who asked for it by text in three languages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hotline.cli import app as cli
from hotline.rapid.kinds import Channel, IncidentStatus, ReportKind
from tests.rapid.conftest import Field
from tests.support import ACCOUNT_SID, HOTLINE, PUBLIC_URL, TOKEN, place_call, served

RESPONDER = "+13125550131"
TEXTER = "+13125550177"
CALLER = "+13125550188"
SUBSCRIBERS = {"+13125550161": "ALERTAS 60623", "+13125550162": "警报 60623",
               "+13125550163": "ALERTS 60623 60608"}  # fmt: skip


@pytest.fixture
def url(field: Field) -> Iterator[str]:
    # The app the test client started, served on a loopback port for the command line.
    with served(field.hotline.app) as found:
        yield found


def simulate_sms(url: str, tmp_path: Path, sender: str, words: str) -> list[str]:
    """`hotline simulate sms` from `sender`; the replies it printed."""
    env = {
        "HOTLINE_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "HOTLINE_DATA_DIR": str(tmp_path),
    }
    args = ["simulate", "sms", "--url", url, "--from", sender, "--to", HOTLINE, words]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert sender not in result.output
    replies = result.output.split("--- reply to ")[1:]
    return [reply.split("\n", 1)[1].strip() for reply in replies]


def test_report_dispatch_confirm_alert(field: Field, url: str, tmp_path: Path) -> None:
    village = field.zone("Little Village", ["60623"])
    field.responder("Ana", RESPONDER, "es,en", [village])
    for number, words in SUBSCRIBERS.items():
        [subscribed] = simulate_sms(url, tmp_path, number, words)
        assert "Little Village" in subscribed

    # A report by voice (Spanish, 3, something else, 6 0 6 2 3 key by key, right, now)…
    place_call(field.hotline.client, ["2", "3", "5", "6", "0", "6", "2", "3", "1", "1",
                                      "-", "-", "-"], caller=CALLER)  # fmt: skip
    [voiced] = field.reports()
    assert (voiced.channel, voiced.kind) == (Channel.VOICE, ReportKind.OTHER)
    # …and one by text in Spanish: one incident, one call-out.
    [thanks] = simulate_sms(url, tmp_path, TEXTER, "REPORTE migra en 26 y Pulaski 60623")
    assert thanks.startswith("Gracias. Su reporte llegó a nuestro equipo de respuesta")
    [incident] = field.incidents()
    assert incident.reports == 2
    assert sorted(r.channel for r in field.reports()) == ["sms", "voice"]
    [callout] = field.texts_to(RESPONDER)
    code = re.search(r"Responda GO (\d{6})", callout)
    assert code is not None
    assert "Lugar: 60623." in callout  # the first report's place: the voice ZIP code

    # The responder takes it and confirms it from the field, by text.
    [yours] = simulate_sms(url, tmp_path, RESPONDER, f"GO {code.group(1)}")
    assert yours.startswith(f"Línea de ayuda: el llamado {code.group(1)} es suyo.")
    [done] = simulate_sms(url, tmp_path, RESPONDER, f"CONFIRMED {code.group(1)}")
    assert "confirmado" in done
    assert field.incidents()[0].status == IncidentStatus.CONFIRMED

    field.tick()
    received = {number: field.texts_to(number) for number in SUBSCRIBERS}
    assert received["+13125550161"][0].startswith("Alerta de la línea de ayuda")
    assert received["+13125550162"][0].startswith("热线警报")
    assert received["+13125550163"][0].startswith("Hotline alert, confirmed by our responders")
    for [body] in received.values():
        assert "Little Village" in body
        assert "Pulaski" not in body
        assert TEXTER not in body
        assert CALLER not in body
    history = field.history(incident.id or 0)
    assert history[:2] == ["reported", "called-out"]
    assert history[-4:] == ["report-added", "go", "dispatched", "confirmed"]
    # The witnesses' numbers went with the open reports.
    assert all(report.reporter_sealed is None for report in field.reports())
