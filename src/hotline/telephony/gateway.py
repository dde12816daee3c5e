"""The carrier interface: what the hotline asks of Twilio's REST API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

# What can be deleted from the carrier's logs once done with.
Record = Literal["message", "call"]


@dataclass(frozen=True, slots=True)
class Sent:
    """What the carrier answered to a request: its id and status."""

    sid: str
    status: str


def is_messaging_service(sender: str) -> bool:
    """Whether `sender` is a Twilio Messaging Service (MG…), which picks a number itself."""
    return sender.startswith("MG")


class Gateway(Protocol):
    """Sends texts, places calls, deletes their records. Errors raise TelephonyError
    with Twilio's code; a record already gone is not an error.

    A text's `from_` is a hotline number (E.164) or a Messaging Service SID (MG…): the
    gateway sends the latter as `MessagingServiceSid`, and Twilio picks the number.
    """

    def send_message(
        self, *, to: str, from_: str, body: str, status_callback: str | None = None
    ) -> Sent: ...

    def create_call(
        self, *, to: str, from_: str, url: str, status_callback: str | None = None
    ) -> Sent: ...

    def delete(self, *, kind: Record, sid: str) -> None: ...
