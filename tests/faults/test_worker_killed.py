"""`kill -9` of the worker with 500 texts queued, twice: every text delivered, none left
`sending`, and a text sent twice only if the killed worker held it at that moment
(Twilio had taken it; the worker died before writing that down).

The worker sends up to eight texts at once (a hung request to Twilio holds up no
other), so a kill can catch up to eight in that window: the bound is one duplicate
per text held at a kill, which the test reads from the database right after it.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from hotline.outbox import service as outbox_service
from tests.faults.conftest import Deployment, count
from tests.faults.traffic import HOTLINE, fresh_number

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(150)]

QUEUED = 500
LEASE_SECONDS = 15
KILL_AT = (150, 320)


def enqueue(deployment: Deployment, texts: int) -> dict[str, tuple[str, str]]:
    """`texts` texts in the outbox, one each to fresh numbers, by idempotency key:
    {key: (recipient, body)}."""
    now = datetime.now(UTC)
    queued = {}
    with deployment.session() as session:
        for n in range(texts):
            recipient, body = fresh_number(), f"Fault test text {n}: your rights, part 1."
            outbox_service.texts(
                vault=deployment.vault,
                keyring=deployment.keyring,
                sender=HOTLINE,
                recipient=recipient,
                parts=[body],
                purpose="reply",
                language="en",
                key=f"fault:{n}",
                now=now,
                expires_in=timedelta(hours=1),
            ).apply(session)
            queued[f"fault:{n}:1/1"] = (recipient, body)
        session.commit()
    return queued


def held(deployment: Deployment) -> set[str]:
    """The keys of the texts being sent, or held by a worker that died."""
    with deployment.engine.connect() as connection:
        query = text("SELECT idempotency_key FROM outbox_message WHERE status = 'sending'")
        return set(connection.execute(query).scalars())


def test_a_worker_killed_twice_mid_send_delivers_all_and_repeats_only_what_it_held(
    deployment: Deployment,
) -> None:
    queued = enqueue(deployment, QUEUED)
    twilio = deployment.twilio
    twilio.latency = 0.02
    worker = deployment.worker(outbox_lease_seconds=str(LEASE_SECONDS))
    held_at_kills: list[set[str]] = []
    for threshold in KILL_AT:
        # Killed while it holds texts of its own (a dead worker's wait out their lease).
        before = set().union(*held_at_kills)

        def sending(threshold: int = threshold, before: set[str] = before) -> bool:
            return len(twilio.texts()) >= threshold and bool(held(deployment) - before)

        deployment.wait_for(f"{threshold} texts sent, more being sent", sending, seconds=60)
        worker.kill()
        held_at_kills.append(held(deployment) - before)
        worker.start()
    drained = deployment.wait_for(
        "every text sent", lambda: deployment.unfinished() == 0, seconds=LEASE_SECONDS + 45
    )
    sent = Counter((accepted.to, accepted.body) for accepted in twilio.texts())
    times = {key: sent[pair] for key, pair in queued.items()}
    print(
        f"\nkilled at {KILL_AT} texts sent, holding {[len(h) for h in held_at_kills]}; "
        f"{sum(sent.values()) - QUEUED} duplicates of {QUEUED}; "
        f"the rest sent {drained:.1f} s after the last restart"
    )
    assert set(sent) == set(queued.values())
    # Once each, and once more for each kill that caught it being sent.
    for key, n in times.items():
        assert 1 <= n <= 1 + sum(key in kill for kill in held_at_kills), key
    assert count(deployment, "SELECT count(*) FROM outbox_message WHERE sent_at IS NULL") == 0
    assert (
        count(deployment, "SELECT count(*) FROM outbox_message WHERE body_sealed IS NOT NULL") == 0
    )
