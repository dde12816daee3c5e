"""A gateway that records what it was asked to do, and fails when told to."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from itertools import count

from hotline.errors import TelephonyError
from hotline.telephony.gateway import Record, Sent, is_messaging_service


@dataclass
class FakeGateway:
    """Keeps every request.

    Numbers in `refuse` fail for good with the given Twilio error code; the next
    `outages` requests fail as an unavailable Twilio would, worth retrying (after
    `retry_after` seconds, when set, as a 429 says); a request to a number in `hang`
    takes that many seconds, as a stuck connection would, before it fails.
    """

    messages: list[dict[str, str | None]] = field(default_factory=list)
    calls: list[dict[str, str | None]] = field(default_factory=list)
    deleted: list[tuple[str, str]] = field(default_factory=list)
    refuse: dict[str, int] = field(default_factory=dict)
    outages: int = 0
    retry_after: float | None = None
    hang: dict[str, float] = field(default_factory=dict)
    _ids: count[int] = field(default_factory=lambda: count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send_message(
        self, *, to: str, from_: str, body: str, status_callback: str | None = None
    ) -> Sent:
        self._stall(to)
        with self._lock:
            self._fail_if_told(to)
            sid = f"SM{next(self._ids):032d}"
            service = from_ if is_messaging_service(from_) else None
            self.messages.append(
                {
                    "to": to,
                    "from": None if service else from_,
                    "messaging_service_sid": service,
                    "body": body,
                    "status_callback": status_callback,
                    "sid": sid,
                }
            )
            return Sent(sid=sid, status="accepted" if service else "queued")

    def create_call(
        self, *, to: str, from_: str, url: str, status_callback: str | None = None
    ) -> Sent:
        self._stall(to)
        with self._lock:
            self._fail_if_told(to)
            sid = f"CA{next(self._ids):032d}"
            self.calls.append(
                {
                    "to": to,
                    "from": from_,
                    "url": url,
                    "status_callback": status_callback,
                    "sid": sid,
                }
            )
            return Sent(sid=sid, status="queued")

    def delete(self, *, kind: Record, sid: str) -> None:
        with self._lock:
            if self.outages > 0:
                self.outages -= 1
                raise TelephonyError("the fake is down", twilio_code=20500, retryable=True)
            self.deleted.append((kind, sid))

    def _stall(self, to: str) -> None:
        seconds = self.hang.get(to)
        if seconds is not None:
            time.sleep(seconds)
            raise TelephonyError("Twilio did not answer: ReadTimeout", retryable=True)

    def _fail_if_told(self, to: str) -> None:
        if self.outages > 0:
            self.outages -= 1
            code = 20429 if self.retry_after is not None else 20500
            raise TelephonyError(
                "the fake is down", twilio_code=code, retryable=True, retry_after=self.retry_after
            )
        if to in self.refuse:
            raise TelephonyError("refused by the fake", twilio_code=self.refuse[to])
