"""Deleting from Twilio what it no longer needs: messages once final, texts received
once answered, calls once ended. Twilio's id is sealed until then, then forgotten."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, literal, update
from sqlalchemy import select as sql_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from hotline.errors import TelephonyError
from hotline.models import CarrierDeletion, SmsInbound
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


# Twilio is left a moment to finish with a text it delivered to us before it is deleted.
RECEIVED_DELETE_AFTER = timedelta(seconds=30)


def sealed_place(ref: str) -> str:
    """What a Twilio id sealed for its deletion is bound to: the deletion's ref (a text
    received keeps it sealed so, and hands it over as it is)."""
    return f"carrier_deletion|sid|{ref}"


@dataclass(frozen=True, slots=True)
class DeleteFromCarrier:
    """Write: delete `sid` from Twilio at `due_at` (sooner, if already due sooner)."""

    ref: str
    kind: Record
    sid_sealed: bytes
    due_at: datetime

    def apply(self, session: Session) -> None:
        self.apply_many(session, [self])

    @staticmethod
    def apply_many(session: Session, writes: Sequence[DeleteFromCarrier]) -> None:
        """One statement for many deletions (every text received asks for one); a
        deletion already there keeps the sooner of the two times."""
        rows: dict[str, dict[str, object]] = {}
        for write in writes:
            row = rows.get(write.ref)
            if row is None or write.due_at < row["due_at"]:  # type: ignore[operator]
                rows[write.ref] = {
                    "ref": write.ref,
                    "kind": write.kind,
                    "sid_sealed": write.sid_sealed,
                    "due_at": write.due_at,
                    "created_at": write.due_at,
                    "attempts": 0,
                }
        table = CarrierDeletion.__table__  # type: ignore[attr-defined]
        postgres = session.get_bind().dialect.name == "postgresql"
        statement = (postgresql if postgres else sqlite).insert(table)
        sooner = (func.least if postgres else func.min)(table.c.due_at, statement.excluded.due_at)
        statement = statement.on_conflict_do_update(index_elements=["ref"], set_={"due_at": sooner})
        session.execute(statement, list(rows.values()))


def deletion(vault: Vault, *, sid: str, kind: Record, due_at: datetime) -> DeleteFromCarrier:
    """The write that deletes `sid` from Twilio at `due_at`, its id sealed till then."""
    ref = carrier_ref(vault, sid)
    return DeleteFromCarrier(ref, kind, vault.seal(sid, place=sealed_place(ref)), due_at)


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
        self._take_received()
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

    def _take_received(self) -> None:
        """The texts received that were answered a while ago become deletions, many at
        a time: a webhook only notes a text, with its id sealed, in the row it writes
        anyway. A text whose row is taken twice at once is deleted once (same ref)."""
        now = self._clock()
        answered = (col(SmsInbound.sid_sealed).is_not(None)) & (
            col(SmsInbound.received_at) <= now - RECEIVED_DELETE_AFTER
        )
        with Session(self._engine) as session:
            postgres = session.get_bind().dialect.name == "postgresql"
            table = CarrierDeletion.__table__  # type: ignore[attr-defined]
            due = sql_select(
                col(SmsInbound.message_sid),
                literal("message"),
                col(SmsInbound.sid_sealed),
                literal(now),
                literal(now),
                literal(0),
            ).where(answered)
            columns = ["ref", "kind", "sid_sealed", "due_at", "created_at", "attempts"]
            statement = (postgresql if postgres else sqlite).insert(table).from_select(columns, due)
            session.execute(statement.on_conflict_do_nothing(index_elements=["ref"]))
            session.exec(update(SmsInbound).where(answered).values(sid_sealed=None))
            session.commit()

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
                    sid = self._vault.open(row.sid_sealed, place=sealed_place(row.ref))
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
