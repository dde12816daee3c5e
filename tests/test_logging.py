"""Logs carry no phone numbers, whatever a message says."""

from __future__ import annotations

import json
import logging

import pytest

from hotline.logging import JsonFormatter, redact


@pytest.mark.parametrize(
    "text",
    ["+13125550188", "call 312-555-0188 now", "(312) 555 0188", "13125550188"],
)
def test_numbers_are_masked(text: str) -> None:
    assert "0188" not in redact(text)


def test_small_numbers_survive() -> None:
    assert (
        redact("section 3 of 7, attempt 2, status 403") == "section 3 of 7, attempt 2, status 403"
    )


def test_the_formatter_masks_message_and_extras() -> None:
    record = logging.makeLogRecord(
        {"msg": "from %s", "args": ("+13125550188",), "levelname": "INFO", "name": "t"}
    )
    record.detail = "+13125550188"
    line = JsonFormatter().format(record)
    assert "0188" not in line
    assert json.loads(line)["msg"] == "from [redacted]"
