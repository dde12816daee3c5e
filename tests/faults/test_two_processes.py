"""Two web processes on one PostgreSQL: what a caller does through one, the other knows
within a second (a language chosen, a STOP, a DELETE), and the flood cap counts the
texts both received."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from hotline.sms import messages as sms_messages
from tests.faults.calls import words
from tests.faults.conftest import Deployment
from tests.faults.traffic import Phone, fresh_number

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]

WITHIN = 1.0
# Answers to one number in ten minutes; enough for the polls below, small for a flood.
REPLY_CAP = 20
POLISH = "4"  # in the language menu
# Each process tells the others of the texts it received when it writes them down
# (every 0.2 s): texts closer together than that, alternating between processes, may
# be counted a moment late and get one answer too many. Four a second from one number
# is already more than a phone sends.
FLOOD_GAP = 0.25


def until(seen: Callable[[], bool], *, seconds: float = 5.0) -> float:
    """Poll `seen` every 50 ms; the seconds until it was true (inf if never)."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if seen():
            return time.monotonic() - started
        time.sleep(0.05)
    return float("inf")


@pytest.fixture(scope="module")
def pair(shared_deployment: Deployment) -> tuple[Phone, Phone]:
    """Two web processes (each test's callers are its own)."""
    first = shared_deployment.serve("web-a", sms_reply_cap=str(REPLY_CAP))
    second = shared_deployment.serve("web-b", sms_reply_cap=str(REPLY_CAP))
    return shared_deployment.phone(first), shared_deployment.phone(second)


def test_a_language_chosen_in_one_process_greets_the_caller_in_the_other(
    pair: tuple[Phone, Phone],
) -> None:
    a, b = pair
    caller = fresh_number()
    assert b.greeting(caller) == "language"
    result = a.call(caller, [POLISH])
    assert result is not None
    took = until(lambda: b.greeting(caller) == "pl")
    print(f"\na language chosen through one process greets the caller in the other in {took:.2f} s")
    assert took <= WITHIN
    assert a.failures() == b.failures() == []


def test_a_delete_in_one_process_is_forgotten_by_the_other(pair: tuple[Phone, Phone]) -> None:
    a, b = pair
    caller = fresh_number()
    assert a.call(caller, [POLISH]) is not None
    assert until(lambda: b.greeting(caller) == "pl") <= WITHIN
    assert a.text(caller, "USUN") == [words("pl")(sms_messages.DELETED)]
    took = until(lambda: b.greeting(caller) == "language")
    print(f"\na DELETE through one process is forgotten by the other in {took:.2f} s")
    assert took <= WITHIN
    assert a.failures() == b.failures() == []


def test_a_stop_in_one_process_silences_the_other(pair: tuple[Phone, Phone]) -> None:
    a, b = pair
    texter = fresh_number()
    assert b.text(texter, "ok"), "a texter who did not opt out is answered"
    assert a.text(texter, "STOP") == []
    took = until(lambda: b.text(texter, "ok") == [])
    print(f"\na STOP through one process silences the other in {took:.2f} s")
    assert took <= WITHIN
    # And it stays silent: nothing more is answered, by either.
    assert [b.text(texter, "ok"), a.text(texter, "ok")] == [[], []]
    assert a.failures() == b.failures() == []


def test_the_flood_cap_counts_the_texts_both_processes_received(
    pair: tuple[Phone, Phone],
) -> None:
    a, b = pair
    flooder = fresh_number()
    answered = 0
    for n in range(2 * REPLY_CAP):
        answer = (a if n % 2 == 0 else b).text(flooder, "ok")
        assert answer is not None
        answered += bool(answer)
        time.sleep(FLOOD_GAP)
    print(f"\n{2 * REPLY_CAP} texts through two processes, {answered} answered")
    assert answered == REPLY_CAP
    assert a.failures() == b.failures() == []
