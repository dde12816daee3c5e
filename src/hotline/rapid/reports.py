"""Sighting reports: by voice, by text and through the API, one service for all three.

`submit_report` is what every channel calls. A report keeps only the kind, the zone, the
place made coarse and sealed, the minute, the language, the channel, whether it was
still going on, and its status. The reporter's number is sealed only while the report is
open, so a responder can ask a follow-up question through the masked relay; it is
deleted when the report closes (with its incident), or at once when they text DELETE.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from hotline.models import Incident, Report
from hotline.rapid import incidents, zones
from hotline.rapid.commands import zip_in
from hotline.rapid.incidents import place_seal
from hotline.rapid.kinds import Channel, IncidentStatus, ReportKind, ReportStatus
from hotline.rapid.places import coarse_place
from hotline.rapid.service import RapidResponse
from hotline.rapid.sighting import Sighting

log = logging.getLogger(__name__)

__all__ = [
    "Sighting",
    "SubmitReport",
    "Submitted",
    "forget_reporter",
    "place_of",
    "reporter_number",
    "reporter_place",
    "reports_of",
    "submit_report",
]


@dataclass(frozen=True, slots=True)
class Submitted:
    """The report kept, and the incident it joined or opened."""

    report_id: int
    incident_id: int
    new_incident: bool


def reporter_place(report_id: int) -> str:
    """What a report's sealed reporter number is bound to."""
    return f"report|reporter|{report_id}"


def submit_report(
    session: Session, *, rapid: RapidResponse, sighting: Sighting, now: datetime
) -> Submitted:
    """Keep a report and group it into an incident; a new incident calls responders out."""
    # A kind that is not one refuses the report before anything is written.
    ReportKind(sighting.kind)
    minute = now.replace(second=0, microsecond=0)
    zip_code = sighting.zip_code or zip_in(sighting.place)
    zone = zones.zone_of_zip(session=session, zip_code=zip_code) if zip_code else None
    zone_id = zone.id if zone is not None else sighting.zone_id
    incident = None
    if zone_id is not None or sighting.channel == Channel.SMS:
        incident = incidents.joinable(
            session, zone_id=zone_id, kind=sighting.kind, at=now, rapid=rapid
        )
    new = incident is None
    if incident is None:
        incident = incidents.open_incident(
            session, rapid=rapid, sighting=sighting, zone_id=zone_id, at=now
        )  # fmt: skip
    else:
        incidents.join(session, incident, ongoing=sighting.ongoing, at=now)
    report = _keep(session, rapid, sighting, incident, zone_id, minute)
    if new:
        # After the report is kept, so the call-out can give its place.
        incidents.escalate(session, rapid=rapid, incident=incident, now=now)
    assert report.id is not None
    assert incident.id is not None
    return Submitted(report.id, incident.id, new)


def _keep(
    session: Session,
    rapid: RapidResponse,
    sighting: Sighting,
    incident: Incident,
    zone_id: int | None,
    minute: datetime,
) -> Report:
    """The report row, its place and (while its incident is open) its reporter sealed."""
    still_open = IncidentStatus(incident.status).is_open
    report = Report(
        incident_id=incident.id or 0,
        kind=sighting.kind,
        zone_id=zone_id,
        minute=minute,
        ongoing=sighting.ongoing,
        language=sighting.language,
        channel=sighting.channel,
        status=ReportStatus.OPEN if still_open else ReportStatus.CLOSED,
        line=sighting.line or "",
    )
    session.add(report)
    session.flush()
    assert report.id is not None
    place = coarse_place(sighting.place) or (sighting.zip_code or "")
    if place:
        report.place_sealed = rapid.vault.seal(place, place=place_seal(report.id))
    if sighting.reporter and still_open:
        epoch = rapid.keyring.current_epoch(minute)
        report.reporter_key = rapid.keyring.pseudonym(sighting.reporter, epoch=epoch)
        report.reporter_sealed = rapid.vault.seal(
            sighting.reporter, place=reporter_place(report.id)
        )
    session.add(report)
    session.flush()
    return report


@dataclass(frozen=True)
class SubmitReport:
    """Write: a report taken on a call, applied by the spool off the caller's path.

    A report that cannot be kept for a reason other than the database is logged and
    dropped alone (its savepoint rolled back), never taking the spool's batch with it.
    """

    rapid: RapidResponse
    sighting: Sighting
    at: datetime

    def apply(self, session: Session) -> None:
        try:
            with session.begin_nested():
                submit_report(session, rapid=self.rapid, sighting=self.sighting, now=self.at)
        except SQLAlchemyError:
            raise
        except Exception:
            log.exception("a report could not be kept", extra={"channel": self.sighting.channel})


def reporter_number(report: Report, *, rapid: RapidResponse) -> str | None:
    """The reporter's number, while the report is open: for a follow-up through the relay."""
    if report.reporter_sealed is None or report.id is None:
        return None
    return rapid.vault.open(report.reporter_sealed, place=reporter_place(report.id))


def forget_reporter(session: Session, *, rapid: RapidResponse, number: str) -> int:
    """DELETE from `number`: its reports keep nothing that leads back to it. How many."""
    keys = [rapid.keyring.pseudonym(number, epoch=e) for e in rapid.keyring.live_epochs()]
    return session.exec(
        update(Report)
        .where(col(Report.reporter_key).in_(keys))
        .values(reporter_sealed=None, reporter_key=None, asked_by=None, asked_at=None)
    ).rowcount


def reports_of(session: Session, *, incident_id: int) -> list[Report]:
    """An incident's reports, oldest first."""
    query = select(Report).where(Report.incident_id == incident_id).order_by(col(Report.id))
    return list(session.exec(query).all())


def place_of(report: Report, *, rapid: RapidResponse) -> str:
    """A report's coarse place, opened from its seal."""
    if report.place_sealed is None or report.id is None:
        return ""
    return rapid.vault.open(report.place_sealed, place=place_seal(report.id))
