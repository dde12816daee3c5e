"""Phone numbers as the carrier sees them."""

from __future__ import annotations

import phonenumbers


def textable(number: str | None) -> bool:
    """True when `number` is a real E.164 number a text message can be sent to.

    Withheld callers arrive as "anonymous", "restricted" or a carrier placeholder,
    none of which parse as a valid number.
    """
    if not number or not number.startswith("+"):
        return False
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(parsed)
