"""The text channel's side of rapid response: the effects of reports and alerts by text,
applied in the texter's transaction, one handler each, and the answers of a reporter a
responder asked a question."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from hotline.models import ReportDraft
from hotline.news import announce
from hotline.rapid import questions, reports, subscriptions
from hotline.rapid.kinds import Channel, ReportKind
from hotline.rapid.service import RapidResponse
from hotline.rapid.sighting import Sighting
from hotline.sms import drafts
from hotline.sms.cases import OpenCase
from hotline.sms.effects import (
    DropDraft,
    FileReport,
    KeepDraft,
    Reply,
    Subscribe,
    Text,
    Unsubscribe,
)
from hotline.sms.inbound import Incoming
from hotline.sms.service import SmsMemory


@dataclass(frozen=True, slots=True)
class Step:
    """One text being acted on: its transaction, its sender's pseudonyms, what they have
    open (a case, a report under way, a responder's question)."""

    session: Session
    text: Incoming
    keys: list[str]
    epochs: list[int]
    now: datetime
    case: OpenCase | None
    draft: ReportDraft | None = None
    asked: questions.Question | None = None


@dataclass(frozen=True)
class RapidTexts:
    """Reports, subscriptions and answers to responders by text; built once at start-up."""

    rapid: RapidResponse
    memory: SmsMemory

    def _subscribe(self, effect: Subscribe, step: Step) -> Reply:
        request = subscriptions.Subscription(
            step.text.sender, effect.zips, effect.lang, effect.corrections, step.text.to
        )
        done = subscriptions.subscribe(
            step.session, rapid=self.rapid, request=request, now=step.now
        )
        body = subscriptions.answer(self.rapid, done, lang=effect.lang, first_zip=effect.zips[0])
        return Reply((Text(raw=body),))

    def _unsubscribe(self, _effect: Unsubscribe, step: Step) -> None:
        subscriptions.unsubscribe(step.session, rapid=self.rapid, number=step.text.sender)

    def _keepdraft(self, effect: KeepDraft, step: Step) -> None:
        vault = self.rapid.vault
        drafts.keep(
            step.session, vault=vault, found=step.draft, key=step.keys[0], epoch=step.epochs[0],
            step=effect, now=step.now,
        )  # fmt: skip
        if step.draft is None:
            self._routed(step, opened=True)

    def _dropdraft(self, _effect: DropDraft, step: Step) -> None:
        if drafts.drop(step.session, keys=step.keys) and step.asked is None:
            self._routed(step, opened=False)

    def _filereport(self, effect: FileReport, step: Step) -> None:
        place = effect.place
        if place is None:
            place = drafts.place_of(step.draft, vault=self.rapid.vault) if step.draft else ""
        sighting = Sighting(
            kind=ReportKind(effect.kind),
            place=place,
            ongoing=effect.ongoing,
            language=effect.lang,
            channel=Channel.SMS,
            reporter=step.text.sender,
            line=step.text.to or None,
        )
        reports.submit_report(step.session, rapid=self.rapid, sighting=sighting, now=step.now)

    def to_responder(self, step: Step) -> bool:
        """A reporter's text, to the responder who asked them a question."""
        if step.asked is None:
            return False
        return questions.to_responder(
            step.session, rapid=self.rapid, question=step.asked, body=step.text.body,
            sid=step.text.sid, now=step.now,
        )  # fmt: skip

    def forget(self, step: Step) -> None:
        """DELETE: no subscription, no report under way, no number on any report."""
        subscriptions.forget_number(step.session, rapid=self.rapid, number=step.text.sender)
        drafts.drop(step.session, keys=step.keys)
        self._routed(step, opened=False)

    def opted_out(self, step: Step) -> None:
        """A general opt-out also ends the subscription and any report under way."""
        subscriptions.unsubscribe(step.session, rapid=self.rapid, number=step.text.sender)
        drafts.drop(step.session, keys=step.keys)

    def _routed(self, step: Step, *, opened: bool) -> None:
        """Every process learns that this texter's texts take the database path (or not)."""
        self.memory.change("open_exchange" if opened else "close_exchange", step.keys)
        announce(step.session, "exchange_opened" if opened else "exchange_closed", step.keys)
