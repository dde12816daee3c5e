"""A registered volunteer's text: a command from the table in `commands.py`, or their
words for the texter they help. One handler per command; a responder's commands are
answered by rapid response (`hotline.rapid.responders`, `hotline.rapid.questions`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from hotline.callbacks.messages import YOURS
from hotline.callbacks.service import Callbacks
from hotline.claims import messages as claim_messages
from hotline.claims import service as claims
from hotline.claims.alerts import Alert, Alerts, Recipient
from hotline.db import aware
from hotline.dispositions import service as dispositions
from hotline.models import ClaimKind, Volunteer
from hotline.news import announce
from hotline.rapid import questions, responders
from hotline.rapid.commands import Command as ResponderCommand
from hotline.rapid.commands import Verb
from hotline.rapid.service import RapidResponse
from hotline.routing.service import RosterCache, person
from hotline.sms import cases as sms_cases
from hotline.sms import commands, messages
from hotline.sms.cases import Cases
from hotline.sms.service import SmsMemory


@dataclass(frozen=True, slots=True)
class FromVolunteer:
    """What a volunteer's text is, as the handlers see it."""

    volunteer: Volunteer
    sender: str
    to: str
    sid: str
    lang: str
    now: datetime
    # What to do once the text's transaction has committed (alerts to fan out).
    after: list[Callable[[], object]] = field(default_factory=list)


@dataclass(frozen=True)
class Volunteers:
    """Volunteers' commands as this deployment runs them; built once at start-up."""

    alerts: Alerts
    cases: Cases
    callbacks: Callbacks
    roster: RosterCache
    zone: ZoneInfo
    rapid: RapidResponse
    memory: SmsMemory
    # Queues a confirmed incident's alerts without waiting for the next tick.
    fan_out: Callable[[], object]

    def answer(self, session: Session, *, text: FromVolunteer, body: str) -> list[str]:
        """The answer to a volunteer's text (none when it was relayed)."""
        command = commands.parse(body)
        handler: Callable[[Session, FromVolunteer, commands.Command], list[str]]
        handler = getattr(self, f"_{type(command).__name__.lower()}")
        return handler(session, text, command)

    def _t(self, text: FromVolunteer) -> Callable[..., str]:
        return self.alerts.catalogs.translator(text.lang)

    def _accept(
        self, session: Session, text: FromVolunteer, command: commands.Command
    ) -> list[str]:
        assert isinstance(command, commands.Accept)
        assert text.volunteer.id is not None
        t = self._t(text)
        if self._called_out(session, text.volunteer.id, command.code):
            # ACCEPT finds anything by its code: a call-out is taken as with GO.
            return self._respond(session, text, commands.Respond(Verb.GO, command.code))
        outcome = claims.claim(
            session=session, code=command.code, volunteer_id=text.volunteer.id, now=text.now
        )
        if outcome.locked_now:
            self._tell_coordinators(session, text)
        claim = outcome.claim
        if outcome.result == claims.Result.REFUSED or claim is None:
            return [t(claim_messages.NOT_AVAILABLE, code=command.code[:20])]
        people = self.roster.snapshot.people
        if claim.kind == ClaimKind.CALLBACK:
            if outcome.result == claims.Result.WON:
                taker = Recipient(text.volunteer.id, text.sender, text.lang)
                self.callbacks.won(session, claim=claim, taker=taker, people=people, now=text.now)
            return [t(YOURS, code=claim.code)]
        if outcome.result == claims.Result.WON:
            self.cases.accepted(
                session, claim=claim, taker=text.volunteer.id, people=people, now=text.now
            )
        return [t(messages.CASE_YOURS, code=claim.code)]

    def _called_out(self, session: Session, volunteer_id: int, code: str) -> bool:
        """Whether `code` is an open call-out `volunteer_id` was called out for."""
        found = claims.find_open(session=session, code=code)
        if found is None or found.id is None or found.kind != ClaimKind.INCIDENT:
            return False
        return volunteer_id in claims.alerted(session=session, claim_id=found.id)

    def _respond(
        self, session: Session, text: FromVolunteer, command: commands.Command
    ) -> list[str]:
        assert isinstance(command, commands.Respond)
        assert text.volunteer.id is not None
        answer = responders.answer_responder(
            session,
            rapid=self.rapid,
            volunteer_id=text.volunteer.id,
            command=ResponderCommand(command.verb, command.code[:20]),
            now=text.now,
        )
        if answer.locked_now:
            self._tell_coordinators(session, text)
        if answer.alerts_pending:
            text.after.append(self.fan_out)
        return [self.rapid.say(text.lang, answer.message, code=answer.code)]

    def _ask(self, session: Session, text: FromVolunteer, command: commands.Command) -> list[str]:
        assert isinstance(command, commands.Ask)
        assert text.volunteer.id is not None
        asked = questions.ask(
            session,
            rapid=self.rapid,
            volunteer_id=text.volunteer.id,
            code=command.code[:20],
            question=command.text,
            now=text.now,
        )
        if asked.answer.locked_now:
            self._tell_coordinators(session, text)
        if asked.asked:
            # The reporters' texts take the database path from now on, in every process.
            self.memory.change("open_exchange", asked.asked)
            announce(session, "exchange_opened", asked.asked)
        return [self.rapid.say(text.lang, asked.answer.message, code=asked.answer.code)]

    def _tell_coordinators(self, session: Session, text: FromVolunteer) -> None:
        """Someone guessed codes: the coordinators hear who (never the number or the codes)."""
        people = self.roster.snapshot.people.values()
        to = self.alerts.coordinators(people, lang=self.alerts.default_language)
        params = {"name": text.volunteer.name, "id": str(text.volunteer.id)}
        key = f"lockout:{text.volunteer.id}:{text.now.timestamp():.0f}"
        alert = Alert(claim_messages.LOCKED_OUT, text.to, key, params, purpose="coordinator")
        self.alerts.send_all(session, to=to, alert=alert, now=text.now)

    def _done(self, session: Session, text: FromVolunteer, command: commands.Command) -> list[str]:
        assert isinstance(command, commands.Done)
        assert text.volunteer.id is not None
        t = self._t(text)
        for found in sms_cases.held_by(session, volunteer_id=text.volunteer.id):
            if found.code == command.code:
                self.cases.end(session, found=found, now=text.now, tell_texter=True)
                return [t(messages.CASE_CLOSED, code=found.code)]
        return [t(messages.NO_SUCH_CASE, code=command.code[:20])]

    def _availability(
        self, session: Session, text: FromVolunteer, command: commands.Command
    ) -> list[str]:
        assert isinstance(command, commands.Availability)
        volunteer, now = text.volunteer, text.now
        volunteer.availability = command.status
        volunteer.break_until = (
            now + timedelta(minutes=command.minutes) if command.status == "break" else None
        )
        volunteer.updated_at = now
        session.add(volunteer)
        session.flush()
        return self._status(session, text, commands.Status())

    def _status(
        self, _session: Session, text: FromVolunteer, _command: commands.Command
    ) -> list[str]:
        # The snapshot may not know yet what this very text changed: judge by the row.
        volunteer, now = text.volunteer, text.now
        on_call = volunteer.id in self.roster.snapshot.scheduled(now) and person(
            volunteer
        ).available(now)
        available = volunteer.availability
        if available == "break" and volunteer.break_until is not None:
            until = aware(volunteer.break_until).astimezone(self.zone)
            available = f"break {until:%H:%M}"
        message = messages.ON_CALL_NOW if on_call else messages.OFF_CALL_NOW
        return [self._t(text)(message, availability=available)]

    def _note(self, session: Session, text: FromVolunteer, command: commands.Command) -> list[str]:
        assert isinstance(command, commands.Note)
        assert text.volunteer.id is not None
        answer = dispositions.answer_text(
            session=session,
            volunteer_id=text.volunteer.id,
            body=f"NOTE {command.text}",
            t=self.alerts.catalogs.translator(text.lang),
            now=text.now,
        )
        return [answer] if answer is not None else []

    def _commands(self, _session: Session, text: FromVolunteer, _c: commands.Command) -> list[str]:
        return [self._t(text)(messages.COMMANDS)]

    def _say(self, session: Session, text: FromVolunteer, command: commands.Command) -> list[str]:
        """Words for the texter of the case named, or of the only case they hold."""
        assert isinstance(command, commands.Say)
        assert text.volunteer.id is not None
        held = sms_cases.held_by(session, volunteer_id=text.volunteer.id)
        target = next((found for found in held if found.code == command.code), None)
        words = command.text
        if target is None and command.code is not None:
            # Not a code of theirs: the number was part of the words.
            words = f"{command.code} {command.text}"
        if target is None and len(held) == 1:
            target = held[0]
        if target is not None and words:
            key = f"relay:{text.sid}"
            if self.cases.to_texter(session, found=target, body=words, key=key, now=text.now):
                return []
        return [self._t(text)(messages.COMMANDS)]
