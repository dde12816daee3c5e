"""The database path of a texter's text: the flow's reply, and its effects applied once
per text, in one transaction. Each effect has one handler; a handler may replace the
reply (a relayed text is answered by the volunteer, not by the hotline)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from hotline.callers.service import Remember
from hotline.db import transaction
from hotline.outbox.caps import RightsCounted, sent_today
from hotline.rapid import questions
from hotline.sms import cases as sms_cases
from hotline.sms import drafts, flow, messages
from hotline.sms import service as sms_service
from hotline.sms.answering import Answering
from hotline.sms.cases import Cases
from hotline.sms.inbound import Incoming
from hotline.sms.rapid_texts import RapidTexts, Step
from hotline.telephony.numbers import region


@dataclass(frozen=True)
class Conversation:
    """Texters' texts that need the database; built once at start-up."""

    engine: Engine
    shared: Answering
    cases: Cases
    reports: RapidTexts
    # How long a text waits on the database before it is answered from memory instead.
    deadline_ms: int | None = None

    def answer(self, text: Incoming) -> list[str]:
        """One step of the conversation; the texts to answer with (none for some)."""
        now = datetime.now(UTC)
        epochs = self.shared.keyring.live_epochs(now)
        keys = [self.shared.keyring.pseudonym(text.sender, epoch=epoch) for epoch in epochs]
        try:
            reply, flooded = self._step(text, keys, epochs, now, act=True)
        except IntegrityError:
            # The same text at the same moment from a retried webhook: answer, do nothing.
            reply, flooded = self._step(text, keys, epochs, now, act=False)
        if region(text.sender) not in self.shared.countries:
            return []
        if flooded and not (reply.has(flow.OptOut) or reply.has(flow.OptIn)):
            return []
        return [self.shared.render(part) for part in reply.texts]

    def _step(
        self, text: Incoming, keys: list[str], epochs: list[int], now: datetime, *, act: bool
    ) -> tuple[flow.Reply, bool]:
        with transaction(self.engine, deadline_ms=self.deadline_ms) as session:
            if act:
                sms_service.one_at_a_time(session, contact_key=keys[0])
            first_time = act and not sms_service.seen(session, message_sid=text.sid)
            if first_time:
                sms_service.receive(
                    session,
                    message_sid=text.sid,
                    contact_key=keys[0],
                    key_epoch=epochs[0],
                    at=now,
                    sid_sealed=text.forget,
                )
            known = sms_service.language(session, keys=keys)
            draft = drafts.of_texter(session, keys=keys, now=now)
            texter = flow.Texter(
                language=known if known in self.shared.hotline.languages else None,
                opted_out=sms_service.opted_out(session, keys=keys),
                rights_left=sent_today(session, keys=keys, now=now) < self.shared.rights_per_day,
                draft=drafts.as_flow(draft),
            )
            reply = flow.respond(texter, flow.Inbound(text.body, text.media), self.shared.hotline)
            since = now - sms_service.FLOOD_WINDOW
            flooded = sms_service.recent(session, keys=keys, since=since) > self.shared.reply_cap
            if first_time:
                case = sms_cases.of_texter(session, keys=keys)
                asked = questions.asked_of(session, keys=keys)
                self.shared.memory.first_time(text.sid)
                step = Step(session, text, keys, epochs, now, case, draft, asked)
                reply = self._apply(reply, step)
        return reply, flooded

    def _apply(self, reply: flow.Reply, step: Step) -> flow.Reply:
        """Apply the reply's effects in order; the first that replaces the reply ends it."""
        for effect in reply.effects:
            name = f"_{type(effect).__name__.lower()}"
            handler: Callable[[Any, Step], flow.Reply | None] = getattr(
                self, name, None
            ) or getattr(self.reports, name)
            replaced = handler(effect, step)
            if replaced is not None:
                return replaced
        return reply

    def _optout(self, _effect: flow.OptOut, step: Step) -> None:
        sms_service.opt_out(step.session, keys=step.keys, epochs=step.epochs, at=step.now)
        self.shared.memory.change("opt_out", step.keys)
        self.reports.opted_out(step)

    def _optin(self, _effect: flow.OptIn, step: Step) -> None:
        sms_service.opt_in(step.session, keys=step.keys)
        self.shared.memory.change("opt_in", step.keys)

    def _forget(self, _effect: flow.Forget, step: Step) -> flow.Reply | None:
        if step.case is not None:
            self.cases.end(step.session, found=step.case, now=step.now, tell_texter=False)
            self.shared.memory.change("close_case", step.keys)
        self.reports.forget(step)
        sms_service.erase(step.session, keys=step.keys, keep_sid=step.text.sid)
        self.shared.preferences.forget(step.keys)
        self.shared.rights.forget(step.keys)
        return None

    def _countrights(self, _effect: flow.CountRights, step: Step) -> None:
        RightsCounted(step.keys[0], step.epochs[0], step.now).apply(step.session)
        self.shared.rights.add(step.keys[0], step.now)

    def _rememberlanguage(self, effect: flow.RememberLanguage, step: Step) -> None:
        Remember(step.keys[0], step.epochs[0], effect.lang, step.now).apply(step.session)
        self.shared.preferences.remember(step.keys[0], effect.lang, step.now)

    def _askforhelp(self, effect: flow.AskForHelp, step: Step) -> flow.Reply | None:
        if step.case is None and effect.lang in self.shared.hotline.languages and step.text.to:
            self.cases.open(
                step.session,
                text=step.text,
                texter_key=step.keys[0],
                lang=effect.lang,
                on_call=self.shared.roster.snapshot.on_call(step.now),
                now=step.now,
            )
            self.shared.memory.change("open_case", [step.keys[0]])
            return self._opened(effect.lang)
        return self._relay(flow.Relay(effect.lang), step)

    def _relay(self, effect: flow.Relay, step: Step) -> flow.Reply | None:
        """In an open case the words go to its volunteer, or wait for one; after a
        responder's question, to that responder."""
        if step.case is None:
            return flow.Reply() if self.reports.to_responder(step) else None
        if self.cases.holder(step.session, step.case) is None:
            return self._opened(effect.lang)
        self.cases.to_volunteer(
            step.session, found=step.case, text=step.text.body, sid=step.text.sid, now=step.now
        )
        return flow.Reply()

    def _opened(self, lang: str) -> flow.Reply:
        lang = (
            lang if lang in self.shared.hotline.languages else self.shared.hotline.default_language
        )
        return flow.Reply((flow.Text(messages.CASE_OPENED, lang),))
