"""Whole calls, placed by the simulator through signed webhooks, in both languages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session

from hotline.deps import Runtime
from hotline.models import CallEvent
from hotline.rights.script import SECTIONS
from hotline.simulator.call import CallResult, DialAnswer, spoken
from tests.support import CALLER, place_call

ENGLISH = "en-US"
SPANISH = "es-US"
WAIT = "-"
MENU = 9  # languages in the default voice menu


def place(
    client: TestClient,
    keys: list[str],
    *,
    answer: Callable[[str], DialAnswer] | None = None,
) -> CallResult:
    return place_call(client, keys, answer=answer)


def heard_in(result: CallResult, language: str) -> list[str]:
    return [
        h.text
        for h in result.transcript
        if h.kind == "say" and h.language == language and not h.interrupted
    ]


def offered(result: CallResult) -> list[str]:
    """Every sentence the service offered, including those a key press cut short."""
    return [h.text for h in result.transcript if h.kind == "say"]


def events(app: FastAPI, engine: Engine) -> list[CallEvent]:
    runtime: Runtime = app.state.runtime
    runtime.recorder.flush()
    with Session(engine) as session:
        return list(session.exec(select(CallEvent).order_by(CallEvent.id)).scalars())


@pytest.mark.parametrize(
    ("digit", "language", "urgent_line"),
    [
        ("1", ENGLISH, "If immigration agents are at your door"),
        ("2", SPANISH, "Si hay agentes de inmigración en su puerta"),
    ],
)
def test_choosing_a_language_opens_the_main_menu_in_it(
    client: TestClient, digit: str, language: str, urgent_line: str
) -> None:
    result = place(client, [digit, "0", WAIT, WAIT, WAIT])
    menu = heard_in(result, language)
    assert menu[0].startswith(urgent_line)
    # 0 barges into the first menu; the repeat is heard whole, then two more after
    # silences, then goodbye.
    assert len(menu) == 7 * 3 + 1
    assert result.ended_by == "hangup"


def test_the_language_menu_speaks_each_language_in_its_own_voice(client: TestClient) -> None:
    result = place(client, [WAIT, WAIT, WAIT, WAIT, WAIT])
    first = [(h.language, h.text) for h in result.transcript[:2]]
    assert first == [(ENGLISH, "For English, press 1."), (SPANISH, "Para español, oprima 2.")]
    voices = {h.language: h.voice for h in result.transcript[:2]}
    assert voices == {ENGLISH: "Polly.Joanna-Neural", SPANISH: "Polly.Lupe-Neural"}


def test_silence_repeats_the_language_menu_once_then_english(client: TestClient) -> None:
    result = place(client, [WAIT, WAIT, "0"])
    texts = spoken(result)
    menu = texts[:MENU]
    assert menu[:2] == ["For English, press 1.", "Para español, oprima 2."]
    assert texts[MENU : 2 * MENU] == menu
    assert texts[2 * MENU].startswith("If immigration agents are at your door")


def test_a_key_that_means_nothing_repeats_the_language_menu(client: TestClient) -> None:
    result = place(client, ["*", "2", "0"])
    texts = offered(result)
    assert texts[MENU : 2 * MENU] == texts[:MENU]
    assert texts[2 * MENU].startswith("Si hay agentes")


@pytest.mark.parametrize(("digit", "language"), [("1", ENGLISH), ("2", SPANISH)])
def test_the_whole_rights_script_can_be_heard(
    client: TestClient, digit: str, language: str
) -> None:
    # 2 for rights, then silence walks every section; back at the menu, 2 then 0 ends it.
    keys = [digit, "2"] + [WAIT] * len(SECTIONS)
    result = place(client, [*keys, "2", "0", "0"])
    said = heard_in(result, language)
    part_word = "Part" if language == ENGLISH else "Parte"
    parts = [line for line in said if line.startswith(f"{part_word} ")]
    assert parts[: len(SECTIONS)] == [
        f"{part_word} {n} {'of' if language == ENGLISH else 'de'} {len(SECTIONS)}."
        for n in range(1, len(SECTIONS) + 1)
    ]
    assert any("not legal advice" in line or "no es consejo legal" in line for line in said)


def test_rights_keys_repeat_and_return(client: TestClient) -> None:
    result = place(client, ["1", "2", "1", "2", "0", WAIT, WAIT, WAIT])
    parts = [t for t in offered(result) if t.startswith("Part ")]
    assert parts == ["Part 1 of 7.", "Part 2 of 7.", "Part 2 of 7."]
    assert result.ended_by == "hangup"


def test_urgent_help_rings_the_backup_number_from_the_hotline_number(client: TestClient) -> None:
    rung: list[str] = []

    def answer(number: str) -> DialAnswer:
        rung.append(number)
        return DialAnswer(status="completed", duration=40)

    result = place(client, ["2", "1", WAIT], answer=answer)
    assert rung == ["+13125550111"]
    said = heard_in(result, SPANISH)
    assert "Conectando. No cuelgue." in said
    assert "Su llamada terminó. Si necesita más ayuda, no cuelgue." in said
    assert result.ended_by == "hangup"


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed"])
def test_when_nobody_answers_the_caller_is_told_and_offered_the_menu(
    client: TestClient, status: str
) -> None:
    result = place(client, ["1", "1", "0"], answer=lambda _n: DialAnswer(status=status))  # type: ignore[arg-type]
    texts = offered(result)
    nobody = texts.index("We could not reach anyone right now. We are sorry.")
    assert texts[nobody + 1].startswith("If immigration agents are at your door")


def test_resources_are_read_and_the_menu_returns(client: TestClient) -> None:
    result = place(client, ["1", "4", "0", WAIT, WAIT, WAIT])
    texts = offered(result)
    assert "Here are places that can help you." in texts
    assert (
        "Free legal clinic: Northside Immigrant Legal Clinic. Call 3 1 2, 5 5 5, 0 1 4 2." in texts
    )


def test_nine_changes_the_language(client: TestClient) -> None:
    result = place(client, ["1", "9", "2", "0"])
    texts = offered(result)
    assert texts.count("For English, press 1.") == 2
    assert heard_in(result, SPANISH)[0].startswith("Si hay agentes")


def test_a_call_leaves_a_pseudonymous_event_trail(
    app: FastAPI, client: TestClient, engine: Engine
) -> None:
    place(client, ["2", "2", "0", "1"], answer=lambda _n: DialAnswer(status="no-answer"))
    trail = events(app, engine)
    kinds = [(e.kind, e.language, e.detail) for e in trail]
    assert kinds[:4] == [
        ("call.started", None, None),
        ("language.chosen", "es", "es"),
        ("rights.section", "es", "1"),
        ("urgent.tier", "es", "3:backup"),
    ]
    assert ("urgent.result", "es", "3:no-answer") in kinds
    assert kinds[-1] == ("call.ended", "es", "silent")
    assert len({e.call_ref for e in trail}) == 1
    assert trail[0].caller_key is not None
    assert all(e.caller_key is None for e in trail[1:])
    assert CALLER not in repr(trail)
