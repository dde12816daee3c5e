"""Deleting from Twilio what it no longer needs: messages once final, texts received
once answered, calls once ended. Twilio's id is sealed until then, then forgotten."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from hotline.db import aware
from hotline.errors import TelephonyError
from hotline.models import CarrierDeletion
from hotline.outbox.service import carrier_ref
from hotline.privacy.vault import SealError, Vault
from hotline.telephony.gateway import Gateway, Record

log = logging.getLogger(__name__)

BATCH = 50
LEASE = timedelta(minutes=2)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
# Twilio keeps a message still on its way; after this many tries the row is dropped.
MAX_ATTEMPTS = 30


def _place(ref: str) -> str:
    return f"carrier_deletion|sid|{ref}"


@dataclass(frozen=True, slots=True)
class DeleteFromCarrier:
    """Write: delete `sid` from Twilio at `due_at` (sooner, if already due sooner)."""

    ref: str
    kind: Record
    sid_sealed: bytes
    due_at: datetime

    def apply(self, session: Session) -> None:
        found = session.exec(select(CarrierDeletion).where(CarrierDeletion.ref == self.ref)).first()
        if found is not None:
            if self.due_at < aware(found.due_at):
                found.due_at = self.due_at
                session.add(found)
                session.flush()
            return
        session.add(
            CarrierDeletion(
                ref=self.ref,
                kind=self.kind,
                sid_sealed=self.sid_sealed,
                due_at=self.due_at,
                created_at=self.due_at,
            )
        )
        session.flush()


def deletion(vault: Vault, *, sid: str, kind: Record, due_at: datetime) -> DeleteFromCarrier:
    """The write that deletes `sid` from Twilio at `due_at`, its id sealed till then."""
    ref = carrier_ref(vault, sid)
    return DeleteFromCarrier(ref, kind, vault.seal(sid, place=_place(ref)), due_at)


class Deletions:
    """Makes the deletions that are due, any number of processes at once."""

    def __init__(
        self, *, engine: Engine, gateway: Gateway, vault: Vault, clock: Callable[[], datetime]
    ) -> None:
        self._engine = engine
        self._gateway = gateway
        self._vault = vault
        self._clock = clock

    def schedule(self, *, sid: str, kind: Record, due_at: datetime) -> None:
        """Delete `sid` from Twilio at `due_at`."""
        with Session(self._engine) as session:
            deletion(self._vault, sid=sid, kind=kind, due_at=due_at).apply(session)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()

    def run_due(self) -> int:
        """Delete what is due from Twilio; how many were deleted."""
        done = 0
        for row_id, kind, sid, attempts in self._claim():
            try:
                self._gateway.delete(kind=kind, sid=sid)
            except TelephonyError as error:
                self._later(row_id, attempts, error)
                continue
            with Session(self._engine) as session:
                session.exec(delete(CarrierDeletion).where(col(CarrierDeletion.id) == row_id))
                session.commit()
            done += 1
        return done

    def _claim(self) -> list[tuple[int, Record, str, int]]:
        now = self._clock()
        claimed = []
        with Session(self._engine) as session:
            rows = session.exec(
                select(CarrierDeletion)
                .where(col(CarrierDeletion.due_at) <= now)
                .order_by(col(CarrierDeletion.due_at))
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                assert row.id is not None
                taken = session.exec(
                    update(CarrierDeletion)
                    .where(col(CarrierDeletion.id) == row.id)
                    .where(col(CarrierDeletion.due_at) == row.due_at)
                    .values(due_at=now + LEASE, attempts=row.attempts + 1)
                ).rowcount
                if taken != 1:
                    continue
                try:
                    sid = self._vault.open(row.sid_sealed, place=_place(row.ref))
                except SealError:
                    session.delete(row)
                    continue
                kind: Record = "call" if row.kind == "call" else "message"
                claimed.append((row.id, kind, sid, row.attempts + 1))
            session.commit()
        return claimed

    def _later(self, row_id: int, attempts: int, error: TelephonyError) -> None:
        with Session(self._engine) as session:
            if not error.retryable or attempts >= MAX_ATTEMPTS:
                log.warning(
                    "a record could not be deleted from Twilio; giving up on it",
                    extra={"code": error.twilio_code, "attempts": attempts},
                )
                session.exec(delete(CarrierDeletion).where(col(CarrierDeletion.id) == row_id))
            else:
                wait = min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)
                session.exec(
                    update(CarrierDeletion)
                    .where(col(CarrierDeletion.id) == row_id)
                    .values(due_at=self._clock() + wait)
                )
            session.commit()
