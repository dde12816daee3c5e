"""What the hotline answers by text message (pure)."""

from __future__ import annotations

from hotline.rights.texts import CALL_US

__all__ = ["CALL_US"]
