"""What both paths of a text's answer read: the flow, its caps, and what is held in memory.

A text is answered from memory when it can be (`sms.fast`), else through the database
(`sms.conversation`); both answer with the same flow under the same caps, so they share
one of these, built once at start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from hotline.callers.service import PreferenceCache
from hotline.outbox.caps import RightsLedger
from hotline.privacy.pseudonym import Keyring
from hotline.routing.service import RosterCache
from hotline.sms import flow
from hotline.sms.service import SmsMemory


@dataclass(frozen=True)
class Answering:
    """The parts of a text's answer that do not depend on the path it takes."""

    memory: SmsMemory
    preferences: PreferenceCache
    keyring: Keyring
    roster: RosterCache
    hotline: flow.SmsHotline
    render: Callable[[flow.Text], str]
    # Answers to one number in the flood window.
    reply_cap: int
    # The countries whose numbers are answered at all.
    countries: Collection[str]
    rights: RightsLedger
    rights_per_day: int
