"""A text the database could not take in time, as the spool keeps it: acted on once the
database answers, exactly once (its MessageSid is the proof), and answered then by text
if what it deserved differs from what memory answered at the time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class DeferredText:
    """A text received while the database did not answer, and what it was answered."""

    sender: str
    to: str
    sid: str
    body: str
    media: int
    answered: tuple[str, ...]
    at: datetime
    # Twilio's id, sealed, for deleting the text from Twilio once it is noted.
    forget: bytes | None = None
