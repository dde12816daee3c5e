"""Reports by text under way, kept between texts in the database (so any process, after
any restart, takes the next text up where the last one left it): under the texter's
pseudonym, the place sealed, for a quarter of an hour from the last text. The purge
deletes what expired; DELETE and opt-outs delete it at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from hotline.models import ReportDraft
from hotline.privacy.vault import Vault
from hotline.rapid.places import coarse_place
from hotline.sms.effects import KeepDraft
from hotline.sms.report_flow import Draft

KEEP = timedelta(minutes=15)


def place_seal(draft_id: int) -> str:
    """What a draft's sealed place is bound to."""
    return f"report_draft|place|{draft_id}"


def of_texter(session: Session, *, keys: Sequence[str], now: datetime) -> ReportDraft | None:
    """The texter's report under way, unless it expired."""
    return session.exec(
        select(ReportDraft)
        .where(col(ReportDraft.texter_key).in_(keys))
        .where(col(ReportDraft.expires_at) > now)
        .order_by(col(ReportDraft.updated_at).desc())
    ).first()


def as_flow(row: ReportDraft | None) -> Draft | None:
    """A draft as the flow sees it."""
    if row is None:
        return None
    return Draft(row.step, row.language, row.kind, has_place=row.place_sealed is not None)


def keep(
    session: Session,
    *,
    vault: Vault,
    found: ReportDraft | None,
    key: str,
    epoch: int,
    step: KeepDraft,
    now: datetime,
) -> ReportDraft:
    """Keep the report under way at `step` (a new one when `found` is None)."""
    row = found or ReportDraft(
        texter_key=key, key_epoch=epoch, step=step.step, language=step.lang, expires_at=now,
        updated_at=now,
    )  # fmt: skip
    row.step, row.language, row.kind = step.step, step.lang, step.kind
    row.expires_at, row.updated_at = now + KEEP, now
    session.add(row)
    session.flush()
    assert row.id is not None
    if step.place is not None:
        place = coarse_place(step.place)
        row.place_sealed = vault.seal(place, place=place_seal(row.id)) if place else None
        session.add(row)
        session.flush()
    return row


def place_of(row: ReportDraft, *, vault: Vault) -> str:
    """The draft's place, opened from its seal ("" when it has none)."""
    if row.place_sealed is None or row.id is None:
        return ""
    return vault.open(row.place_sealed, place=place_seal(row.id))


def drop(session: Session, *, keys: Sequence[str]) -> int:
    """Forget the texter's report under way; how many were dropped."""
    return session.exec(delete(ReportDraft).where(col(ReportDraft.texter_key).in_(keys))).rowcount


def texter_keys(session: Session, *, now: datetime) -> set[str]:
    """The pseudonyms of everyone with a report under way."""
    rows = session.exec(select(ReportDraft.texter_key).where(col(ReportDraft.expires_at) > now))
    return set(rows.all())
