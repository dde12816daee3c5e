"""Most texts (a menu, a keyword's answer) are answered from memory and their notes
spooled, so a texter never waits on the database."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from hotline.callers.service import PreferenceCache, Remember
from hotline.events.recorder import Recorder, Write
from hotline.privacy.pseudonym import Keyring
from hotline.routing.service import RosterCache
from hotline.sms import flow
from hotline.sms import service as sms_service
from hotline.sms.inbound import Incoming
from hotline.sms.service import SmsMemory
from hotline.telephony.numbers import region


@dataclass(frozen=True)
class FastPath:
    """The texts memory can answer; built once at start-up."""

    memory: SmsMemory
    preferences: PreferenceCache
    recorder: Recorder
    keyring: Keyring
    roster: RosterCache
    # A volunteer's number's fingerprint: their texts take the database path.
    volunteer_key: Callable[[str], str]
    hotline: flow.SmsHotline
    render: Callable[[flow.Text], str]
    reply_cap: int
    countries: Collection[str]

    def answer(self, text: Incoming) -> list[str] | None:
        """The answer from memory; None: take the database path."""
        memory = self.memory
        if not memory.ready or self.volunteer_key(text.sender) in self.roster.snapshot.phone_keys:
            return None
        now = datetime.now(UTC)
        epochs = self.keyring.live_epochs(now)
        keys = [self.keyring.pseudonym(text.sender, epoch=epoch) for epoch in epochs]
        if any(key in memory.opted_out or key in memory.open_cases for key in keys):
            return None
        known = self.preferences.language(keys, now=now)
        texter = flow.Texter(language=known if known in self.hotline.languages else None)
        reply = flow.respond(texter, flow.Inbound(text.body, text.media), self.hotline)
        if reply.durable:
            return None
        texts = [self.render(part) for part in reply.texts]
        may_answer = region(text.sender) in self.countries
        if not memory.first_time(text.sid):
            # A retried webhook: answered again, acted on once.
            return texts if may_answer else []
        writes: list[Write] = [sms_service.ReceivedText(text.sid, keys[0], epochs[0], now)]
        lang = reply.language()
        if lang is not None:
            writes.append(Remember(keys[0], epochs[0], lang, now))
            self.preferences.remember(keys[0], lang, now)
        self.recorder.record(writes)
        if not may_answer or memory.count(keys[0], now) > self.reply_cap:
            return []
        return texts
