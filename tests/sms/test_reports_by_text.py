"""Reports by text: REPORT and its exchange, kept in the database across processes; REPORT
with the report itself; a first text that reads like a report, in its own language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from hotline import db
from hotline.app import create_app
from hotline.models import ReportDraft
from hotline.privacy import retention
from hotline.rapid import reports
from hotline.rapid.kinds import Channel, ReportKind
from hotline.sms import drafts
from tests.rapid.conftest import Field, field_fixture
from tests.sms.test_relay import text
from tests.support import HOTLINE
from tests.voice.test_urgent import Hotline

__all__ = ["field_fixture"]

WITNESS = "+13125550177"
ANA = "+13125550131"
WHAT_ES = "¿Qué vio? Responda 1 si hay agentes en una casa"
RECEIVED_ES = "Gracias. Su reporte"


def places(field: Field) -> list[str]:
    with Session(field.hotline.engine) as session:
        return [reports.place_of(r, rapid=field.rapid) for r in reports.reports_of(
            session, incident_id=field.incidents()[-1].id or 0)]  # fmt: skip


def draft_rows(hotline: Hotline) -> list[ReportDraft]:
    with Session(hotline.engine) as session:
        return list(session.exec(select(ReportDraft)).all())


def test_report_asks_what_where_and_when_then_calls_the_zone_out(field: Field) -> None:
    village = field.zone("Little Village", ["60623"])
    field.responder("Ana", ANA, "es", [village])
    assert field.text("REPORTE", WITNESS)[0].startswith(WHAT_ES)
    assert field.text("tres", WITNESS)[0].startswith("Por favor, responda con un solo número")
    assert field.text("3", WITNESS)[0].startswith("¿Dónde es?")
    assert field.text("26 y Pulaski 60623", WITNESS)[0].startswith("¿Está pasando ahora?")
    assert field.text("2", WITNESS)[0].startswith(RECEIVED_ES)
    [report] = field.reports()
    assert (report.kind, report.channel, report.language, report.ongoing, report.line) == (
        ReportKind.STREET, Channel.SMS, "es", False, HOTLINE,
    )  # fmt: skip
    assert places(field) == ["26 y Pulaski 60623"]
    assert report.reporter_sealed is not None
    assert draft_rows(field.hotline) == []
    [callout] = field.texts_to(ANA)
    assert "26 y Pulaski 60623" in callout
    assert ", ya terminó. Lugar: 26 y Pulaski 60623." in callout


def test_the_exchange_goes_on_in_another_process_after_a_restart(
    field: Field, settings: object
) -> None:
    assert field.text("ZGŁOŚ", WITNESS)[0].startswith("Co widzisz?")
    [row] = draft_rows(field.hotline)
    assert row.step == "what"
    # Another process of the same deployment (or this one, restarted) takes it up.
    runtime = field.hotline.runtime
    other = create_app(
        runtime.settings, engine=field.hotline.engine, gateway=field.hotline.gateway,
        keyring=runtime.keyring,
    )  # fmt: skip
    with TestClient(other) as client:
        second = Hotline(other, client, field.hotline.gateway, field.hotline.engine)
        assert text(second, "1", sender=WITNESS)[0].startswith("Gdzie to jest?")
        assert text(second, "Kedzie i Cermak", sender=WITNESS)[0].startswith("Czy to dzieje się")
    assert field.text("1", WITNESS)[0].startswith("Dziękujemy. Twoje zgłoszenie")
    [report] = field.reports()
    assert (report.kind, report.language, report.ongoing) == (ReportKind.HOME, "pl", True)


def test_report_followed_by_words_is_the_report_and_nothing_more_is_asked(field: Field) -> None:
    answer = field.text("REPORTE migra en 26 y Pulaski", WITNESS)
    assert len(answer) == 1
    assert answer[0].startswith(RECEIVED_ES)
    [report] = field.reports()
    assert (report.kind, report.language, report.ongoing, report.zone_id) == (
        ReportKind.OTHER, "es", True, None,
    )  # fmt: skip
    assert places(field) == ["migra en 26 y Pulaski"]
    assert draft_rows(field.hotline) == []
    # A ZIP code in the words finds the zone.
    village = field.zone("Little Village", ["60623"])
    field.text("举报 移民局在26街和Pulaski 60623", "+13125550178")
    assert field.reports()[-1].zone_id == village
    assert field.reports()[-1].language == "zh"


def test_a_first_text_that_reads_like_a_report_is_offered_in_its_language(field: Field) -> None:
    offer = field.text("ICE at 26th and Pulaski", WITNESS)
    assert offer == [
        "Immigration emergency hotline. To report what you wrote to our responders, reply 1."
    ]
    assert field.reports() == []
    assert field.text("1", WITNESS)[0].startswith("What did you see?")
    # The place is known already: what, then when.
    assert field.text("3", WITNESS)[0].startswith("Is it happening now?")
    assert field.text("1", WITNESS)[0].startswith("Thank you. Your report went to our responders")
    assert places(field) == ["ICE at 26th and Pulaski"]
    assert field.reports()[0].language == "en"


def test_an_offer_not_taken_up_is_dropped_and_the_text_answered(field: Field) -> None:
    spanish = field.text("la migra está en la esquina de 26 y Pulaski", WITNESS)
    assert spanish[0].startswith("Línea de emergencia de inmigración. Para reportar")
    assert len(draft_rows(field.hotline)) == 1
    # Anything but 1: the offer goes, the text is answered as any other (here: the menu).
    assert field.text("gracias", WITNESS)[0].startswith("Línea de emergencia de inmigración.")
    assert draft_rows(field.hotline) == []
    assert field.reports() == []


def test_a_text_without_a_place_or_a_word_of_enforcement_is_not_offered(field: Field) -> None:
    assert field.text("ICE is everywhere today", WITNESS)[0].startswith(
        "Immigration emergency hotline. Reply RIGHTS"
    )
    assert field.text("there is a lot of traffic at 26th and Pulaski", "+13125550178")[
        0
    ].startswith("Immigration emergency hotline. Reply RIGHTS")
    assert draft_rows(field.hotline) == []


def test_a_keyword_or_delete_during_the_exchange_ends_it(field: Field) -> None:
    field.text("REPORTE", WITNESS)
    assert field.text("DERECHOS", WITNESS)[0].startswith("1/2 Conozca sus derechos")
    assert draft_rows(field.hotline) == []
    field.text("REPORTE", WITNESS)
    field.text("2", WITNESS)
    deleted = "Borramos todo lo que teníamos sobre su número de teléfono."
    assert field.text("BORRAR", WITNESS) == [deleted]
    assert draft_rows(field.hotline) == []
    assert field.reports() == []


def test_a_draft_expires_after_a_quarter_of_an_hour_and_is_purged(field: Field) -> None:
    field.text("REPORT", WITNESS)
    [row] = draft_rows(field.hotline)
    later = datetime.now(UTC) + drafts.KEEP + timedelta(seconds=1)
    with Session(field.hotline.engine) as session:
        assert drafts.of_texter(session, keys=[row.texter_key], now=later) is None
    retention.purge(field.hotline.engine, field.hotline.runtime.settings, now=later)
    assert draft_rows(field.hotline) == []


def test_a_draft_holds_its_place_sealed_and_coarse(field: Field) -> None:
    field.text("ICE at 2415 W 26th St apt 3 and Pulaski, call 773 555 0142", WITNESS)
    [row] = draft_rows(field.hotline)
    assert row.place_sealed is not None
    assert b"2415" not in row.place_sealed
    assert b"Pulaski" not in row.place_sealed
    with db.transaction(field.hotline.engine) as session:
        place = drafts.place_of(row, vault=field.rapid.vault)
    assert place == "ICE at 2400 W 26th St and Pulaski, call"
    assert session is not None


def test_a_flood_of_text_reports_without_a_zone_calls_out_once_per_kind(field: Field) -> None:
    backup = field.hotline.runtime.settings.backup_number
    assert backup is not None
    for n in range(12):
        field.text("REPORTE la migra en Kedzie y Cermak", f"+1312555{n + 200:04d}")
    [incident] = field.incidents()
    assert (incident.zone_id, incident.reports) == (None, 12)
    assert len(field.texts_to(backup)) == 1
