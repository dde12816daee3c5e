"""The escalation policy: who an urgent call rings, tier after tier (pure).

The defaults: every on-call volunteer who speaks the caller's language at once; then
every other on-call volunteer (the whisper names the caller's language, so one can
bring in an interpreter); then the backup number; then the offer of a callback.
A tier with nobody in it is skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from hotline.i18n.languages import first_spoken
from hotline.routing.oncall import Person

TierKind = Literal["language", "others", "backup", "callback"]
TIER_KINDS: tuple[TierKind, ...] = ("language", "others", "backup", "callback")
# Twilio rings at most ten numbers of one <Dial> at once.
MAX_LEGS = 10
BACKUP_LEG = 0


@dataclass(frozen=True, slots=True)
class Tier:
    """One step of the policy, and how long its phones ring."""

    kind: TierKind
    ring_seconds: int = 25


DEFAULT_TIERS = (
    Tier("language", 25),
    Tier("others", 25),
    Tier("backup", 30),
    Tier("callback", 0),
)


def parse_tiers(text: str) -> tuple[Tier, ...]:
    """Tiers written as "language:25,others:25,backup:30,callback"."""
    tiers = []
    for entry in (part.strip() for part in text.split(",")):
        kind, _, seconds = entry.partition(":")
        if kind not in TIER_KINDS:
            raise ValueError(f"unknown escalation tier {kind!r}; use {', '.join(TIER_KINDS)}")
        ring = int(seconds) if seconds else 25
        if kind != "callback" and not 5 <= ring <= 120:
            raise ValueError("a tier rings between 5 and 120 seconds")
        tiers.append(Tier(kind, ring))
    if not tiers:
        raise ValueError("the escalation policy needs at least one tier")
    return tuple(tiers)


@dataclass(frozen=True, slots=True)
class Leg:
    """A phone to ring: a volunteer's (screened with a whisper in `whisper_lang`) or the
    backup number (volunteer_id 0, not screened)."""

    volunteer_id: int
    number: str
    whisper_lang: str = ""

    @property
    def screened(self) -> bool:
        return self.volunteer_id != BACKUP_LEG


@dataclass(frozen=True, slots=True)
class Step:
    """Tier `number` (from 1) as it stands now: its kind, phones, and ring time."""

    number: int
    kind: TierKind
    legs: tuple[Leg, ...]
    ring_seconds: int


@dataclass(frozen=True, slots=True)
class Plan:
    """The tiers with someone in them, in order."""

    steps: tuple[Step, ...]

    def after(self, tier: int) -> Step | None:
        """The first step after tier `tier` (0 for the first of all)."""
        return next((step for step in self.steps if step.number > tier), None)


def plan(
    *,
    tiers: Sequence[Tier],
    on_call: Sequence[Person],
    language: str,
    enabled: Collection[str],
    backup_numbers: Sequence[str],
    can_call_back: bool,
    phone: Callable[[Person], str],
) -> Plan:
    """What each tier would ring now, for a caller speaking `language`."""
    speakers = sorted(
        (p for p in on_call if p.fluency(language) is not None),
        key=lambda p: (p.fluency(language), p.id),
    )
    others = [p for p in on_call if p.fluency(language) is None]
    steps = []
    for number, tier in enumerate(tiers, start=1):
        legs: tuple[Leg, ...] = ()
        if tier.kind == "language":
            legs = tuple(_leg(p, language, enabled, phone) for p in speakers[:MAX_LEGS])
        elif tier.kind == "others":
            legs = tuple(_leg(p, language, enabled, phone) for p in others[:MAX_LEGS])
        elif tier.kind == "backup":
            # Every backup number rings at once: whoever picks up first takes the call.
            legs = tuple(Leg(BACKUP_LEG, number) for number in backup_numbers)
        if legs or (tier.kind == "callback" and can_call_back):
            steps.append(Step(number, tier.kind, legs, tier.ring_seconds))
    return Plan(tuple(steps))


def _leg(
    person: Person, language: str, enabled: Collection[str], phone: Callable[[Person], str]
) -> Leg:
    # The whisper is in the caller's language when the volunteer speaks it, else in the
    # volunteer's best language the hotline speaks.
    if person.fluency(language) is not None:
        return Leg(person.id, phone(person), language)
    return Leg(person.id, phone(person), first_spoken(person.languages, enabled, fallback=language))
