"""Messages marked for translation, and a translator bound to one caller's language."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from typing import Literal

Channel = Literal["voice", "sms", "rights"]


@dataclass(frozen=True, slots=True)
class Msg:
    """A sentence to translate: its gettext context and its English text.

    Contexts: "voice" is only spoken, "sms" only texted, "rights" is the script,
    spoken and texted alike.
    """

    context: Channel
    text: str


def N_(context: Channel, text: str) -> Msg:  # noqa: N802 - the gettext marker name
    """Mark `text` for extraction; it is translated when it is said or sent."""
    return Msg(context, text)


class Translator:
    """Translates messages into one language."""

    def __init__(self, code: str, translations: gettext.NullTranslations) -> None:
        self.code = code
        self._translations = translations

    def __call__(self, message: Msg, **params: str) -> str:
        text = self._translations.pgettext(message.context, message.text)
        return text % params if params else text
