"""What volunteers and coordinators read about claims, whatever their kind."""

from __future__ import annotations

from hotline.i18n.translator import N_

# TRANSLATORS: the answer to ACCEPT with a code that is unknown, closed, already taken,
# or not one this volunteer was sent; one answer for all, on purpose. %(code)s as typed.
NOT_AVAILABLE = N_(
    "sms",
    "Hotline: %(code)s is not open for you to accept. It may be taken, closed or mistyped.",
)
# TRANSLATORS: to coordinators. %(name)s is a volunteer's name, %(id)s their number in the
# roster (not a phone number).
LOCKED_OUT = N_(
    "sms",
    "Hotline: volunteer %(name)s (roster id %(id)s) sent 5 wrong codes within an hour. "
    "Their ACCEPT and GO are paused for an hour.",
)
