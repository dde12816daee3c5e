"""Logs carry no phone numbers, whatever a message says."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from hotline.logging import THIRD_PARTY, JsonFormatter, configure, redact
from hotline.simulator.standin import StandinRecord
from hotline.telephony.twilio_gateway import TwilioGateway
from tests.support import ACCOUNT_SID, TOKEN


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


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """configure() changes process-wide state: put it back for the tests that follow."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    loggers = [logging.getLogger(name) for name in (*THIRD_PARTY, "uvicorn.access")]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    error_handlers = logging.getLogger("uvicorn.error").handlers[:]
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for logger, logger_level, disabled in saved:
        logger.setLevel(logger_level)
        logger.disabled = disabled
    logging.getLogger("uvicorn.error").handlers[:] = error_handlers


def twilio_and_httpx_requests(standin_url: str) -> None:
    """A text through the Twilio SDK and a listing through httpx, both to the local
    stand-in: what the dispatcher and `hotline simulate messages` do."""
    gateway = TwilioGateway(account_sid=ACCOUNT_SID, auth_token=TOKEN, api_url=standin_url)
    gateway.send_message(to="+13125550188", from_="+13125550100", body="Hola")
    httpx.get(
        f"{standin_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
        params={"To": "+13125550188"},
        auth=(ACCOUNT_SID, TOKEN),
    )


def test_other_libraries_log_nothing_of_a_request_at_info(
    standin: tuple[str, StandinRecord],
    restored_logging: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure("INFO")
    twilio_and_httpx_requests(standin[0])
    logging.getLogger("hotline.test").info("ours still show")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["logger"] for line in lines] == ["hotline.test"]


def test_other_libraries_log_their_requests_when_debugging_and_no_number(
    standin: tuple[str, StandinRecord],
    restored_logging: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure("debug")
    twilio_and_httpx_requests(standin[0])
    err = capsys.readouterr().err
    loggers = {json.loads(line)["logger"] for line in err.splitlines()}
    assert {"twilio.http_client", "httpx"} <= loggers
    assert "5550188" not in err


def test_their_warnings_still_show(
    restored_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure("INFO")
    for name in THIRD_PARTY:
        logging.getLogger(f"{name}.somewhere").info("chatter")
        logging.getLogger(f"{name}.somewhere").warning("trouble")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["msg"] for line in lines] == ["trouble"] * len(THIRD_PARTY)
