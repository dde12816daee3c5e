"""A witness's place made coarse, and who a call-out texts stage after stage (pure)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.rapid.dispatch import Crowd, Stage, advance, coordinators
from hotline.rapid.places import MAX_PLACE, coarse_place
from hotline.routing.oncall import Person

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
FIVE = timedelta(minutes=5)


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        ("2415 S Pulaski Ave apt 3B", "2400 S Pulaski Ave"),
        ("26th & Pulaski", "26th & Pulaski"),
        ("60623", "60623"),
        ("migra en 26 y Pulaski", "migra en 26 y Pulaski"),
        ("ICE at 3318 W 26th St, call me 773-555-0199", "ICE at 3300 W 26th St, call me"),
        ("Cermak #4 unit 2", "Cermak"),
        ("depto 5, 1843 S Blue Island", "1800 S Blue Island"),
        ("at 5:30 near 18th", "at 5:30 near 18th"),
    ],
)
def test_a_place_keeps_the_block_not_the_door(said: str, kept: str) -> None:
    assert coarse_place(said) == kept


@given(st.text(alphabet=st.sampled_from("0123456789 -().+abcW#"), max_size=60))
def test_no_phone_number_survives_and_the_place_stays_short(text: str) -> None:
    kept = coarse_place(text)
    assert len(kept) <= MAX_PLACE
    assert not re.search(r"\d(?:[\s().-]*\d){6,}", kept)


def person(pid: int, role: str = "legal_volunteer", **kw: object) -> Person:
    return Person(id=pid, name=f"p{pid}", languages=("en",), role=role, **kw)  # type: ignore[arg-type]


ANA, LUIS, WEI, BOSS = person(1), person(2), person(3), person(9, "coordinator_backup")


def test_a_call_out_goes_zone_again_neighbours_then_coordinators() -> None:
    crowd = Crowd(zone=[ANA, LUIS], neighbours=[LUIS, WEI], coordinators=[BOSS])
    first = advance(stage=Stage.NONE, crowd=crowd, now=NOW, realert_after=FIVE)
    assert (first.stage, first.people, first.next_at) == (Stage.ZONE, (ANA, LUIS), NOW + FIVE)
    again = advance(stage=first.stage, crowd=crowd, now=NOW + FIVE, realert_after=FIVE)
    assert (again.stage, again.people) == (Stage.REALERT, (ANA, LUIS))
    near = advance(stage=again.stage, crowd=crowd, now=NOW, realert_after=FIVE)
    # Luis responds in both zones: he was texted already.
    assert (near.stage, near.people) == (Stage.NEIGHBOURS, (WEI,))
    last = advance(stage=near.stage, crowd=crowd, now=NOW, realert_after=FIVE)
    assert (last.stage, last.people, last.backup) == (Stage.COORDINATORS, (BOSS,), None)
    done = advance(stage=last.stage, crowd=crowd, now=NOW, realert_after=FIVE)
    assert (done.stage, done.people, done.next_at) == (Stage.DONE, (), None)


def test_empty_stages_are_skipped_at_once_and_named() -> None:
    crowd = Crowd(zone=[], neighbours=[], coordinators=[], backup_number="+13125550111")
    step = advance(stage=Stage.NONE, crowd=crowd, now=NOW, realert_after=FIVE)
    assert step.stage == Stage.COORDINATORS
    assert step.backup == "+13125550111"
    assert step.skipped == (Stage.ZONE, Stage.REALERT, Stage.NEIGHBOURS)
    nobody = advance(stage=Stage.NONE, crowd=Crowd([], [], []), now=NOW, realert_after=FIVE)
    assert nobody.stage == Stage.DONE
    assert len(nobody.skipped) == 4


def test_coordinators_are_those_on_call_else_every_available_one() -> None:
    off = person(8, "coordinator_backup", availability="off")
    assert coordinators([ANA, BOSS], [ANA, BOSS, off], NOW) == [BOSS]
    assert coordinators([ANA], [ANA, BOSS, off], NOW) == [BOSS]
    assert coordinators([], [ANA], NOW) == []


def test_taking_a_unit_out_never_leaves_a_phone_number_behind() -> None:
    assert coarse_place("0000#0)000") == ""
