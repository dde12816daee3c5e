"""What responders, reporters and subscribers read about rapid response."""

from __future__ import annotations

from hotline.i18n.translator import N_, Msg
from hotline.rapid.kinds import ReportKind

# --- to responders: call-outs and their replies --------------------------------------

# TRANSLATORS: what was seen, in a call-out to responders: "Hotline call-out 1234:
# <this> in Pilsen …". Short.
KIND_PHRASE: dict[ReportKind, Msg] = {
    ReportKind.HOME: N_("sms", "agents at a home"),
    ReportKind.WORK: N_("sms", "agents at a workplace or school"),
    ReportKind.STREET: N_("sms", "agents on the street or at a checkpoint"),
    ReportKind.TAKEN: N_("sms", "someone taken by agents"),
    ReportKind.OTHER: N_("sms", "immigration enforcement"),
}
# TRANSLATORS: to responders. %(what)s is one of the phrases above, %(area)s a zone's
# name, %(place)s a ZIP code or cross streets in the witness's words, %(time)s a time
# of day, %(code)s a number. Keep the English word GO: it is the command the hotline reads.
CALLOUT_NOW = N_(
    "sms",
    "Hotline call-out %(code)s: %(what)s reported in %(area)s at %(time)s, happening now. "
    "Place: %(place)s. Reply GO %(code)s if you can go and look.",
)
CALLOUT_ENDED = N_(
    "sms",
    "Hotline call-out %(code)s: %(what)s reported in %(area)s at %(time)s, already over. "
    "Place: %(place)s. Reply GO %(code)s if you can go and look.",
)
# TRANSLATORS: a reminder to responders; keep the English word GO.
CALLOUT_AGAIN = N_(
    "sms",
    "Hotline: nobody has taken call-out %(code)s yet (%(what)s in %(area)s, place: %(place)s). "
    "Reply GO %(code)s if you can go.",
)
# TRANSLATORS: to coordinators when no responder took a call-out; keep the English GO.
CALLOUT_COORDINATOR = N_(
    "sms",
    "Hotline: no responder took call-out %(code)s (%(what)s in %(area)s, place: %(place)s). "
    "Send someone, or reply GO %(code)s if you go yourself.",
)
# TRANSLATORS: %(area)s when a report's place is in no zone.
NO_AREA = N_("sms", "an area without a zone")
# TRANSLATORS: keep the English words CONFIRMED, NOTICE, GONE and UNSURE: they are the
# commands the hotline reads.
GO_YOURS = N_(
    "sms",
    "Hotline: call-out %(code)s is yours. Stay at a safe distance. Then reply CONFIRMED "
    "%(code)s (immigration agents), NOTICE %(code)s (not immigration), GONE %(code)s "
    "(nobody there) or UNSURE %(code)s.",
)
GO_TAKEN = N_("sms", "Hotline: call-out %(code)s is taken. Thank you.")
GO_UNKNOWN = N_("sms", "Hotline: there is no open call-out with the code %(code)s for you.")
RESULT_CONFIRMED = N_(
    "sms", "Hotline: thank you. Call-out %(code)s is confirmed; the area will be alerted."
)
RESULT_NOTICE = N_(
    "sms", "Hotline: thank you. Call-out %(code)s is recorded as not immigration enforcement."
)
RESULT_GONE = N_("sms", "Hotline: thank you. Call-out %(code)s is recorded as nobody there.")
RESULT_UNSURE = N_("sms", "Hotline: thank you. Call-out %(code)s is recorded as unsure.")
# TRANSLATORS: keep the English word GO.
RESULT_NOT_YOURS = N_(
    "sms", "Hotline: only a responder who replied GO %(code)s can report on call-out %(code)s."
)

# --- to the witness ----------------------------------------------------------------------

REPORT_RECEIVED = N_(
    "sms",
    "Thank you. Your report went to our responders, who will check it. Stay at a safe "
    "distance and do not interfere; you may record from a safe place. This hotline never "
    "asks anyone about their immigration status.",
)

# --- to subscribers ----------------------------------------------------------------------

# TRANSLATORS: an alert to subscribers. %(area)s is a zone's name, %(time)s a time of day
# (rounded to the quarter hour), %(rights)s the keyword that gets the rights by text.
ALERT: dict[ReportKind, Msg] = {
    ReportKind.HOME: N_(
        "sms",
        "Hotline alert, confirmed by our responders: immigration agents at a home in "
        "%(area)s around %(time)s. Know your rights: reply %(rights)s.",
    ),
    ReportKind.WORK: N_(
        "sms",
        "Hotline alert, confirmed by our responders: immigration agents at a workplace or "
        "school in %(area)s around %(time)s. Know your rights: reply %(rights)s.",
    ),
    ReportKind.STREET: N_(
        "sms",
        "Hotline alert, confirmed by our responders: immigration agents on the street or at "
        "a checkpoint in %(area)s around %(time)s. Know your rights: reply %(rights)s.",
    ),
    ReportKind.TAKEN: N_(
        "sms",
        "Hotline alert, confirmed by our responders: immigration agents took someone in "
        "%(area)s around %(time)s. Know your rights: reply %(rights)s.",
    ),
    ReportKind.OTHER: N_(
        "sms",
        "Hotline alert, confirmed by our responders: immigration enforcement in %(area)s "
        "around %(time)s. Know your rights: reply %(rights)s.",
    ),
}
# TRANSLATORS: a correction to subscribers; %(area)s a zone's name, %(time)s a time of day.
CORRECTION = N_(
    "sms",
    "Hotline update: our responders checked the report in %(area)s around %(time)s. It was "
    "not immigration enforcement.",
)
# TRANSLATORS: %(areas)s lists zone names; %(alerts)s and %(stop)s are keywords in this
# language ("ALERTAS PARAR" to stop).
SUBSCRIBED = N_(
    "sms",
    "You will get hotline alerts for %(areas)s, only when our responders have confirmed "
    "them. Reply %(alerts)s %(stop)s to stop.",
)
# TRANSLATORS: %(alerts)s, %(corrections)s are keywords; %(zip)s a ZIP code.
CORRECTIONS_OFFER = N_(
    "sms",
    "To also get word when a report was a false alarm, reply %(alerts)s %(zip)s %(corrections)s.",
)
CORRECTIONS_ON = N_("sms", "You will also get word when a report was a false alarm.")
# TRANSLATORS: %(zips)s lists ZIP codes.
UNCOVERED = N_("sms", "No alert area covers %(zips)s yet.")
NOTHING_COVERED = N_(
    "sms",
    "No alert area covers these ZIP codes yet. We will keep them and alert you when one does.",
)
UNSUBSCRIBED = N_("sms", "You will get no more hotline alerts.")
# TRANSLATORS: %(alerts)s is the keyword in this language; 60623 is an example ZIP code.
ALERTS_HOW = N_(
    "sms",
    "To get alerts, reply %(alerts)s and one or more ZIP codes, like %(alerts)s 60623. "
    "To stop, reply %(alerts)s %(stop)s.",
)

# --- a responder's question to the reporters, through the masked relay ------------------

# TRANSLATORS: to someone who reported by text; %(question)s is a responder's question,
# in the responder's words. They answer by replying to the hotline's number.
ASK_RELAYED = N_(
    "sms",
    'Hotline: a responder checking your report asks: "%(question)s" Reply here to answer. '
    "Your number is not shown to them.",
)
# TRANSLATORS: to a responder; keep the English word ASK and the code in brackets.
ASK_SENT = N_(
    "sms",
    "Hotline: your question on call-out %(code)s went to those who reported it by text. "
    "Their answers will come here after [%(code)s].",
)
ASK_NOBODY = N_(
    "sms",
    "Hotline: nobody can be asked about call-out %(code)s. Only people who reported it by "
    "text can, while it is open.",
)
