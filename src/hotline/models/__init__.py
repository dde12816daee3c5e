"""Every table, and nothing else."""

from hotline.db import metadata
from hotline.models.call import CallEvent
from hotline.models.caller import CallerPreference
from hotline.models.outbox import FINAL, STATUS_RANK, OutboxMessage, SenderPace

__all__ = [
    "FINAL",
    "STATUS_RANK",
    "CallEvent",
    "CallerPreference",
    "OutboxMessage",
    "SenderPace",
    "metadata",
]
