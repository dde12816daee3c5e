"""Messaging TwiML: the answer to every text the hotline receives.

Built as a string rather than through the SDK's element tree: the answer to a text is
one or two `<Message>`s, and the SDK spent as much on each as the rest of the webhook.
The escaping is the element tree's own (tests compare the two on hostile text).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from hotline.i18n.catalogs import Catalogs
from hotline.sms.messages import FALLBACK


def reply(text: str) -> str:
    """A Messaging TwiML document that answers with `text`."""
    return replies([text])


def replies(texts: Sequence[str], *, status_callback: str | None = None) -> str:
    """One text message per entry of `texts`; none at all for an empty list. Each
    message's status goes to `status_callback`, so it can be deleted from Twilio."""
    if not texts:
        return f"{_DECLARATION}<Response />"
    opening = (
        f'<Message action="{_attribute(status_callback)}" method="POST"'
        if status_callback
        else "<Message"
    )
    messages = "".join(
        f"{opening}>{_text(text)}</Message>" if text else f"{opening} />" for text in texts
    )
    return f"{_DECLARATION}<Response>{messages}</Response>"


_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ATTRIBUTE = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\n": "&#10;",
        "\r": "&#13;",
        "\t": "&#09;",
    }
)


def _text(text: str) -> str:
    return text.translate(_TEXT) if "&" in text or "<" in text or ">" in text else text


@lru_cache(maxsize=64)
def _attribute(value: str) -> str:
    return value.translate(_ATTRIBUTE)


def fallback_reply(*, catalogs: Catalogs, codes: list[str], numbers: tuple[str, ...]) -> str:
    """The TwiML for the number's messaging fallback URL, for when this service cannot
    answer at all: one text giving the backup number, a line in each menu language."""
    if not numbers:
        raise ValueError("a fallback needs a backup number to give")
    lines = [catalogs.translator(code)(FALLBACK, number=numbers[0]) for code in codes]
    return reply("\n".join(lines))
