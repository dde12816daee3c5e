"""A gateway that records what it was asked to do, and fails when told to."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count

from hotline.errors import TelephonyError
from hotline.telephony.gateway import Sent


@dataclass
class FakeGateway:
    """Keeps every request; numbers in `refuse` fail with the given Twilio error code."""

    messages: list[dict[str, str | None]] = field(default_factory=list)
    calls: list[dict[str, str | None]] = field(default_factory=list)
    refuse: dict[str, int] = field(default_factory=dict)
    _ids: count[int] = field(default_factory=lambda: count(1))

    def send_message(
        self, *, to: str, from_: str, body: str, status_callback: str | None = None
    ) -> Sent:
        if to in self.refuse:
            raise TelephonyError("refused by the fake", twilio_code=self.refuse[to])
        self.messages.append(
            {"to": to, "from": from_, "body": body, "status_callback": status_callback}
        )
        return Sent(sid=f"SM{next(self._ids):032d}", status="queued")

    def create_call(
        self, *, to: str, from_: str, url: str, status_callback: str | None = None
    ) -> Sent:
        if to in self.refuse:
            raise TelephonyError("refused by the fake", twilio_code=self.refuse[to])
        self.calls.append({"to": to, "from": from_, "url": url, "status_callback": status_callback})
        return Sent(sid=f"CA{next(self._ids):032d}", status="queued")
