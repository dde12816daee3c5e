"""Messaging TwiML, built with the SDK."""

from __future__ import annotations

from collections.abc import Sequence

from twilio.twiml.messaging_response import MessagingResponse

from hotline.i18n.catalogs import Catalogs
from hotline.sms.messages import FALLBACK


def reply(text: str) -> str:
    """A Messaging TwiML document that answers with `text`."""
    return replies([text])


def replies(texts: Sequence[str], *, status_callback: str | None = None) -> str:
    """One text message per entry of `texts`; none at all for an empty list. Each
    message's status goes to `status_callback`, so it can be deleted from Twilio."""
    response = MessagingResponse()
    for text in texts:
        if status_callback:
            response.message(text, action=status_callback, method="POST")
        else:
            response.message(text)
    return str(response)


def fallback_reply(*, catalogs: Catalogs, codes: list[str], numbers: tuple[str, ...]) -> str:
    """The TwiML for the number's messaging fallback URL, for when this service cannot
    answer at all: one text giving the backup number, a line in each menu language."""
    if not numbers:
        raise ValueError("a fallback needs a backup number to give")
    lines = [catalogs.translator(code)(FALLBACK, number=numbers[0]) for code in codes]
    return reply("\n".join(lines))
