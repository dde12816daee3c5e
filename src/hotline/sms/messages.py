"""What the hotline texts back."""

from __future__ import annotations

from hotline.i18n.translator import N_

# TRANSLATORS: one line of the language menu by text, in its own language.
LANGUAGE_OPTION = N_("sms", "For English, reply %(digit)s.")
# TRANSLATORS: %(rights)s, %(resources)s, %(language)s and %(help)s are keywords the
# texter can send back, already in this language; keep them as placeholders.
MENU = N_(
    "sms",
    "Immigration emergency hotline. Reply %(rights)s to get your rights, %(resources)s for "
    "free legal help, %(language)s to change the language, %(help)s for information. "
    "For urgent help, call this number.",
)
# TRANSLATORS: %(stop)s is the keyword that stops texts, in this language.
INFO = N_(
    "sms",
    "This hotline is run by volunteers for people facing immigration enforcement. "
    "For urgent help, call this number. Reply %(stop)s to get no more texts.",
)
# TRANSLATORS: %(start)s is the keyword that starts texts again, in this language.
OPTED_OUT = N_(
    "sms", "You will get no more texts from this number. Reply %(start)s to start again."
)
OPTED_IN = N_("sms", "You will get texts from this number again.")
DELETED = N_("sms", "We deleted everything we held about your phone number.")
RESOURCES_INTRO = N_("sms", "Places that can help you:")
# TRANSLATORS: one line of the resources list; %(name)s an organisation, %(phone)s its number.
RESOURCE_CLINIC = N_("sms", "Free legal clinic: %(name)s, %(phone)s")
RESOURCE_EMERGENCY = N_("sms", "Emergency line, day and night: %(name)s, %(phone)s")
RESOURCE_WORKSHOP = N_("sms", "Workshop on your rights: %(name)s, %(phone)s")
