"""What a caller hears: every sentence of the IVR, marked for the catalogs."""

from __future__ import annotations

from hotline.i18n.translator import N_, Msg
from hotline.rapid.kinds import ReportKind

# TRANSLATORS: one option of the language menu, spoken in its own language.
LANGUAGE_OPTION = N_("voice", "For English, press %(digit)s.")
# The urgent option comes first and stays short: a caller in danger presses 1 as soon
# as it ends (bench/urgent_path.py measures how long that takes).
MAIN_URGENT = N_("voice", "If immigration agents are at your door, press 1.")
MAIN_DETAINED = N_("voice", "If someone was just detained, also press 1.")
MAIN_RIGHTS = N_("voice", "To hear your rights, press 2.")
MAIN_REPORT = N_("voice", "To report immigration agents you see, press 3.")
MAIN_RESOURCES = N_(
    "voice", "For free legal clinics, emergency numbers and community workshops, press 4."
)
MAIN_LANGUAGE = N_("voice", "To change the language, press 9.")
MAIN_REPEAT = N_("voice", "To hear this menu again, press 0.")
NOT_AN_OPTION = N_("voice", "Sorry, that key is not on the menu.")
GOODBYE = N_("voice", "You can call this number again at any time. Goodbye.")
# Said before the phones ring, and not interruptible: as short as it can be.
URGENT_CONNECTING = N_("voice", "Connecting you. Stay on the line.")
URGENT_STILL_TRYING = N_("voice", "We are still trying to reach someone. Please stay on the line.")
# TRANSLATORS: %(minutes)s is a number of minutes.
CALLBACK_OFFER = N_(
    "voice",
    "Nobody could answer right now. Press 1, and a volunteer will call you back at this "
    "number. It usually takes about %(minutes)s minutes.",
)
CALLBACK_CONFIRMED = N_(
    "voice", "Thank you. A volunteer will call you back at this number. Goodbye."
)
# TRANSLATORS: said to a volunteer who answers; %(language)s is the caller's language.
WHISPER = N_("voice", "Urgent hotline call in %(language)s. Press 1 to accept.")
URGENT_NOBODY = N_("voice", "We could not reach anyone right now. We are sorry.")
URGENT_UNAVAILABLE = N_("voice", "Nobody can take this call right now. We are sorry.")
URGENT_ENDED = N_("voice", "Your call has ended. If you need more help, stay on the line.")
# TRANSLATORS: %(number)s and %(total)s are spoken numbers, e.g. "Part 2 of 7."
RIGHTS_PART = N_("voice", "Part %(number)s of %(total)s.")
RIGHTS_KEYS = N_(
    "voice",
    "Press 1 for the next part. Press 2 to hear this part again. "
    "Press 3 to get all the parts by text message. Press 0 for the main menu.",
)
RIGHTS_LAST_KEYS = N_(
    "voice",
    "That was the last part. Press 2 to hear it again. "
    "Press 3 to get all the parts by text message. Press 0 for the main menu.",
)
MAIN_TEXT_RIGHTS = N_("voice", "To get your rights by text message, press 8.")
TEXT_SENDING = N_(
    "voice",
    "We are sending your rights by text message to this phone. It can take a few minutes.",
)
TEXT_IMPOSSIBLE = N_(
    "voice", "We cannot send a text message to this phone, because its number is hidden."
)
TEXT_ABROAD = N_(
    "voice", "We cannot send a text message to this phone, because its number is from abroad."
)
TEXT_ALREADY_SENT = N_(
    "voice", "Your rights were already sent by text message to this phone today."
)
# Said when the hotline cannot tell whether the phone already had its texts today
# without revealing what it holds about the number (caller ID can be spoofed).
TEXT_SENDING_UNLESS = N_(
    "voice",
    "We are sending your rights by text message to this phone, unless it already got them "
    "today. It can take a few minutes.",
)
# Said when what the caller asked for cannot be kept now (the service could not record
# it): never a promise that is not kept.
TEXT_CANNOT_NOW = N_("voice", "We cannot send the text message right now.")
CALLBACK_CANNOT_NOW = N_("voice", "We cannot take your callback request right now.")
TO_A_PERSON = N_("voice", "We are connecting you to a person now.")
RESOURCES_INTRO = N_("voice", "Here are places that can help you.")
RESOURCES_KEYS = N_("voice", "Press 1 to hear this again. Press 0 for the main menu.")
# Reporting what you see (3): each option its own sentence, so a caller who knows the
# keys presses as soon as theirs is said (bench/report_path.py measures the path).
REPORT_KINDS: dict[ReportKind, Msg] = {
    ReportKind.HOME: N_("voice", "If agents are at a home, press 1."),
    ReportKind.WORK: N_("voice", "At a workplace or a school, press 2."),
    ReportKind.STREET: N_("voice", "On the street or at a checkpoint, press 3."),
    ReportKind.TAKEN: N_("voice", "If someone was taken, press 4."),
    ReportKind.OTHER: N_("voice", "For something else, press 5."),
}
REPORT_ZIP = N_("voice", "Enter the five-digit ZIP code of the place.")
REPORT_ZIP_INVALID = N_("voice", "That was not a five-digit ZIP code.")
# TRANSLATORS: %(zip)s is a ZIP code said digit by digit: "6 0 6 2 3".
REPORT_ZIP_READBACK = N_("voice", "You entered %(zip)s.")
REPORT_ZIP_RIGHT = N_("voice", "If that is right, press 1.")
REPORT_ZIP_AGAIN = N_("voice", "To enter it again, press 2.")
REPORT_WHEN_NOW = N_("voice", "If it is happening now, press 1.")
REPORT_WHEN_ENDED = N_("voice", "If it has ended, press 2.")
REPORT_THANKS = N_("voice", "Thank you. Your report goes to our responders, who will check it.")
REPORT_SAFETY = N_(
    "voice", "Stay at a safe distance and do not interfere. You may record from a safe place."
)
REPORT_STATUS = N_("voice", "This hotline never asks anyone about their immigration status.")
# Tries at the ZIP code before the report goes on without one.
ZIP_TRIES = 2
APOLOGY = N_("voice", "We are sorry, something went wrong. We are connecting you to a person now.")
APOLOGY_NO_BACKUP = N_(
    "voice", "We are sorry, something went wrong. Please call this number again in a minute."
)
