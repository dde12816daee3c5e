"""`kill -9` of the worker with 500 texts queued, twice: every text delivered, none left
`sending`, and a text sent twice only if the killed worker held it at that moment
(Twilio had taken it; the worker died before writing that down).

The worker sends up to eight texts at once (a hung request to Twilio holds up no
other), so a kill can catch up to eight in that window: the bound is one duplicate
per text held at the kill, which the test reads from the database right after it.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from hotline.outbox import service as outbox_service
from tests.faults.conftest import Deployment, count
from tests.faults.traffic import HOTLINE, fresh_number

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(150)]

QUEUED = 500
LEASE_SECONDS = 15
KILL_AT = (150, 320)


def enqueue(deployment: Deployment, texts: int) -> dict[str, str]:
    """`texts` texts in the outbox, one each to fresh numbers: {recipient: body}."""
    now = datetime.now(UTC)
    expected = {fresh_number(): f"Fault test text {n}: your rights, part 1." for n in range(texts)}
    with deployment.session() as session:
        for n, (recipient, body) in enumerate(expected.items()):
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
        session.commit()
    return expected


def sending(deployment: Deployment) -> int:
    return count(deployment, "SELECT count(*) FROM outbox_message WHERE status = 'sending'")


def test_a_worker_killed_twice_mid_send_delivers_everything_with_a_duplicate_only_per_held_text(
    deployment: Deployment,
) -> None:
    expected = enqueue(deployment, QUEUED)
    twilio = deployment.twilio
    twilio.latency = 0.02
    worker = deployment.worker(outbox_lease_seconds=str(LEASE_SECONDS))
    held_at_kill = []
    for threshold in KILL_AT:
        deployment.wait_for(
            f"{threshold} texts sent", lambda t=threshold: len(twilio.texts()) >= t, seconds=60
        )
        worker.kill()
        held_at_kill.append(sending(deployment))
        worker.start()
    drained = deployment.wait_for(
        "every text sent", lambda: deployment.unfinished() == 0, seconds=LEASE_SECONDS + 45
    )
    sent = Counter((text.to, text.body) for text in twilio.texts())
    duplicates = sum(times - 1 for times in sent.values())
    print(
        f"\nkilled at {KILL_AT} texts sent, holding {held_at_kill}; {duplicates} duplicates "
        f"of {QUEUED}; the rest sent {drained:.1f} s after the last restart"
    )
    assert set(sent) == set(expected.items())
    assert all(held > 0 for held in held_at_kill), "each kill must catch texts being sent"
    assert duplicates <= sum(held_at_kill)
    assert max(sent.values()) <= 1 + len(KILL_AT)
    assert count(deployment, "SELECT count(*) FROM outbox_message WHERE sent_at IS NULL") == 0
    assert (
        count(deployment, "SELECT count(*) FROM outbox_message WHERE body_sealed IS NOT NULL") == 0
    )
