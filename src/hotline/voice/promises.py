"""What a caller is promised on a call, as the spool keeps it until the database has it.

Plain values only (the spool seals and stores them); the router turns each into the
write that keeps the promise when the database takes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class RightsRequest:
    """The rights by text to `caller`, in `lang`, asked for on the call `call_ref`."""

    caller: str
    sender: str
    lang: str
    call_ref: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CallbackRequest:
    """A volunteer to call `caller` back, in `lang`, asked for on the call `call_ref`."""

    caller: str
    sender: str
    lang: str
    call_ref: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """A sighting reported by keys: what (1 to 5), the ZIP code, whether it goes on; the
    reporter's number only when a text can reach it (for a responder's question)."""

    kind: str
    zip: str
    ongoing: bool
    lang: str
    reporter: str | None
    line: str | None
    at: datetime
