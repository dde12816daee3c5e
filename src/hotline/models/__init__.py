"""Every table, and nothing else."""

from hotline.db import metadata
from hotline.models.auth import USER_ROLES, AuditEntry, ConsoleSession, User
from hotline.models.call import Callback, CallEvent, CallRecord
from hotline.models.caller import CallerPreference
from hotline.models.indicators import DISPOSITION_KINDS, Disposition, IndicatorRollup
from hotline.models.outbox import FINAL, STATUS_RANK, OutboxMessage, SenderPace
from hotline.models.roster import AVAILABILITY, ROLES, Shift, ShiftOverride, Volunteer
from hotline.models.sms import OptOut, SmsCase, SmsInbound

__all__ = [
    "AVAILABILITY",
    "DISPOSITION_KINDS",
    "FINAL",
    "ROLES",
    "STATUS_RANK",
    "USER_ROLES",
    "AuditEntry",
    "CallEvent",
    "CallRecord",
    "Callback",
    "CallerPreference",
    "ConsoleSession",
    "Disposition",
    "IndicatorRollup",
    "OptOut",
    "OutboxMessage",
    "SenderPace",
    "Shift",
    "ShiftOverride",
    "SmsCase",
    "SmsInbound",
    "User",
    "Volunteer",
    "metadata",
]
