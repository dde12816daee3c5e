"""What a witness told the hotline, as every channel hands it to `reports.submit_report` (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from hotline.rapid.kinds import Channel, ReportKind


@dataclass(frozen=True, slots=True)
class Sighting:
    """What a witness told the hotline.

    `place` is a ZIP code or cross streets in their words; `zip_code`, when the channel
    asked for one, finds the zone (else a ZIP code written in `place` does). `reporter`
    is their number (E.164), kept sealed only while the report is open; `line` the
    hotline number they reached, which call-outs are sent from.
    """

    kind: ReportKind
    place: str
    ongoing: bool
    language: str
    channel: Channel
    reporter: str | None = None
    line: str | None = None
    zip_code: str | None = None
    # For a report entered through the API without a ZIP code: the zone's id.
    zone_id: int | None = None
