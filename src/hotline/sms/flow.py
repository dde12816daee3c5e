"""What the hotline answers by text message (pure)."""

from __future__ import annotations

from hotline.i18n.translator import N_

# Until the text conversation exists, a text is answered with where help is now.
CALL_US = N_(
    "sms",
    "This is the immigration emergency hotline. Call this number to hear your rights "
    "or to reach a legal volunteer.",
)
