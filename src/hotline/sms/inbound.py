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
    """One inbound text from a number that can be texted back.

    `sid` is Twilio's MessageSid as the webhook brings it, until the router replaces it
    with a keyed hash (`outbox.service.carrier_ref`): what is kept and looked up, so a
    copy of the database cannot be joined with Twilio's logs. `forget` is Twilio's own
    id sealed, kept with the text received until the text is deleted from Twilio.
    """

    sender: str
    to: str
    sid: str
    body: str
    media: int = 0
    forget: bytes | None = None

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
