"""Messaging TwiML, built with the SDK."""

from __future__ import annotations

from collections.abc import Sequence

from twilio.twiml.messaging_response import MessagingResponse


def reply(text: str) -> str:
    """A Messaging TwiML document that answers with `text`."""
    return replies([text])


def replies(texts: Sequence[str]) -> str:
    """One text message per entry of `texts`; none at all for an empty list."""
    response = MessagingResponse()
    for text in texts:
        response.message(text)
    return str(response)
