"""What the hotline texts back to a volunteer's NOTE."""

from __future__ import annotations

from hotline.i18n.translator import N_

# TRANSLATORS: to a volunteer. %(code)s is a short number, %(kind)s one of the English
# words RIGHTS, SIGHTING, DETENTION, CLINIC, NOTIMM or OTHER; keep it as it is.
NOTED = N_("sms", "Hotline: noted, %(code)s was about %(kind)s. Thank you.")
# TRANSLATORS: to a volunteer. Keep the English words NOTE, RIGHTS, SIGHTING, DETENTION,
# CLINIC, NOTIMM and OTHER: they are what the hotline reads.
NOTE_HOW = N_(
    "sms",
    "Hotline: to note what a call was about, send NOTE, its code and one word: "
    "RIGHTS, SIGHTING, DETENTION, CLINIC, NOTIMM or OTHER.",
)
# TRANSLATORS: to a volunteer. %(code)s is the short number they sent.
NOTE_UNKNOWN = N_("sms", "Hotline: you took no call or case with the code %(code)s this week.")
