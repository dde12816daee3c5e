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


# What carriers put in caller ID for a withheld number: the keypad spellings of
# ANONYMOUS, RESTRICTED, BLOCKED, UNKNOWN and UNAVAILABLE. Every withheld caller shares
# them, so nothing may be remembered or linked under one.
WITHHELD = frozenset({"+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253"})


@lru_cache(maxsize=65_536)
def textable(number: str | None) -> bool:
    """True when `number` is a real E.164 number a text message can be sent to.

    Withheld callers arrive as "anonymous", "restricted" or a carrier placeholder,
    none of which count.
    """
    if not number or not number.startswith("+") or number in WITHHELD:
        return False
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(parsed)
