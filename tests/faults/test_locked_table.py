"""Every table a webhook writes to locked (ACCESS EXCLUSIVE) for 20 s under steady
traffic: each webhook answered within 2 s with TwiML, and what it had to write lands
exactly once after the lock goes."""

from __future__ import annotations

import time
from functools import partial

import pytest
from sqlalchemy import text

from tests.faults.calls import Promises, Traffic, assert_all_kept, one_round
from tests.faults.conftest import Deployment

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(150)]

TWILIO_SECONDS = 0.15

LOCKED_SECONDS = 20.0
WEBHOOK_SECONDS = 2.0
TABLES = (
    "sms_inbound",
    "opt_out",
    "caller_preference",
    "rights_sent",
    "outbox_message",
    "callback",
    "claim",
    "claim_alert",
    "sms_case",
    "call_event",
    "call_record",
    "carrier_deletion",
    "spool_applied",
)


def test_tables_locked_for_20_seconds_hold_no_webhook_past_2_seconds_and_lose_nothing(
    deployment: Deployment,
) -> None:
    # Twilio takes a moment to answer, as it does: sends are under way at any time.
    deployment.twilio.latency = TWILIO_SECONDS
    web = deployment.serve()
    deployment.worker()
    phone = deployment.phone(web)
    promises = Promises()
    with Traffic(partial(one_round, phone, promises)) as traffic:
        time.sleep(1)
        with deployment.engine.connect() as holder:
            holder.execute(text(f"LOCK TABLE {', '.join(TABLES)} IN ACCESS EXCLUSIVE MODE"))
            locked_from = promises.rounds
            time.sleep(LOCKED_SECONDS)
            during = promises.rounds - locked_from
            holder.rollback()
        time.sleep(2)
    assert not traffic.errors, traffic.errors
    drained = deployment.wait_for(
        "what waited for the lock written, and sent",
        lambda: deployment.unfinished() == 0 and deployment.ready(web),
        seconds=45,
    )
    time.sleep(1)
    print(
        f"\n{LOCKED_SECONDS:.0f} s locked: {promises.rounds} rounds ({during} while locked), "
        f"{len(phone.answers)} webhooks, slowest {phone.slowest():.2f} s; "
        f"drained {drained:.1f} s after the lock went"
    )
    assert during >= 10, "too little traffic reached the service while the tables were locked"
    assert phone.failures() == []
    assert phone.slowest() < WEBHOOK_SECONDS
    assert_all_kept(deployment, promises)
