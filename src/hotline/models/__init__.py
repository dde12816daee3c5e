"""Every table, and nothing else."""

from hotline.db import metadata
from hotline.models.auth import USER_ROLES, AuditEntry, User
from hotline.models.call import Callback, CallEvent, CallRecord
from hotline.models.caller import CallerPreference
from hotline.models.outbox import FINAL, STATUS_RANK, OutboxMessage, SenderPace
from hotline.models.rapid import (
    Alert,
    Incident,
    IncidentClaim,
    IncidentEvent,
    Report,
    Subscriber,
    SubscriberZip,
    VolunteerZone,
    Zone,
    ZoneNeighbour,
    ZoneZip,
)
from hotline.models.roster import AVAILABILITY, ROLES, Shift, ShiftOverride, Volunteer
from hotline.models.sms import OptOut, SmsCase, SmsInbound

__all__ = [
    "AVAILABILITY",
    "FINAL",
    "ROLES",
    "STATUS_RANK",
    "USER_ROLES",
    "Alert",
    "AuditEntry",
    "CallEvent",
    "CallRecord",
    "Callback",
    "CallerPreference",
    "Incident",
    "IncidentClaim",
    "IncidentEvent",
    "OptOut",
    "OutboxMessage",
    "Report",
    "SenderPace",
    "Shift",
    "ShiftOverride",
    "SmsCase",
    "SmsInbound",
    "Subscriber",
    "SubscriberZip",
    "User",
    "Volunteer",
    "VolunteerZone",
    "Zone",
    "ZoneNeighbour",
    "ZoneZip",
    "metadata",
]
