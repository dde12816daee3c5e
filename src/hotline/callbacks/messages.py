"""What volunteers read and hear about callbacks."""

from __future__ import annotations

from hotline.i18n.translator import N_

# TRANSLATORS: a text to volunteers. %(language)s is the caller's language, %(code)s a
# short number; keep the English word ACCEPT, it is the command the hotline reads.
ALERT = N_(
    "sms",
    "Hotline: a caller who speaks %(language)s needs a callback. "
    "Reply ACCEPT %(code)s to call them back.",
)
# TRANSLATORS: a reminder text to volunteers; keep the English word ACCEPT.
REALERT = N_(
    "sms",
    "Hotline: still waiting for a callback in %(language)s. Reply ACCEPT %(code)s.",
)
TAKEN = N_("sms", "Hotline: callback %(code)s was taken by another volunteer. Thank you.")
YOURS = N_(
    "sms", "Hotline: callback %(code)s is yours. The hotline is calling you now to connect you."
)
# TRANSLATORS: heard by the volunteer when the hotline calls them for a callback.
CONNECTING = N_(
    "voice",
    "This is the hotline. We are connecting you to the caller who asked for a callback "
    "in %(language)s.",
)
CALLER_GONE = N_(
    "voice", "The caller did not answer. We will keep the callback open for someone to try again."
)
