"""What a report can be about, and the statuses of an incident and an alert (pure).

The sets of open and closed statuses are answered here once, not in tuples scattered
through the services.
"""

from __future__ import annotations

from enum import StrEnum


class ReportKind(StrEnum):
    """What the witness saw; the voice menu's keys 1 to 5, in this order."""

    HOME = "home"
    WORK = "work"
    STREET = "street"
    TAKEN = "taken"
    OTHER = "other"

    @classmethod
    def from_digit(cls, digit: str) -> ReportKind | None:
        """The kind a key means in the voice menu (1 to 5), if any."""
        members = list(cls)
        if len(digit) == 1 and digit.isdigit() and 1 <= int(digit) <= len(members):
            return members[int(digit) - 1]
        return None

    @property
    def digit(self) -> str:
        return str(list(ReportKind).index(self) + 1)


class Channel(StrEnum):
    """How a report reached the hotline."""

    VOICE = "voice"
    SMS = "sms"
    API = "api"


class IncidentStatus(StrEnum):
    """reported → dispatched → confirmed / not-enforcement / gone / unverifiable / expired."""

    REPORTED = "reported"
    DISPATCHED = "dispatched"
    CONFIRMED = "confirmed"
    NOT_ENFORCEMENT = "not-enforcement"
    GONE = "gone"
    UNVERIFIABLE = "unverifiable"
    EXPIRED = "expired"

    @classmethod
    def open_statuses(cls) -> frozenset[IncidentStatus]:
        """Still being verified: responders may be called out or be on their way."""
        return frozenset({cls.REPORTED, cls.DISPATCHED})

    @classmethod
    def closed_statuses(cls) -> frozenset[IncidentStatus]:
        """Finished: the reports are closed and their reporters' numbers deleted."""
        return frozenset(cls) - cls.open_statuses()

    @property
    def is_open(self) -> bool:
        return self in self.open_statuses()


class ReportStatus(StrEnum):
    """A report is open while its incident is."""

    OPEN = "open"
    CLOSED = "closed"


class AlertKind(StrEnum):
    """A verified alert, or a correction of a false alarm."""

    CONFIRMED = "confirmed"
    CORRECTION = "correction"


class AlertStatus(StrEnum):
    """awaiting-approval → sending → sent; or dropped (expired, or the incident is gone)."""

    AWAITING_APPROVAL = "awaiting-approval"
    SENDING = "sending"
    SENT = "sent"
    DROPPED = "dropped"

    @classmethod
    def pending_statuses(cls) -> frozenset[AlertStatus]:
        """Not finished: waiting for a coordinator, or still being queued."""
        return frozenset({cls.AWAITING_APPROVAL, cls.SENDING})
