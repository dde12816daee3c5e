"""Most texts (a menu, a keyword's answer) are answered from memory and their notes
spooled, so a texter never waits on the database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from hotline.callers.service import Remember
from hotline.events.recorder import Recorder, Write
from hotline.outbox.caps import RightsCounted
from hotline.sms import flow, messages
from hotline.sms import service as sms_service
from hotline.sms.answering import Answering
from hotline.sms.inbound import Incoming
from hotline.telephony.numbers import region


@dataclass(frozen=True)
class FastPath:
    """The texts memory can answer; built once at start-up."""

    shared: Answering
    recorder: Recorder
    # A volunteer's number's fingerprint: their texts take the database path.
    volunteer_key: Callable[[str], str]

    def answer(self, text: Incoming) -> list[str] | None:
        """The answer from memory; None: take the database path."""
        memory = self.shared.memory
        if (
            not memory.ready
            or self.volunteer_key(text.sender) in self.shared.roster.snapshot.phone_keys
        ):
            return None
        now = datetime.now(UTC)
        epochs = self.shared.keyring.live_epochs(now)
        keys = [self.shared.keyring.pseudonym(text.sender, epoch=epoch) for epoch in epochs]
        if any(key in memory.opted_out for key in keys) or memory.routed(keys):
            return None
        reply = self._reply(text, keys, now)
        if reply.durable:
            return None
        texts = [self.shared.render(part) for part in reply.texts]
        may_answer = region(text.sender) in self.shared.countries
        if not memory.first_time(text.sid):
            # A retried webhook: answered again, acted on once.
            return texts if may_answer else []
        received = sms_service.ReceivedText(text.sid, keys[0], epochs[0], now, text.forget)
        writes: list[Write] = [received]
        lang = reply.language()
        if lang is not None:
            writes.append(Remember(keys[0], epochs[0], lang, now))
            self.shared.preferences.remember(keys[0], lang, now)
        if reply.has(flow.CountRights):
            writes.append(RightsCounted(keys[0], epochs[0], now))
            self.shared.rights.add(keys[0], now)
        self.recorder.record(writes)
        if not may_answer or memory.count(keys[0], now) > self.shared.reply_cap:
            return []
        return texts

    def without_database(self, text: Incoming, *, volunteer: bool) -> list[str]:
        """What to answer while the database does not: what memory says, nothing to a
        volunteer (their text is acted on, and answered, once it is back)."""
        if volunteer:
            return []
        now = datetime.now(UTC)
        keys = self.shared.keyring.pseudonyms(text.sender, at=now)
        if any(key in self.shared.memory.opted_out for key in keys):
            return []
        reply = self._reply(text, keys, now)
        if region(text.sender) not in self.shared.countries:
            return []
        if self.shared.memory.routed(keys):
            # Their volunteer (or the report under way) will have it once the database does.
            return []
        if reply.has(flow.AskForHelp):
            return self._case_opened(reply)
        return [self.shared.render(part) for part in reply.texts]

    def _case_opened(self, reply: flow.Reply) -> list[str]:
        asked = next(e for e in reply.effects if isinstance(e, flow.AskForHelp))
        lang = (
            asked.lang
            if asked.lang in self.shared.hotline.languages
            else self.shared.hotline.default_language
        )
        return [self.shared.render(flow.Text(messages.CASE_OPENED, lang))]

    def _reply(self, text: Incoming, keys: list[str], now: datetime) -> flow.Reply:
        known = self.shared.preferences.language(keys, now=now)
        texter = flow.Texter(
            language=known if known in self.shared.hotline.languages else None,
            rights_left=self.shared.rights.count(keys, now) < self.shared.rights_per_day,
        )
        return flow.respond(texter, flow.Inbound(text.body, text.media), self.shared.hotline)
