"""Every table, and nothing else."""

from hotline.db import metadata
from hotline.models.call import CallEvent

__all__ = ["CallEvent", "metadata"]
