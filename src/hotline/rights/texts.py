"""The know-your-rights script as text messages."""

from __future__ import annotations

from hotline.i18n.translator import N_

# TRANSLATORS: the first line of the rights sent by text message.
TEXT_HEADER = N_("sms", "Know your rights, from the immigration emergency hotline.")
# TRANSLATORS: the last line of the rights sent by text message.
TEXT_FOOTER = N_("sms", "If you need help now, call this number.")
