"""The carrier interface: what the hotline asks of Twilio's REST API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Sent:
    """What the carrier answered to a request: its id and status."""

    sid: str
    status: str


class Gateway(Protocol):
    """Sends texts and places calls. Errors raise TelephonyError with Twilio's code."""

    def send_message(
        self, *, to: str, from_: str, body: str, status_callback: str | None = None
    ) -> Sent: ...

    def create_call(
        self, *, to: str, from_: str, url: str, status_callback: str | None = None
    ) -> Sent: ...
