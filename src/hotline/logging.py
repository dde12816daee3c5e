"""Structured logs that never carry a phone number, a message body or a query string."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

# Anything that looks like a phone number: seven or more digits, with the separators
# people and carriers put between them. A backstop: code must not log numbers at all.
_PHONE = re.compile(r"\+?\d[\d\s().\-]{5,}\d")
# Runs of digits that are plainly not phone numbers: addresses, dates and times.
_NOT_PHONE = re.compile(r"\d{1,3}(\.\d{1,3}){3}|\d{4}-\d{2}-\d{2}|\d{2}:\d{2}(:\d{2})?")
_MIN_DIGITS = 7
_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}
# Libraries whose INFO lines are noise at best: the Twilio SDK dumps every REST request
# (URLs with message and call SIDs, which the service otherwise keeps only as keyed
# hashes), httpx logs every URL it fetches, query strings included. Shown with
# HOTLINE_LOG_LEVEL=DEBUG, else only their warnings and errors.
THIRD_PARTY = ("twilio", "httpx", "httpcore", "urllib3", "requests", "alembic", "uvicorn")


def _mask(match: re.Match[str]) -> str:
    text = match.group()
    if _NOT_PHONE.fullmatch(text) or sum(c.isdigit() for c in text) < _MIN_DIGITS:
        return text
    return "[redacted]"


def redact(text: str) -> str:
    """Text with every phone-number-like run masked."""
    return _PHONE.sub(_mask, text)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message and allow-listed extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = redact(str(value)) if isinstance(value, str) else value
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(level: str = "INFO") -> None:
    """Send hotline's logs to stderr as JSON lines; other libraries' only from WARNING
    unless debugging; silence the access log."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    debugging = root.getEffectiveLevel() <= logging.DEBUG
    for name in THIRD_PARTY:
        logging.getLogger(name).setLevel(logging.NOTSET if debugging else logging.WARNING)
    # The access log prints query strings and client addresses; requests are logged
    # by the service itself, by route and status only.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("uvicorn.error").handlers[:] = []
