"""The hotline with zones, responders on call and subscribers, for rapid-response tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, col, select

from hotline import db
from hotline.models import Alert, Incident, IncidentEvent, OutboxMessage, Report
from hotline.outbox.dispatcher import Dispatcher, DispatchSettings
from hotline.rapid import responders, scheduled, subscriptions, zones
from hotline.rapid.commands import parse_responder_command
from hotline.rapid.schemas import ZoneCreate
from hotline.rapid.service import RapidResponse
from tests.roster.conftest import api, http, runtime, users
from tests.sms.test_relay import text
from tests.voice.test_urgent import Hotline, hotline

__all__ = ["api", "hotline", "http", "runtime", "users"]

HOTLINE_LINE = "+13125550100"


@dataclass
class Field:
    """The hotline as rapid response sees it, and ways to set it up and look at it.

    `clock` is the latest moment a test has ticked to: texts queued then are sent by a
    dispatcher that believes it is that moment.
    """

    hotline: Hotline
    clock: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def rapid(self) -> RapidResponse:
        return self.hotline.runtime.rapid

    def zone(self, name: str, zips: Sequence[str], neighbours: Sequence[str] = ()) -> int:
        with db.transaction(self.hotline.engine) as session:
            made = zones.create_zone(
                session=session,
                zone_in=ZoneCreate(name=name, zips=list(zips), neighbours=list(neighbours)),
                user=None,
            )
            assert made.id is not None
            return made.id

    def responder(self, name: str, phone: str, languages: str, zone_ids: Sequence[int]) -> int:
        """A volunteer on call from an hour ago for a day, responding in `zone_ids`."""
        volunteer_id = self.hotline.volunteer(name, phone, languages)
        with db.transaction(self.hotline.engine) as session:
            zones.set_volunteer_zones(session, volunteer_id, zone_ids)
        self.hotline.runtime.roster.refresh()
        return volunteer_id

    def subscribe(
        self, number: str, zips: Sequence[str], language: str, *, corrections: bool = False
    ) -> subscriptions.Subscribed:
        with db.transaction(self.hotline.engine) as session:
            request = subscriptions.Subscription(number, zips, language, corrections, HOTLINE_LINE)
            return subscriptions.subscribe(
                session, rapid=self.rapid, request=request, now=datetime.now(UTC)
            )

    def reply(self, volunteer_id: int, words: str, now: datetime | None = None) -> str:
        """A responder's text, as the text channel will pass it on; the answer, in English."""
        command = parse_responder_command(words)
        assert command is not None
        with db.transaction(self.hotline.engine) as session:
            answer = responders.answer_responder(
                session,
                rapid=self.rapid,
                volunteer_id=volunteer_id,
                command=command,
                now=now or datetime.now(UTC),
            )
        self.clock = max(self.clock, now or datetime.now(UTC))
        if answer.alerts_pending:
            self.tick(now)
        return self.rapid.say("en", answer.message, code=answer.code)

    def tick(self, now: datetime | None = None) -> scheduled.Ticked:
        self.hotline.runtime.recorder.flush()
        self.clock = max(self.clock, now or datetime.now(UTC))
        return scheduled.tick(self.hotline.engine, rapid=self.rapid, now=now or datetime.now(UTC))

    def send(self) -> None:
        """Send what the outbox holds, as a dispatcher would at `clock`."""
        runtime = self.hotline.runtime
        runtime.recorder.flush()
        dispatcher = Dispatcher(
            engine=runtime.engine,
            gateway=runtime.gateway,
            vault=runtime.vault,
            keyring=runtime.keyring,
            settings=DispatchSettings(rate_per_second=None, batch=1000),
            clock=lambda: max(self.clock, datetime.now(UTC)),
        )
        while dispatcher.run_once():
            pass

    def texts_to(self, number: str) -> list[str]:
        """Everything sent to `number` so far, oldest first (the outbox is sent first)."""
        self.send()
        return [m["body"] or "" for m in self.hotline.gateway.messages if m["to"] == number]

    def incidents(self) -> list[Incident]:
        self.hotline.runtime.recorder.flush()
        with Session(self.hotline.engine) as session:
            return list(session.exec(select(Incident).order_by(col(Incident.id))).all())

    def reports(self) -> list[Report]:
        self.hotline.runtime.recorder.flush()
        with Session(self.hotline.engine) as session:
            return list(session.exec(select(Report).order_by(col(Report.id))).all())

    def history(self, incident_id: int) -> list[str]:
        with Session(self.hotline.engine) as session:
            query = select(IncidentEvent).where(IncidentEvent.incident_id == incident_id)
            return [e.step for e in session.exec(query.order_by(col(IncidentEvent.id))).all()]

    def alerts(self) -> list[Alert]:
        with Session(self.hotline.engine) as session:
            return list(session.exec(select(Alert).order_by(col(Alert.id))).all())

    def outbox(self, purpose: str) -> list[OutboxMessage]:
        with Session(self.hotline.engine) as session:
            query = select(OutboxMessage).where(OutboxMessage.purpose == purpose)
            return list(session.exec(query.order_by(col(OutboxMessage.id))).all())

    def text(self, body: str, sender: str) -> list[str]:
        return text(self.hotline, body, sender=sender)


@pytest.fixture(name="field")
def field_fixture(hotline: Hotline) -> Field:
    return Field(hotline)
