"""Who a call-out texts, stage after stage, until a responder takes it (pure).

A new incident texts the on-call responders of its zone. Nobody takes it (`GO`) within
the re-alert interval (5 minutes by default): the zone's responders are texted again,
those who came on call since included; then the neighbouring zones' responders; then the
coordinators (on-call coordinator backups, else every active one, else the backup
number). A stage with nobody in it is skipped at once. Every stage is recorded in the
incident's history by the service that applies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

from hotline.routing.oncall import Person

COORDINATOR_ROLE = "coordinator_backup"


class Stage(IntEnum):
    """How far a call-out has gone; NONE before the first text, DONE after the last."""

    NONE = 0
    ZONE = 1
    REALERT = 2
    NEIGHBOURS = 3
    COORDINATORS = 4
    DONE = 5

    @property
    def step(self) -> str:
        """The name of the stage in an incident's history."""
        return {
            Stage.ZONE: "called-out",
            Stage.REALERT: "re-alerted",
            Stage.NEIGHBOURS: "neighbours",
            Stage.COORDINATORS: "coordinators",
        }.get(self, "done")


@dataclass(frozen=True, slots=True)
class Crowd:
    """Who could be texted now, for each stage of one incident's call-out."""

    zone: Sequence[Person]
    neighbours: Sequence[Person]
    coordinators: Sequence[Person]
    # The number texted when no coordinator backup volunteer is active.
    backup_number: str | None = None

    def at(self, stage: Stage) -> Sequence[Person]:
        if stage in (Stage.ZONE, Stage.REALERT):
            return self.zone
        if stage == Stage.NEIGHBOURS:
            zone_ids = {person.id for person in self.zone}
            return [person for person in self.neighbours if person.id not in zone_ids]
        if stage == Stage.COORDINATORS:
            return self.coordinators
        return ()


@dataclass(frozen=True, slots=True)
class Advance:
    """The stage reached, who to text, and when to look again (None: never)."""

    stage: Stage
    people: tuple[Person, ...]
    backup: str | None
    next_at: datetime | None
    # Stages passed over because nobody was in them.
    skipped: tuple[Stage, ...] = ()


def advance(*, stage: Stage, crowd: Crowd, now: datetime, realert_after: timedelta) -> Advance:
    """The next stage after `stage` with someone to text in it."""
    skipped: list[Stage] = []
    current = Stage(stage + 1)
    while current < Stage.DONE:
        people = tuple(crowd.at(current))
        backup = crowd.backup_number if current == Stage.COORDINATORS and not people else None
        if people or backup:
            return Advance(current, people, backup, now + realert_after, tuple(skipped))
        skipped.append(current)
        current = Stage(current + 1)
    return Advance(Stage.DONE, (), None, None, tuple(skipped))


def coordinators(
    on_call: Sequence[Person], everyone: Sequence[Person], at: datetime
) -> list[Person]:
    """The coordinator backups to text: those on call, else every active, available one."""
    chosen = [p for p in on_call if p.role == COORDINATOR_ROLE]
    if chosen:
        return chosen
    return [p for p in everyone if p.role == COORDINATOR_ROLE and p.available(at)]


def is_due(*, next_at: datetime | None, now: datetime) -> bool:
    """Whether a call-out's next stage has come."""
    return next_at is not None and next_at <= now
