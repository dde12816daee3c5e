"""Phone numbers as the carrier sees them."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers


@lru_cache(maxsize=65_536)
def region(number: str) -> str | None:
    """The country a number belongs to (ISO code), if it is one."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return None


@lru_cache(maxsize=65_536)
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
