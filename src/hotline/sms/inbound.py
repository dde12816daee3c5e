"""A text as it arrived: the fields of Twilio's form that the text channel uses."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hotline.telephony.numbers import textable
from hotline.telephony.webhooks import first

# Twilio's ids ("SM" and 32 hex digits); anything else would not fit sms_inbound.
MESSAGE_SID = re.compile(r"[A-Za-z0-9]{1,40}")


@dataclass(frozen=True, slots=True)
class Incoming:
    """One inbound text from a number that can be texted back."""

    sender: str
    to: str
    sid: str
    body: str
    media: int = 0

    @classmethod
    def of(cls, form: dict[str, list[str]]) -> Incoming | None:
        """The text in a webhook's form; None when it cannot be answered or acted on."""
        sender, sid = first(form, "From"), first(form, "MessageSid") or first(form, "SmsSid")
        if not sender or not sid or not MESSAGE_SID.fullmatch(sid) or not textable(sender):
            return None
        return cls(
            sender=sender,
            to=first(form, "To") or "",
            sid=sid,
            body=first(form, "Body") or "",
            media=_count(first(form, "NumMedia")),
        )


def _count(value: str | None) -> int:
    # isdigit() admits "²", which int() refuses; a few ASCII digits are all Twilio sends.
    return int(value) if value and len(value) <= 3 and value.isascii() and value.isdigit() else 0
