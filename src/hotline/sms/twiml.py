"""Messaging TwiML, built with the SDK."""

from __future__ import annotations

from twilio.twiml.messaging_response import MessagingResponse


def reply(text: str) -> str:
    """A Messaging TwiML document that answers with `text`."""
    response = MessagingResponse()
    response.message(text)
    return str(response)
