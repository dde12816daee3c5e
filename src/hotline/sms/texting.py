"""The text channel's one entry: who is texting decides which path answers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from hotline.db import transaction
from hotline.events.spool import Spool, SpoolError
from hotline.models import Volunteer
from hotline.privacy.pseudonym import Keyring
from hotline.routing.service import RosterCache
from hotline.sms import service as sms_service
from hotline.sms.cases import Cases
from hotline.sms.conversation import Conversation
from hotline.sms.fast import FastPath
from hotline.sms.inbound import Incoming
from hotline.sms.promises import DeferredText
from hotline.sms.volunteers import FromVolunteer, Volunteers


@dataclass(frozen=True)
class Texting:
    """Everything a text needs, built once at start-up and handed to the router."""

    engine: Engine
    keyring: Keyring
    roster: RosterCache
    # A volunteer's number's fingerprint, which finds their row.
    volunteer_key: Callable[[str], str]
    fast: FastPath
    conversation: Conversation
    volunteers: Volunteers
    cases: Cases
    # Said when a text can be neither acted on nor kept for later: a number to call.
    cannot_answer: Callable[[Incoming], str]
    # Sends what a text deserved, by text, when its webhook's answer was another.
    send_later: Callable[[Incoming, Sequence[str]], None]
    deadline_ms: int | None = None

    def from_memory(self, text: Incoming) -> list[str] | None:
        """The answer from memory, or None for the database path."""
        return self.fast.answer(text)

    def answer(self, text: Incoming) -> list[str]:
        """A volunteer's command or words; anyone else's step of the conversation."""
        answer = self._from_volunteer(text)
        return answer if answer is not None else self.conversation.answer(text)

    def _from_volunteer(self, text: Incoming) -> list[str] | None:
        """None when the sender is not an active volunteer."""
        now = datetime.now(UTC)
        key = self.volunteer_key(text.sender)
        try:
            with transaction(self.engine, deadline_ms=self.deadline_ms) as session:
                volunteer = session.exec(
                    select(Volunteer).where(Volunteer.phone_key == key)
                ).first()
                if volunteer is None or volunteer.id is None or not volunteer.active:
                    return None
                if sms_service.seen(session, message_sid=text.sid):
                    return []
                self._receive(session, text, now)
                lang = self.volunteers.alerts.first_language(volunteer.languages.split(","))
                found = FromVolunteer(volunteer, text.sender, text.to, text.sid, lang, now)
                answer = self.volunteers.answer(session, text=found, body=text.body.strip())
        except IntegrityError:
            return []
        for then in found.after:
            then()
        if answer:
            self.roster.refresh()
        return answer

    def without_database(self, text: Incoming, spool: Spool) -> list[str]:
        """The database did not answer in time: answer from memory, and keep the text in
        the spool, to be acted on once it answers. If even that cannot be done, say so
        and give a number to call: never a promise that is not kept."""
        volunteer = self.volunteer_key(text.sender) in self.roster.snapshot.phone_keys
        answer = self.fast.without_database(text, volunteer=volunteer)
        deferred = DeferredText(
            text.sender,
            text.to,
            text.sid,
            text.body,
            text.media,
            tuple(answer),
            datetime.now(UTC),
            text.forget,
        )
        try:
            spool.append([deferred])
        except SpoolError:
            return [self.cannot_answer(text)]
        return answer

    def act_later(self, deferred: DeferredText) -> ActOn:
        """The write that acts on a deferred text once the database answers."""
        return ActOn(self, deferred)

    def answer_in_time(self, text: Incoming) -> Late:
        """The database path, as a request that may stop waiting for it (see Late)."""
        return Late(self, text)

    def _receive(self, session: Session, text: Incoming, now: datetime) -> None:
        epoch = self.keyring.current_epoch(now)
        sms_service.receive(
            session,
            message_sid=text.sid,
            contact_key=self.keyring.pseudonym(text.sender, epoch=epoch),
            key_epoch=epoch,
            at=now,
            sid_sealed=text.forget,
        )

    def close_quiet_cases(self) -> int:
        """Close the text cases nobody wrote in for a while; their sealed numbers go too."""
        now = datetime.now(UTC)
        with transaction(self.engine) as session:
            quiet = self.cases.quiet(session, now=now)
            for found in quiet:
                self.cases.end(session, found=found, now=now, tell_texter=True)
                self.conversation.shared.memory.change("close_case", [found.case.texter_key])
        return len(quiet)

    def realert_cases(self) -> int:
        """Cases whose volunteer left go to the others on call."""
        now = datetime.now(UTC)
        on_call = self.roster.snapshot.on_call(now)
        with transaction(self.engine) as session:
            return self.cases.realert(session, now=now, on_call=on_call)


@dataclass(frozen=True)
class ActOn:
    """Write: act on a text that waited in the spool, once; if what it deserved is not
    what memory answered at the time, text that to its sender now."""

    texting: Texting
    deferred: DeferredText

    def apply(self, session: Session) -> None:
        deferred = self.deferred
        if sms_service.seen(session, message_sid=deferred.sid):
            return  # acted on already, by the request that stopped waiting (see Late)
        text = Incoming(
            deferred.sender,
            deferred.to,
            deferred.sid,
            deferred.body,
            deferred.media,
            deferred.forget,
        )
        answer = self.texting.answer(text)
        if answer and tuple(answer) != deferred.answered:
            self.texting.send_later(text, answer)


class Late:
    """A text's database path that the webhook may stop waiting for.

    The database path runs in a worker thread (`run`). If the webhook stops waiting
    (`give_up`), it answers from memory and spools the text; the thread, if it still
    gets through, hands its answer over or, when it comes too late for the webhook,
    texts it (when it differs from what memory answered). Whichever way, the text is
    acted on once (its MessageSid) and its sender gets what it deserved.
    """

    def __init__(self, texting: Texting, text: Incoming) -> None:
        self._texting = texting
        self._text = text
        self._lock = threading.Lock()
        self._answer: list[str] | None = None
        self._given: list[str] | None = None

    def run(self) -> list[str]:
        answer = self._texting.answer(self._text)
        with self._lock:
            self._answer = answer
            given = self._given
        if given is not None and answer and answer != given:
            self._texting.send_later(self._text, answer)
        return answer

    def give_up(self, spool: Spool) -> list[str]:
        """The answer now: the thread's, if it just got through; else memory's."""
        with self._lock:
            if self._answer is not None:
                return self._answer
            self._given = self._texting.without_database(self._text, spool)
            return self._given
