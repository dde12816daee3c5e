"""Every table, and nothing else."""

from hotline.db import metadata
from hotline.models.auth import USER_ROLES, AuditEntry, ConsoleSession, User
from hotline.models.call import Callback, CallEvent, CallRecord
from hotline.models.caller import CallerPreference
from hotline.models.claim import (
    Claim,
    ClaimAlert,
    ClaimFailure,
    ClaimHolder,
    ClaimKind,
    ClaimLockout,
    ClaimStatus,
)
from hotline.models.deployment import KeyCheck, SpoolApplied
from hotline.models.indicators import DISPOSITION_KINDS, Disposition, IndicatorRollup
from hotline.models.outbox import (
    BULK,
    FINAL,
    REFUSALS,
    STATUS_RANK,
    CarrierDeletion,
    OutboxMessage,
    RightsSent,
    SenderPace,
)
from hotline.models.rapid import (
    Alert,
    Incident,
    IncidentEvent,
    Report,
    ReportDraft,
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
    "BULK",
    "DISPOSITION_KINDS",
    "FINAL",
    "REFUSALS",
    "ROLES",
    "STATUS_RANK",
    "USER_ROLES",
    "Alert",
    "AuditEntry",
    "CallEvent",
    "CallRecord",
    "Callback",
    "CallerPreference",
    "CarrierDeletion",
    "Claim",
    "ClaimAlert",
    "ClaimFailure",
    "ClaimHolder",
    "ClaimKind",
    "ClaimLockout",
    "ClaimStatus",
    "ConsoleSession",
    "Disposition",
    "Incident",
    "IncidentEvent",
    "IndicatorRollup",
    "KeyCheck",
    "OptOut",
    "OutboxMessage",
    "Report",
    "ReportDraft",
    "RightsSent",
    "SenderPace",
    "Shift",
    "ShiftOverride",
    "SmsCase",
    "SmsInbound",
    "SpoolApplied",
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
