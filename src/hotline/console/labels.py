"""Names the console shows for the codes it stores, marked for the console catalog."""

from __future__ import annotations

from hotline.console.words import _l

ROLES = {
    "legal_volunteer": _l("Legal volunteer"),
    "attorney": _l("Attorney"),
    "coordinator_backup": _l("Backup coordinator"),
}
AVAILABILITY = {"on": _l("Available"), "off": _l("Off"), "break": _l("On a break")}
OUTCOMES = {
    "open": _l("Ringing"),
    "ringing": _l("Ringing"),
    "answered": _l("Answered"),
    "connected": _l("Connected"),
    "unanswered": _l("Nobody answered"),
    "callback_offered": _l("Callback offered"),
    "callback_asked": _l("Callback asked"),
}
STATUSES = {
    "waiting": _l("Waiting"),
    "claimed": _l("Taken"),
    "done": _l("Done"),
    "expired": _l("Expired"),
    "closed": _l("Closed"),
}
KINDS = {
    "rights": _l("Rights question"),
    "sighting": _l("Sighting"),
    "detention": _l("Detention"),
    "clinic": _l("Referral to a legal clinic"),
    "not_immigration": _l("Not immigration enforcement"),
    "other": _l("Other"),
}
METRICS = {
    "calls": _l("Calls"),
    "calls_language": _l("Calls in %(language)s"),
    "texts": _l("Texts received in %(language)s"),
    "urgent": _l("Urgent calls"),
    "answered": _l("Urgent calls answered"),
    "answer_median": _l("Seconds to answer, median"),
    "answer_p90": _l("Seconds to answer, 90th percentile"),
    "callbacks": _l("Callbacks made"),
    "cases": _l("Urgent text cases"),
    "dispositions": _l("Noted: %(kind)s"),
    "reports": _l("Reports: %(kind)s"),
    "incidents": _l("Incidents: %(result)s"),
}
REPORT_KINDS = {
    "home": _l("agents at a home"),
    "work": _l("agents at a workplace or school"),
    "street": _l("agents on the street or at a checkpoint"),
    "taken": _l("someone taken"),
    "other": _l("something else"),
}
RESULTS = {
    "confirmed": _l("confirmed"),
    "not-enforcement": _l("not immigration enforcement"),
    "gone": _l("gone when responders came"),
    "unverifiable": _l("could not be verified"),
    "expired": _l("nobody verified it in time"),
}
UNKNOWN_LANGUAGE = _l("no language chosen")
# What a witness reported, and where an incident being verified stands.
SIGHTINGS = {
    "home": _l("Agents at a home"),
    "work": _l("Agents at a workplace or school"),
    "street": _l("Agents on the street or at a checkpoint"),
    "taken": _l("Someone taken by agents"),
    "other": _l("Something else"),
}
VERIFYING = {
    "reported": _l("Waiting for a responder"),
    "dispatched": _l("A responder is on the way"),
}
NO_ZONE = _l("No zone")
