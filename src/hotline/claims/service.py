"""Claims by code: one implementation for callbacks, text cases and what comes next.

A claim is opened with the volunteers alerted to it; only they may take it, with
`ACCEPT <code>` (or `GO <code>` for an incident), and only `capacity` of them at once.
The code is unique among the open claims of every kind, so one command finds it
whatever it is about. "Unknown", "not yours to take" and "taken" are one answer
(REFUSED), so a code says nothing to someone who was not alerted. A volunteer who sends
five codes in an hour that match nothing they may take is locked out for an hour (see
`lockout.py`).

    open_claim(...)        a new claim, its code, its alerted volunteers
    claim(...)             the compare-and-set: WON, YOURS or REFUSED
    hold_for_backup(...)   the backup number takes it, as a holder without a volunteer row
    alert(...)             a new round of alerts: more volunteers may take it
    release_holder(...)    a holder lets go (a caller did not answer, a volunteer left)
    release_volunteer(...) a volunteer leaves: every hold released, texts to them canceled
    close(...)             DONE, EXPIRED or CANCELED; the code is free again
    alerted / holders / held_by / due / find_open    the queries
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from hotline.claims import lockout
from hotline.models import Claim, ClaimAlert, ClaimHolder, ClaimKind, ClaimStatus
from hotline.outbox import service as outbox

CODE_DIGITS = 6
OPEN = ClaimStatus.open_statuses()


class Result(StrEnum):
    WON = "won"  # this volunteer now holds it
    YOURS = "yours"  # they held it already
    REFUSED = "refused"  # unknown, closed, not theirs to take, full, or they are locked out


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a claim attempt came to. `locked_now`: this attempt locked the volunteer out,
    and coordinators should hear of it."""

    result: Result
    claim: Claim | None = None
    locked_now: bool = False


def text_key(volunteer_id: int | None, key: str) -> str:
    """The outbox key of a text to a volunteer (or the backup), so that texts still
    queued for a volunteer who leaves can be found and canceled."""
    return f"{'backup' if volunteer_id is None else f'v{volunteer_id}'}:{key}"


def _new_code(session: Session) -> str:
    while True:
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if session.exec(select(Claim.id).where(Claim.open_code == code)).first() is None:
            return code


def open_claim(
    *,
    session: Session,
    kind: ClaimKind,
    alerted: Iterable[int],
    now: datetime,
    capacity: int = 1,
    next_alert_at: datetime | None = None,
) -> Claim:
    """A new claim of `kind` with a fresh code; `alerted` may take it."""
    if capacity < 1:
        raise ValueError("a claim needs room for one holder at least")
    code = _new_code(session)
    row = Claim(
        kind=kind,
        code=code,
        open_code=code,
        status=ClaimStatus.WAITING,
        capacity=capacity,
        next_alert_at=next_alert_at,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    alert(session=session, claim=row, volunteer_ids=alerted, now=now, next_alert_at=next_alert_at)
    return row


def alert(
    *,
    session: Session,
    claim: Claim,
    volunteer_ids: Iterable[int],
    now: datetime,
    next_alert_at: datetime | None,
) -> None:
    """One more round of alerts: `volunteer_ids` may take the claim from now on."""
    assert claim.id is not None
    known = set(alerted(session=session, claim_id=claim.id))
    for volunteer_id in dict.fromkeys(volunteer_ids):
        if volunteer_id not in known:
            session.add(ClaimAlert(claim_id=claim.id, volunteer_id=volunteer_id, at=now))
    claim.rounds += 1
    claim.next_alert_at, claim.updated_at = next_alert_at, now
    session.add(claim)
    session.flush()


def find_open(*, session: Session, code: str) -> Claim | None:
    """The open claim with `code`, whatever its kind."""
    return session.exec(select(Claim).where(Claim.open_code == code.strip().upper())).first()


def get(*, session: Session, claim_id: int) -> Claim | None:
    """The claim `claim_id`, open or not."""
    return session.get(Claim, claim_id)


def claim(*, session: Session, code: str, volunteer_id: int, now: datetime) -> Outcome:
    """`volunteer_id` asks for the claim `code`: the compare-and-set on its free room."""
    if lockout.locked_out(session=session, volunteer_id=volunteer_id, now=now):
        return Outcome(Result.REFUSED)
    found = find_open(session=session, code=code)
    if found is None or found.id is None or not _was_alerted(session, found.id, volunteer_id):
        locked = lockout.wrong_code(session=session, volunteer_id=volunteer_id, now=now)
        return Outcome(Result.REFUSED, locked_now=locked)
    if volunteer_id in _holder_ids(session, found.id):
        return Outcome(Result.YOURS, found)
    won = session.exec(
        update(Claim)
        .where(col(Claim.id) == found.id)
        .where(col(Claim.open_code).is_not(None))
        .where(col(Claim.held) < col(Claim.capacity))
        .values(held=Claim.held + 1, status=ClaimStatus.HELD, updated_at=now)
    ).rowcount
    if won != 1:
        session.refresh(found)
        return Outcome(Result.REFUSED, found)
    session.add(ClaimHolder(claim_id=found.id, volunteer_id=volunteer_id, backup=False, at=now))
    session.flush()
    session.refresh(found)
    return Outcome(Result.WON, found)


def hold_for_backup(*, session: Session, claim: Claim, now: datetime) -> None:
    """Nobody took it in time: the backup number holds it, whatever room is left."""
    assert claim.id is not None
    session.add(ClaimHolder(claim_id=claim.id, volunteer_id=None, backup=True, at=now))
    claim.held += 1
    claim.status, claim.next_alert_at, claim.updated_at = ClaimStatus.HELD, None, now
    session.add(claim)
    session.flush()


def release_holder(
    *, session: Session, claim: Claim, volunteer_id: int | None, now: datetime, returned: bool
) -> None:
    """A holder (None: the backup) lets go; with nobody left it waits again, due for
    alerts at once. `returned`: whoever asked is to be told their helper left."""
    assert claim.id is not None
    query = delete(ClaimHolder).where(col(ClaimHolder.claim_id) == claim.id)
    if volunteer_id is None:
        query = query.where(col(ClaimHolder.backup).is_(True))
    else:
        query = query.where(col(ClaimHolder.volunteer_id) == volunteer_id)
    gone = session.exec(query).rowcount
    if not gone:
        return
    claim.held = max(0, claim.held - gone)
    if claim.held == 0:
        claim.status, claim.next_alert_at = ClaimStatus.WAITING, now
    claim.returned = claim.returned or returned
    claim.updated_at = now
    session.add(claim)
    session.flush()


def release_volunteer(*, session: Session, volunteer_id: int, now: datetime) -> list[Claim]:
    """`volunteer_id` leaves (deactivated, deleted): their holds go back to the queue,
    they may take nothing more, and texts still queued for them are canceled."""
    released = held_by(session=session, volunteer_id=volunteer_id)
    for row in released:
        release_holder(
            session=session, claim=row, volunteer_id=volunteer_id, now=now, returned=True
        )
    session.exec(delete(ClaimAlert).where(col(ClaimAlert.volunteer_id) == volunteer_id))
    outbox.cancel_pending(session, key_prefix=text_key(volunteer_id, ""), now=now)
    session.flush()
    return released


def close(*, session: Session, claim: Claim, status: ClaimStatus, now: datetime) -> None:
    """The claim ends as `status` (a closed one); its code may be handed out again."""
    if status in OPEN:
        raise ValueError("close a claim with a closed status")
    claim.status, claim.open_code, claim.next_alert_at = status, None, None
    claim.returned, claim.updated_at = False, now
    session.add(claim)
    session.flush()


def told(*, session: Session, claim: Claim) -> None:
    """Whoever asked has been told that their helper left."""
    claim.returned = False
    session.add(claim)
    session.flush()


def alerted(*, session: Session, claim_id: int) -> list[int]:
    """The volunteers alerted to a claim, in the order they were."""
    query = select(ClaimAlert.volunteer_id).where(ClaimAlert.claim_id == claim_id)
    return list(session.exec(query.order_by(col(ClaimAlert.at))).all())


def holders(*, session: Session, claim_id: int) -> list[ClaimHolder]:
    """Who holds a claim, first taker first."""
    query = select(ClaimHolder).where(ClaimHolder.claim_id == claim_id)
    return list(session.exec(query.order_by(col(ClaimHolder.id))).all())


def held_by(*, session: Session, volunteer_id: int, kind: ClaimKind | None = None) -> list[Claim]:
    """The open claims `volunteer_id` holds, of one kind if given, oldest first."""
    query = (
        select(Claim)
        .join(ClaimHolder, col(ClaimHolder.claim_id) == col(Claim.id))
        .where(ClaimHolder.volunteer_id == volunteer_id)
        .where(col(Claim.status).in_(OPEN))
    )
    if kind is not None:
        query = query.where(Claim.kind == kind)
    return list(session.exec(query.order_by(col(Claim.id))).all())


def due(*, session: Session, kind: ClaimKind, now: datetime) -> list[Claim]:
    """Claims of `kind` nobody holds whose next round of alerts has come."""
    query = (
        select(Claim)
        .where(Claim.kind == kind)
        .where(Claim.status == ClaimStatus.WAITING)
        .where(col(Claim.next_alert_at).is_not(None))
        .where(col(Claim.next_alert_at) <= now)
    )
    return list(session.exec(query.order_by(col(Claim.id))).all())


def _was_alerted(session: Session, claim_id: int, volunteer_id: int) -> bool:
    return session.get(ClaimAlert, (claim_id, volunteer_id)) is not None


def _holder_ids(session: Session, claim_id: int) -> set[int | None]:
    return {holder.volunteer_id for holder in holders(session=session, claim_id=claim_id)}
