"""A gateway that records what it was asked to do, and fails when told to."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from itertools import count

from hotline.errors import TelephonyError
from hotline.telephony.gateway import Sent, is_messaging_service


@dataclass
class FakeGateway:
    """Keeps every request.

    Numbers in `refuse` fail for good with the given Twilio error code; the next
    `outages` requests fail as an unavailable Twilio would, worth retrying.
    """

    messages: list[dict[str, str | None]] = field(default_factory=list)
    calls: list[dict[str, str | None]] = field(default_factory=list)
    refuse: dict[str, int] = field(default_factory=dict)
    outages: int = 0
    _ids: count[int] = field(default_factory=lambda: count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send_message(
        self, *, to: str, from_: str, body: str, status_callback: str | None = None
    ) -> Sent:
        with self._lock:
            self._fail_if_told(to)
            service = from_ if is_messaging_service(from_) else None
            self.messages.append(
                {
                    "to": to,
                    "from": None if service else from_,
                    "messaging_service_sid": service,
                    "body": body,
                    "status_callback": status_callback,
                }
            )
            return Sent(sid=f"SM{next(self._ids):032d}", status="accepted" if service else "queued")

    def _fail_if_told(self, to: str) -> None:
        if self.outages > 0:
            self.outages -= 1
            raise TelephonyError("the fake is down", twilio_code=20500, retryable=True)
        if to in self.refuse:
            raise TelephonyError("refused by the fake", twilio_code=self.refuse[to])

    def create_call(
        self, *, to: str, from_: str, url: str, status_callback: str | None = None
    ) -> Sent:
        with self._lock:
            self._fail_if_told(to)
            self.calls.append(
                {"to": to, "from": from_, "url": url, "status_callback": status_callback}
            )
            return Sent(sid=f"CA{next(self._ids):032d}", status="queued")
