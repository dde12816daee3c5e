"""PostgreSQL stopped under steady traffic, the web process killed and started again
while it is down, then the database back: every webhook answered with TwiML, every
promised text sent exactly once, every callback and case kept, every STOP honoured.

The outage lasts OUTAGE seconds: 24 of the webhooks' database deadlines (500 ms here),
more than two refreshes of what each process keeps in memory (5 s), and long enough for
a web process to be killed and start again while the database is away. Twenty seconds,
as the issue measured, test nothing more and cost the suite eight seconds.
"""

from __future__ import annotations

import time
from functools import partial

import httpx
import pytest

from tests.faults.calls import Promises, Traffic, assert_all_kept, one_round
from tests.faults.conftest import Deployment

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(150)]

TWILIO_SECONDS = 0.15

OUTAGE = 12.0
# A web process spools what it could not write at the latest one flush after a request.
QUIET = 1.0


def test_a_database_outage_and_a_restart_lose_nothing_and_fail_no_caller(
    deployment: Deployment,
) -> None:
    # Twilio takes a moment to answer, as it does: sends are under way at any time.
    twilio = deployment.twilio
    twilio.latency = TWILIO_SECONDS
    web = deployment.serve()
    deployment.worker()
    phone = deployment.phone(web)
    promises = Promises()
    with Traffic(partial(one_round, phone, promises)) as traffic:
        time.sleep(2)
        # Down while Twilio is answering the worker: what it sent must still be noted.
        deployment.wait_for("a text being sent", lambda: twilio.in_flight > 0, seconds=10)
        before = promises.rounds
        deployment.cluster.stop("immediate")
        down = time.monotonic()
        time.sleep(3)
        traffic.pause()
        time.sleep(QUIET)
        web.kill()
        restarted = time.monotonic()
        web.start()
        restart_seconds = time.monotonic() - restarted
        assert httpx.get(f"{web.url}/readyz").status_code == 503
        traffic.resume()
        time.sleep(max(OUTAGE - (time.monotonic() - down), 0))
        during = promises.rounds - before
        deployment.cluster.start()
        outage = time.monotonic() - down
        time.sleep(3)
    assert not traffic.errors, traffic.errors
    drained = deployment.wait_for(
        "the spool replayed and the outbox sent",
        lambda: deployment.unfinished() == 0 and deployment.ready(web),
        seconds=45,
    )
    time.sleep(1)  # anything sent twice would arrive by now
    print(
        f"\noutage {outage:.1f} s, web restarted in {restart_seconds:.1f} s; "
        f"{promises.rounds} rounds ({during} during the outage), "
        f"{len(phone.answers)} webhooks, slowest {phone.slowest():.2f} s; "
        f"drained {drained:.1f} s after traffic stopped"
    )

    assert during >= 4, "too little traffic reached the service while the database was down"
    assert phone.failures() == []
    assert_all_kept(deployment, promises)
