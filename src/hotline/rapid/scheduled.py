"""The periodic work of rapid response, for whichever process runs the schedule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from hotline.db import transaction
from hotline.rapid import alerts, incidents
from hotline.rapid.service import RapidResponse

# Alerts are queued by this tick (and straight after a confirmation), so it runs often;
# when nothing is due it costs three small indexed queries.
TICK_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Ticked:
    """What one tick did."""

    incidents: int
    alerts_dropped: int
    texts_queued: int


def tick(engine: Engine, *, rapid: RapidResponse, now: datetime) -> Ticked:
    """Escalate call-outs nobody took, expire what nobody verified, queue alerts' texts."""
    with transaction(engine) as session:
        handled = incidents.tick(session, rapid=rapid, now=now)
        dropped = alerts.drop_expired(session, now=now)
    queued = alerts.fan_out(engine, rapid=rapid, now=now)
    return Ticked(handled, dropped, queued)
