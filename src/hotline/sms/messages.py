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
# TRANSLATORS: sent by Twilio when the hotline is down; %(number)s is a number to call.
FALLBACK = N_(
    "sms", "This hotline cannot answer texts right now. For urgent help, call %(number)s."
)
RIGHTS_SENT_TODAY = N_(
    "sms", "You already got your rights by text today. Scroll up to read them again."
)
DELETED = N_("sms", "We deleted everything we held about your phone number.")
RESOURCES_INTRO = N_("sms", "Places that can help you:")
# TRANSLATORS: one line of the resources list; %(name)s an organisation, %(phone)s its number.
RESOURCE_CLINIC = N_("sms", "Free legal clinic: %(name)s, %(phone)s")
RESOURCE_EMERGENCY = N_("sms", "Emergency line, day and night: %(name)s, %(phone)s")
RESOURCE_WORKSHOP = N_("sms", "Workshop on your rights: %(name)s, %(phone)s")

# --- urgent help by text, relayed through a volunteer ---------------------------------

CASE_OPENED = N_(
    "sms",
    "We got your message. A volunteer will answer you here soon. If you can, call this number.",
)
CASE_ENDED = N_(
    "sms", "Your conversation with the volunteer has ended. Text again if you need help."
)
# TRANSLATORS: to volunteers. %(language)s is the texter's language, %(first)s their
# first message, %(code)s a short number; keep the English word ACCEPT.
CASE_ALERT = N_(
    "sms",
    'Hotline: urgent text in %(language)s: "%(first)s". Reply ACCEPT %(code)s to answer it.',
)
# TRANSLATORS: keep the English word DONE; it is the command the hotline reads.
CASE_YOURS = N_(
    "sms",
    "Hotline: case %(code)s is yours. Start your texts with %(code)s to answer; "
    "send DONE %(code)s to end it.",
)
CASE_TAKEN = N_("sms", "Hotline: case %(code)s was taken by another volunteer. Thank you.")
CASE_CLOSED = N_("sms", "Hotline: case %(code)s is closed.")
# TRANSLATORS: to volunteers, when the volunteer of a text case can no longer help.
# %(language)s is the texter's language, %(code)s a number; keep the English word ACCEPT.
CASE_REALERT = N_(
    "sms",
    "Hotline: an urgent text in %(language)s needs a new volunteer. "
    "Reply ACCEPT %(code)s to answer it.",
)
# TRANSLATORS: to the person who asked for help by text, when their volunteer left.
CASE_RETURNED = N_(
    "sms",
    "The volunteer who was helping you is no longer available. "
    "We are asking another volunteer to answer you here.",
)
# TRANSLATORS: the answer to DONE with a code the volunteer does not hold; keep DONE.
NO_SUCH_CASE = N_("sms", "Hotline: you have no open case with the code %(code)s.")
# TRANSLATORS: the volunteer commands stay in English: they are what the hotline reads.
COMMANDS = N_(
    "sms",
    "Hotline commands: ON, OFF, BREAK 30 (minutes), STATUS, ACCEPT code, DONE code. "
    "Responders: GO code, then CONFIRMED, NOTICE, GONE or UNSURE code; ASK code question.",
)
ON_CALL_NOW = N_("sms", "Hotline: you are on call now. Your availability: %(availability)s.")
OFF_CALL_NOW = N_("sms", "Hotline: you are not on call now. Your availability: %(availability)s.")

# --- reports by text (REPORT, or "reply 1" to a text that reads like a report) --------

# TRANSLATORS: the answer to a first text that reads like a report of immigration agents
# ("ICE at 26th and Pulaski"). Keep the digit 1.
REPORT_OFFER = N_(
    "sms",
    "Immigration emergency hotline. To report what you wrote to our responders, reply 1.",
)
# TRANSLATORS: the first question of a report by text; the texter replies with one digit.
REPORT_WHAT = N_(
    "sms",
    "What did you see? Reply 1 for agents at a home, 2 at a workplace or school, "
    "3 on the street or at a checkpoint, 4 if someone was taken, 5 for something else.",
)
REPORT_WHAT_AGAIN = N_(
    "sms",
    "Please reply with one number: 1 agents at a home, 2 at a workplace or school, "
    "3 on the street or at a checkpoint, 4 someone was taken, 5 something else.",
)
# TRANSLATORS: 26th and Pulaski is an example of cross streets in Chicago; you may keep
# it or use the way streets are named in your language ("26 y Pulaski").
REPORT_WHERE = N_(
    "sms", "Where is it? Reply with the ZIP code, or the cross streets, like 26th and Pulaski."
)
REPORT_WHEN = N_(
    "sms", "Is it happening now? Reply 1 if it is happening now, or 2 if it already ended."
)
REPORT_WHEN_AGAIN = N_("sms", "Please reply 1 if it is happening now, or 2 if it already ended.")
