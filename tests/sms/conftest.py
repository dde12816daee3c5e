"""The hotline with a roster, shared with the urgent-call tests."""

from tests.voice.test_urgent import hotline

__all__ = ["hotline"]
