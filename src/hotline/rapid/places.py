"""A witness's place made coarse before it is kept (pure).

Responders need the corner or the block, not the door: house numbers become their
hundred block (2415 → 2400), apartment and unit numbers go, and anything that looks like
a phone number goes. ZIP codes (five digits) and street numbers such as "26th" stay.
"""

from __future__ import annotations

import re
import unicodedata

MAX_PLACE = 120
# Seven digits or more, with the usual separators: a phone number, not a place.
_PHONE = re.compile(r"\+?\d(?:[\s().-]*\d){6,}")
# Apartment, unit, suite, floor (English, Spanish, Polish, French): the marker and its number.
_UNIT = re.compile(
    r"(?:\b(?:apt|apartment|unit|suite|ste|floor|fl|depto|departamento|dpto|piso|apto|"
    r"mieszkanie|lokal|m|appartement|app|etage)\b\.?|#)\s*[\w-]{1,6}\b",
    re.IGNORECASE,
)
_HOUSE = re.compile(r"(?<![\d.,:/-])\b(\d{1,2})(\d{2})\b(?![.,:/-]?\d)")


def coarse_place(text: str) -> str:
    """`text` with house numbers rounded to the hundred block, units and phone numbers gone."""
    cleaned, before = unicodedata.normalize("NFKC", text), ""
    # Taking a unit out can join two runs of digits into something like a phone number
    # ("0000#0)000"): again until nothing changes (each pass only shortens the text).
    while cleaned != before:
        before = cleaned
        cleaned = _UNIT.sub(" ", _PHONE.sub(" ", cleaned))
    cleaned = _HOUSE.sub(lambda found: f"{found.group(1)}00", cleaned)
    cleaned = " ".join(cleaned.split())
    return cleaned[:MAX_PLACE].strip(" ,;")
