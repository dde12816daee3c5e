"""Reporting what you see by voice: menu 3, keys only, the report kept and responders called."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.rapid.kinds import Channel, ReportKind
from hotline.voice import flow, intents
from hotline.voice import messages as voice_messages
from hotline.voice.intents import CallState, Gather, Pressed
from tests.rapid.conftest import Field
from tests.support import place_call
from tests.voice.test_flow import HOTLINE, gather, messages

ZIP = "60623"


def step(state: CallState, digits: str) -> intents.Reply:
    return flow.respond(state, Pressed(digits), HOTLINE)


def walk(keys: list[str], lang: str = "en") -> tuple[intents.Reply, list[CallState]]:
    """Press `keys` from the main menu; the last reply and every state passed through."""
    state = CallState("main", lang)
    seen = [state]
    reply = step(state, keys[0])
    for key in keys[1:]:
        state = gather(reply).next
        seen.append(state)
        reply = step(state, key)
    return reply, seen


def test_the_fixed_keys_take_a_report_and_go_back_to_the_main_menu() -> None:
    reply, states = walk(["3", "2", ZIP, "1", "2"])
    assert [s.step for s in states] == [
        "main", "report_what", "report_zip", "report_confirm", "report_when",
    ]  # fmt: skip
    assert reply.effects == (intents.ReportSighting("en", ReportKind.WORK, ZIP, ongoing=False),)
    said = messages(reply)
    assert said[:3] == [
        voice_messages.REPORT_THANKS,
        voice_messages.REPORT_SAFETY,
        voice_messages.REPORT_STATUS,
    ]
    assert said[3] == voice_messages.MAIN_URGENT
    assert gather(reply).next == CallState("main", "en")
    # The ZIP code is never in the call's notes (the event log links notes to a caller).
    assert all(ZIP not in (note.detail or "") for note in reply.notes)


def test_the_zip_code_is_gathered_as_five_keys_and_read_back_digit_by_digit() -> None:
    at_zip = step(CallState("report_what", "en"), "1")
    assert gather(at_zip).digits == 5
    readback = step(gather(at_zip).next, ZIP)
    first = gather(readback).prompts[0]
    assert first.message == voice_messages.REPORT_ZIP_READBACK
    assert dict(first.params) == {"zip": "6 0 6 2 3"}
    assert gather(readback).next == CallState("report_confirm", "en", kind="1", zip=ZIP)


def test_two_enters_the_zip_code_again() -> None:
    again = step(CallState("report_confirm", "en", kind="4", zip=ZIP), "2")
    assert gather(again).next == CallState("report_zip", "en", kind="4")
    assert messages(again) == [voice_messages.REPORT_ZIP]


@pytest.mark.parametrize("bad", ["", "606", "6062*", "#"])
def test_a_caller_who_cannot_enter_a_zip_code_still_reports(bad: str) -> None:
    once = step(CallState("report_zip", "en", kind="3"), bad)
    assert messages(once)[0] == voice_messages.REPORT_ZIP_INVALID
    twice = step(gather(once).next, bad)
    assert gather(twice).next == CallState("report_when", "en", kind="3")
    done = step(gather(twice).next, "1")
    assert done.effects == (intents.ReportSighting("en", ReportKind.STREET, "", ongoing=True),)


def test_a_wrong_key_asks_again_and_silence_twice_moves_on() -> None:
    wrong = step(CallState("report_what", "en"), "7")
    assert messages(wrong)[0] == voice_messages.NOT_AN_OPTION
    assert gather(wrong).next == CallState("report_what", "en")
    silent = step(CallState("report_what", "en"), "")
    assert gather(silent).next == CallState("report_what", "en", attempt=1)
    back = step(gather(silent).next, "")
    assert gather(back).next == CallState("main", "en")
    # Silence at the read-back accepts it; silence at "when" sends it as happening now.
    accepted = step(CallState("report_confirm", "en", attempt=1, kind="1", zip=ZIP), "")
    assert gather(accepted).next == CallState("report_when", "en", kind="1", zip=ZIP)
    sent = step(CallState("report_when", "en", attempt=1, kind="1", zip=ZIP), "")
    assert sent.effects == (intents.ReportSighting("en", ReportKind.HOME, ZIP, ongoing=True),)


report_states = st.builds(
    CallState,
    step=st.sampled_from(sorted(intents.REPORT_STEPS)),
    lang=st.just("es"),
    attempt=st.integers(0, 2),
    kind=st.sampled_from(["", "1", "5"]),
    zip=st.sampled_from(["", ZIP]),
)


@given(state=report_states, digits=st.sampled_from(["", "1", "2", "5", "9", "*", ZIP, "606"]))
def test_every_answer_in_a_report_round_trips_through_the_signed_url(
    state: CallState, digits: str
) -> None:
    reply = step(state, digits)
    for intent in reply.intents:
        if isinstance(intent, Gather):
            query = dict(intent.next.query())
            assert CallState.parse(query, languages=["en", "es"]) == intent.next


@pytest.mark.parametrize(
    "query",
    [
        {"step": "report_zip", "lang": "en"},
        {"step": "report_when", "lang": "en", "kind": "6"},
        {"step": "report_confirm", "lang": "en", "kind": "1"},
        {"step": "report_confirm", "lang": "en", "kind": "1", "zip": "6062x"},
        {"step": "main", "lang": "en", "kind": "1"},
    ],
)
def test_a_report_state_we_never_emit_is_refused(query: dict[str, str]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - any ValueError means refused
        CallState.parse(query, languages=["en", "es"])


def test_a_spanish_report_by_phone_calls_the_zones_responder_out(field: Field) -> None:
    little_village = field.zone("Little Village", [ZIP])
    ana = "+13125550131"
    field.responder("Ana", ana, "es,en", [little_village])
    result = place_call(field.hotline.client, ["2", "3", "1", ZIP, "1", "1", "-", "-", "-"])
    heard = [h.text for h in result.transcript if h.kind == "say"]
    assert "Usted marcó 6 0 6 2 3." in heard
    assert "Gracias. Su reporte va a nuestro equipo de respuesta, que lo va a verificar." in heard
    [incident] = field.incidents()
    [report] = field.reports()
    assert (incident.kind, incident.zone_id, incident.reports) == ("home", little_village, 1)
    assert (report.channel, report.language, report.ongoing) == (Channel.VOICE, "es", True)
    assert report.reporter_sealed is not None
    [callout] = field.texts_to(ana)
    assert callout.startswith(f"Llamado de la línea de ayuda {incident.code}:")
    assert "Little Village" in callout
    assert ZIP in callout
    assert f"GO {incident.code}" in callout
    # The reporter's number is never in what the responder reads.
    assert "5550188" not in callout


def test_a_hidden_number_reports_too_and_nothing_of_it_is_kept(field: Field) -> None:
    field.zone("Pilsen", ["60608"])
    keys = ["1", "3", "5", "60608", "1", "2", "-", "-", "-"]
    place_call(field.hotline.client, keys, caller="anonymous")
    [report] = field.reports()
    assert (report.kind, report.ongoing, report.reporter_sealed) == ("other", False, None)
