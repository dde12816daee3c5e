"""The steady traffic of the fault tests: calls and texts from fresh numbers, each
checked as it is answered, and everything the hotline promised written down."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from hotline.config import PROJECT_ROOT
from hotline.i18n import catalogs as catalog_loader
from hotline.i18n.translator import Translator
from hotline.rights.texts import rights_parts
from hotline.simulator.call import CallResult
from hotline.sms import messages as sms_messages
from hotline.voice import flow
from tests.faults.conftest import Deployment, count
from tests.faults.traffic import BACKUP, Phone, fresh_number

LANGUAGE = "es"
DIGIT = "2"  # Español in the language menu
_CATALOGS = catalog_loader.load(PROJECT_ROOT / "locales", ["en", "es", "pl"])


def words(lang: str) -> Translator:
    """What the hotline says in `lang`, as the service processes say it."""
    return _CATALOGS.translator(lang)


SAY = words(LANGUAGE)
RIGHTS = rights_parts(SAY)


def said(result: CallResult | None) -> list[str]:
    return [heard.text for heard in result.transcript if heard.kind == "say"] if result else []


@dataclass
class Promises:
    """Who was promised what, and who was told something they should not have been."""

    rights_callers: list[str] = field(default_factory=list)
    callback_callers: list[str] = field(default_factory=list)
    rights_texters: list[str] = field(default_factory=list)
    case_texters: list[str] = field(default_factory=list)
    stoppers: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    rounds: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def texts(self) -> int:
        """Texts sent to the hotline."""
        return len(self.rights_texters) + len(self.case_texters) + len(self.stoppers)

    @property
    def numbers(self) -> list[str]:
        return [
            *self.rights_callers,
            *self.callback_callers,
            *self.rights_texters,
            *self.case_texters,
            *self.stoppers,
        ]

    def note(self, kind: list[str], number: str, problem: str | None) -> None:
        with self.lock:
            kind.append(number)
            if problem is not None:
                self.wrong.append(problem)


def one_round(phone: Phone, promises: Promises) -> None:
    """A call for the rights by text, a call asking for a callback, and texts asking for
    the rights, for urgent help, and to stop."""
    number = fresh_number()
    heard = said(phone.call(number, [DIGIT, "2", "3"]))
    ok = SAY(flow.TEXT_SENDING) in heard and SAY(flow.TEXT_CANNOT_NOW) not in heard
    promises.note(promises.rights_callers, number, None if ok else f"rights call heard {heard}")

    number = fresh_number()
    heard = said(phone.call(number, [DIGIT, "1", "1"]))
    ok = heard[-1:] == [SAY(flow.CALLBACK_CONFIRMED)]
    promises.note(promises.callback_callers, number, None if ok else f"callback heard {heard}")

    number = fresh_number()
    answer = phone.text(number, "DERECHOS")
    ok = answer == RIGHTS
    promises.note(promises.rights_texters, number, None if ok else f"DERECHOS got {answer}")

    number = fresh_number()
    answer = phone.text(number, "AYUDA")
    ok = answer is not None and SAY(sms_messages.CASE_OPENED) in answer
    promises.note(promises.case_texters, number, None if ok else f"AYUDA got {answer}")

    number = fresh_number()
    answer = phone.text(number, "STOP")
    promises.note(promises.stoppers, number, None if answer == [] else f"STOP got {answer}")
    with promises.lock:
        promises.rounds += 1


class Traffic:
    """Rounds from `threads` threads at once, each resting `rest` seconds after a round,
    until stopped; paused and resumed between rounds (while a process is restarted)."""

    def __init__(
        self, run_round: Callable[[], None], *, threads: int = 2, rest: float = 0.3
    ) -> None:
        self._run_round = run_round
        self._slots = threading.Semaphore(threads)
        self._size = threads
        self._rest = rest
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._loop, daemon=True) for _ in range(threads)]
        self.errors: list[BaseException] = []

    def __enter__(self) -> Traffic:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._slots:
                try:
                    self._run_round()
                except Exception as error:  # a broken round must fail the test, not hang it
                    self.errors.append(error)
                    return
            self._stop.wait(self._rest)

    def pause(self) -> None:
        """Wait for the rounds under way to finish, and start no more until `resume`."""
        for _ in range(self._size):
            self._slots.acquire()

    def resume(self) -> None:
        for _ in range(self._size):
            self._slots.release()


def assert_all_kept(deployment: Deployment, promises: Promises) -> None:
    """Every promise kept exactly once, once the database took what waited for it:
    the rights to each caller who asked, one alert per callback and per case, every
    text noted, every STOP an opt-out, and no caller's number in any process's log."""
    assert promises.wrong == []
    twilio = deployment.twilio
    assert twilio.duplicates() == {}
    for caller in promises.rights_callers:
        assert sorted(t.body for t in twilio.texts(caller)) == sorted(RIGHTS)
    rights = len(promises.rights_callers) * len(RIGHTS)
    by_key = "SELECT count(DISTINCT idempotency_key) FROM outbox_message WHERE purpose = 'rights'"
    assert count(deployment, by_key) == rights
    alerts = twilio.texts(BACKUP)
    callbacks, cases = len(promises.callback_callers), len(promises.case_texters)
    assert len(alerts) == callbacks + cases
    assert len({alert.body for alert in alerts}) == len(alerts)
    assert len(twilio.texts()) == rights + callbacks + cases
    assert count(deployment, "SELECT count(*) FROM outbox_message") == len(twilio.texts())
    assert count(deployment, "SELECT count(*) FROM outbox_message WHERE sent_at IS NULL") == 0
    assert count(deployment, "SELECT count(*) FROM callback") == callbacks
    assert count(deployment, "SELECT count(*) FROM sms_case") == cases
    assert count(deployment, "SELECT count(*) FROM sms_inbound") == promises.texts
    stopped = [deployment.keyring.pseudonyms(number)[0] for number in promises.stoppers]
    opted_out = "SELECT count(*) FROM opt_out WHERE contact_key = ANY(:keys)"
    assert count(deployment, opted_out, keys=stopped) == len(stopped)
    logs = deployment.logs()
    assert not [number for number in promises.numbers if number in logs]
