"""The IVR as a pure function: every menu, key and silence."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.rights.resources import EXAMPLE
from hotline.rights.script import SECTIONS
from hotline.routing.escalation import Leg, Plan, Step
from hotline.voice import flow, intents
from hotline.voice import messages as voice_messages
from hotline.voice.intents import CallState, DialEnded, Gather, Incoming, Pressed

HOTLINE = intents.Hotline(
    menu=(intents.MenuOption("en", "1"), intents.MenuOption("es", "2")),
    default_language="en",
    backup_numbers=("+13125550111",),
    resources=EXAMPLE,
)


def gather(reply: intents.Reply) -> Gather:
    gathers = [intent for intent in reply.intents if isinstance(intent, Gather)]
    assert len(gathers) == 1
    return gathers[0]


def messages(reply: intents.Reply) -> list[flow.Msg]:
    spoken = []
    for intent in reply.intents:
        if isinstance(intent, intents.Say):
            spoken.append(intent.message)
        elif isinstance(intent, Gather):
            spoken.extend(prompt.message for prompt in intent.prompts)
    return spoken


def test_a_new_call_hears_each_language_in_itself() -> None:
    reply = flow.respond(None, Incoming(), HOTLINE)
    menu = gather(reply)
    assert [(p.lang, dict(p.params)["digit"]) for p in menu.prompts] == [("en", "1"), ("es", "2")]
    assert menu.next == CallState("language", attempt=0)
    assert intents.Note("call.started") in reply.notes


def test_a_one_language_line_skips_the_language_menu() -> None:
    single = intents.Hotline((intents.MenuOption("es", "2"),), "es", None, ())
    reply = flow.respond(None, Incoming(), single)
    assert gather(reply).next == CallState("main", "es")


@pytest.mark.parametrize(("digit", "lang"), [("1", "en"), ("2", "es")])
def test_a_language_digit_opens_the_main_menu_in_that_language(digit: str, lang: str) -> None:
    reply = flow.respond(CallState("language"), Pressed(digit), HOTLINE)
    assert gather(reply).next == CallState("main", lang)
    assert messages(reply)[0] == voice_messages.MAIN_URGENT
    assert all(prompt.lang == lang for prompt in gather(reply).prompts)


def test_silence_repeats_the_language_menu_once_then_goes_on_in_the_default() -> None:
    once = flow.respond(CallState("language"), Pressed(""), HOTLINE)
    assert gather(once).next == CallState("language", attempt=1)
    twice = flow.respond(CallState("language", attempt=1), Pressed(""), HOTLINE)
    assert gather(twice).next == CallState("main", "en")
    assert intents.Note("language.defaulted", "en") in twice.notes


@pytest.mark.parametrize("digit", ["3", "0", "*", "#", "7"])
def test_a_key_that_means_nothing_repeats_the_language_menu(digit: str) -> None:
    reply = flow.respond(CallState("language", attempt=1), Pressed(digit), HOTLINE)
    assert gather(reply).next == CallState("language", attempt=1)


def test_main_menu_offers_reporting_on_3() -> None:
    reply = flow.main_menu("en", HOTLINE)
    assert messages(reply) == [
        voice_messages.MAIN_URGENT,
        voice_messages.MAIN_DETAINED,
        voice_messages.MAIN_RIGHTS,
        voice_messages.MAIN_REPORT,
        voice_messages.MAIN_RESOURCES,
        voice_messages.MAIN_LANGUAGE,
        voice_messages.MAIN_REPEAT,
    ]
    reply = flow.respond(CallState("main", "en"), Pressed("3"), HOTLINE)
    assert messages(reply) == list(voice_messages.REPORT_KINDS.values())
    assert gather(reply).next == CallState("report_what", "en")
    reply = flow.respond(CallState("main", "en"), Pressed("6"), HOTLINE)
    assert messages(reply)[0] == voice_messages.NOT_AN_OPTION


ANA = Leg(1, "+13125550101", "es")
WEI = Leg(2, "+13125550102", "zh")
BACKUP = Leg(0, "+13125550111")
PLAN = Plan(
    (
        Step(1, "language", (ANA,), 25),
        Step(2, "others", (WEI,), 25),
        Step(3, "backup", (BACKUP,), 30),
        Step(4, "callback", (), 0),
    )
)


def test_one_rings_the_first_tier_with_a_word_first() -> None:
    reply = flow.respond(CallState("main", "es"), Pressed("1"), HOTLINE, PLAN)
    say, dial = reply.intents
    assert isinstance(say, intents.Say)
    assert say.message == voice_messages.URGENT_CONNECTING
    assert say.lang == "es"
    assert isinstance(dial, intents.Dial)
    assert dial.legs == (ANA,)
    assert dial.next == CallState("urgent", "es", tier=1)
    assert dial.timeout == 25


def test_each_unanswered_tier_leads_to_the_next_and_the_caller_hears_a_word() -> None:
    state = CallState("urgent", "es", tier=1)
    second = flow.respond(state, DialEnded("no-answer"), HOTLINE, PLAN)
    assert messages(second) == [voice_messages.URGENT_STILL_TRYING]
    assert isinstance(second.intents[1], intents.Dial)
    assert second.intents[1].legs == (WEI,)
    third = flow.respond(CallState("urgent", "es", tier=2), DialEnded("busy"), HOTLINE, PLAN)
    assert isinstance(third.intents[1], intents.Dial)
    assert third.intents[1].legs == (BACKUP,)
    offer = flow.respond(CallState("urgent", "es", tier=3), DialEnded("no-answer"), HOTLINE, PLAN)
    assert gather(offer).next == CallState("callback", "es", tier=4)
    assert messages(offer) == [voice_messages.CALLBACK_OFFER]


def test_an_empty_tier_is_skipped() -> None:
    no_speakers = Plan(PLAN.steps[1:])
    reply = flow.respond(CallState("main", "es"), Pressed("1"), HOTLINE, no_speakers)
    assert isinstance(reply.intents[1], intents.Dial)
    assert reply.intents[1].next.tier == 2


def test_accepting_the_callback_asks_the_edge_to_arrange_it() -> None:
    reply = flow.respond(CallState("callback", "es", tier=4), Pressed("1"), HOTLINE, PLAN)
    assert reply.effects == (intents.RequestCallback("es"),)
    assert messages(reply) == [voice_messages.CALLBACK_CONFIRMED]
    assert isinstance(reply.intents[-1], intents.Hangup)
    hidden = flow.respond(
        CallState("callback", "es", tier=4), Pressed("1", texting="hidden"), HOTLINE, PLAN
    )
    assert hidden.effects == ()
    declined = flow.respond(CallState("callback", "es", tier=4), Pressed(""), HOTLINE, PLAN)
    assert gather(declined).next == CallState("main", "es")


def test_with_nobody_at_all_urgent_says_so_and_offers_the_menu() -> None:
    reply = flow.respond(CallState("main", "en"), Pressed("1"), HOTLINE, Plan(()))
    assert messages(reply)[0] == voice_messages.URGENT_UNAVAILABLE
    assert gather(reply).next == CallState("main", "en")


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed", "canceled"])
def test_when_every_tier_fails_the_caller_is_told_and_offered_the_menu(status: str) -> None:
    last = CallState("urgent", "es", tier=3)
    reply = flow.respond(last, DialEnded(status), HOTLINE, Plan(PLAN.steps[:3]))
    assert messages(reply)[0] == voice_messages.URGENT_NOBODY
    assert gather(reply).next == CallState("main", "es")
    assert intents.Note("urgent.result", f"3:{status}") in reply.notes


def test_a_completed_dial_leaves_one_silence_before_goodbye() -> None:
    reply = flow.respond(CallState("urgent", "en", tier=1), DialEnded("completed"), HOTLINE, PLAN)
    assert messages(reply)[0] == voice_messages.URGENT_ENDED
    state = gather(reply).next
    silence = flow.respond(state, Pressed(""), HOTLINE)
    assert isinstance(silence.intents[-1], intents.Hangup)


def test_main_menu_silences_end_the_call_politely() -> None:
    state = CallState("main", "en")
    for _ in range(intents.MAIN_MENU_SILENCES - 1):
        state = gather(flow.respond(state, Pressed(""), HOTLINE)).next
    reply = flow.respond(state, Pressed(""), HOTLINE)
    assert messages(reply) == [voice_messages.GOODBYE]
    assert isinstance(reply.intents[-1], intents.Hangup)


def test_the_rights_script_walks_every_section_and_back_to_the_menu() -> None:
    reply = flow.respond(CallState("main", "en"), Pressed("2"), HOTLINE)
    assert messages(reply)[0] == flow.DISCLAIMER
    heard_titles = []
    state = gather(reply).next
    for number in range(1, len(SECTIONS) + 1):
        assert state == CallState("rights", "en", section=number)
        heard_titles.append(messages(reply)[2 if number == 1 else 1])
        reply = flow.respond(state, Pressed("1"), HOTLINE)
        state = gather(reply).next
    assert heard_titles == [section.title for section in SECTIONS]
    assert state == CallState("main", "en")


def test_rights_keys_repeat_go_on_by_silence_and_return_to_menu() -> None:
    section3 = CallState("rights", "es", section=3)
    assert gather(flow.respond(section3, Pressed("2"), HOTLINE)).next == section3
    assert gather(flow.respond(section3, Pressed(""), HOTLINE)).next.section == 4
    assert gather(flow.respond(section3, Pressed("0"), HOTLINE)).next == CallState("main", "es")
    wrong = flow.respond(section3, Pressed("7"), HOTLINE)
    assert messages(wrong) == [voice_messages.NOT_AN_OPTION, voice_messages.RIGHTS_KEYS]
    assert gather(wrong).next == section3


def test_the_last_section_offers_no_next_part() -> None:
    last = flow.rights_section("en", len(SECTIONS))
    assert messages(last)[-1] == voice_messages.RIGHTS_LAST_KEYS


def test_resources_are_framed_and_read_digit_by_digit() -> None:
    reply = flow.respond(CallState("main", "en"), Pressed("4"), HOTLINE)
    prompts = gather(reply).prompts
    assert prompts[0].message == voice_messages.RESOURCES_INTRO
    clinic = dict(prompts[1].params)
    assert clinic["name"] == EXAMPLE[0].name
    assert clinic["phone"] == "3 1 2, 5 5 5, 0 1 4 2"
    menu = flow.respond(CallState("resources", "en"), Pressed("0"), HOTLINE)
    assert gather(menu).next == CallState("main", "en")


def test_nine_changes_language_and_zero_repeats() -> None:
    change = flow.respond(CallState("main", "es"), Pressed("9"), HOTLINE)
    assert gather(change).next == CallState("language")
    again = flow.respond(CallState("main", "es", attempt=2), Pressed("0"), HOTLINE)
    assert gather(again).next == CallState("main", "es", attempt=0)


def test_fallback_apologises_and_dials_the_backup() -> None:
    reply = flow.fallback("es", HOTLINE)
    assert messages(reply) == [voice_messages.APOLOGY]
    assert isinstance(reply.intents[-1], intents.Dial)
    bare = flow.fallback("es", intents.Hotline(HOTLINE.menu, "en", None, ()))
    assert isinstance(bare.intents[-1], intents.Hangup)


states = st.builds(
    CallState,
    step=st.sampled_from(intents.STEPS),
    lang=st.sampled_from(["en", "es"]),
    attempt=st.integers(0, intents.MAIN_MENU_SILENCES - 1),
    section=st.integers(1, len(SECTIONS)),
)


@given(state=states, digits=st.sampled_from(["", "0", "1", "2", "3", "4", "5", "9", "*", "#"]))
def test_every_key_in_every_state_gets_an_answer_that_round_trips(
    state: CallState, digits: str
) -> None:
    reply = flow.respond(state, Pressed(digits), HOTLINE)
    assert reply.intents
    for intent in reply.intents:
        if isinstance(intent, Gather | intents.Dial):
            query = dict(intent.next.query())
            assert list(query) == sorted(query)
            assert CallState.parse(query, languages=["en", "es"]) == intent.next


@pytest.mark.parametrize(
    "query",
    [
        {"step": "nowhere"},
        {"step": "main"},
        {"step": "main", "lang": "xx"},
        {"step": "rights", "lang": "en", "section": "99"},
        {"step": "main", "lang": "en", "attempt": "-1"},
        {"step": "main", "lang": "en", "attempt": "x"},
    ],
)
def test_a_state_we_never_emit_is_refused(query: dict[str, str]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - any ValueError means refused
        CallState.parse(query, languages=["en", "es"])


def test_spoken_digits() -> None:
    assert flow.spoken_digits("+1 (312) 555-0142") == "3 1 2, 5 5 5, 0 1 4 2"
    assert flow.spoken_digits("911") == "9 1 1"
