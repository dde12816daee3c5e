"""The text conversation's memory: texts seen, languages chosen, opt-outs, erasure."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from sqlalchemy import Engine, Table, delete, func, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from hotline.models import (
    CallerPreference,
    CallEvent,
    OptOut,
    OutboxMessage,
    RightsSent,
    SmsInbound,
)
from hotline.news import announce
from hotline.rapid.questions import asked_keys
from hotline.sms.cases import open_texter_keys
from hotline.sms.drafts import texter_keys as drafting_keys


def one_at_a_time(session: Session, *, contact_key: str) -> None:
    """Hold this texter's texts back until this transaction ends (PostgreSQL).

    Two texts of one texter acted on at once (two web processes, or a webhook that
    got through late beside the spool's replay) would each find no open case and open
    one each. SQLite lets one transaction write at a time, and one that read before
    another wrote cannot write: there it is retried through the spool.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"texter|{contact_key}"},
    )


def seen(session: Session, *, message_sid: str) -> bool:
    """Whether this text was already acted on."""
    found = session.exec(select(SmsInbound.id).where(SmsInbound.message_sid == message_sid))
    return found.first() is not None


def receive(
    session: Session,
    *,
    message_sid: str,
    contact_key: str,
    key_epoch: int,
    at: datetime,
    sid_sealed: bytes | None = None,
) -> None:
    """Note a text as received; the unique MessageSid makes a retried webhook fail here."""
    session.add(
        SmsInbound(
            message_sid=message_sid,
            contact_key=contact_key,
            key_epoch=key_epoch,
            received_at=at,
            sid_sealed=sid_sealed,
        )
    )
    session.flush()
    announce(session, "texted", [contact_key])


def recent(session: Session, *, keys: Sequence[str], since: datetime) -> int:
    """How many texts these pseudonyms sent since `since`."""
    query = (
        select(func.count())
        .select_from(SmsInbound)
        .where(col(SmsInbound.contact_key).in_(keys))
        .where(col(SmsInbound.received_at) >= since)
    )
    return int(session.exec(query).one())


def language(session: Session, *, keys: Sequence[str]) -> str | None:
    """The language remembered under any of these pseudonyms, newest first."""
    row = session.exec(
        select(CallerPreference)
        .where(col(CallerPreference.caller_key).in_(keys))
        .order_by(col(CallerPreference.updated_at).desc())
    ).first()
    return row.language if row else None


def opted_out(session: Session, *, keys: Sequence[str]) -> bool:
    return (
        session.exec(select(OptOut.contact_key).where(col(OptOut.contact_key).in_(keys))).first()
        is not None
    )


def opt_out(session: Session, *, keys: Sequence[str], epochs: Sequence[int], at: datetime) -> None:
    """Send this number nothing more, under every live pseudonym."""
    for key, epoch in zip(keys, epochs, strict=True):
        if session.get(OptOut, key) is None:
            session.add(OptOut(contact_key=key, key_epoch=epoch, at=at))
    session.flush()
    announce(session, "opted_out", keys)


def opt_in(session: Session, *, keys: Sequence[str]) -> None:
    session.exec(delete(OptOut).where(col(OptOut.contact_key).in_(keys)))
    session.flush()
    announce(session, "opted_in", keys)


def erase(session: Session, *, keys: Sequence[str], keep_sid: str) -> None:
    """Delete everything held under these pseudonyms: languages, calls, texts, messages.

    The opt-out stays (it protects the person) and so does the note of this very text,
    so that a retried delete request is not acted on twice.
    """
    calls = session.exec(
        select(CallEvent.call_ref).where(col(CallEvent.caller_key).in_(keys))
    ).all()
    session.exec(delete(CallEvent).where(col(CallEvent.call_ref).in_(set(calls))))
    session.exec(delete(CallerPreference).where(col(CallerPreference.caller_key).in_(keys)))
    session.exec(delete(OutboxMessage).where(col(OutboxMessage.recipient_key).in_(keys)))
    session.exec(delete(RightsSent).where(col(RightsSent.recipient_key).in_(keys)))
    session.exec(
        delete(SmsInbound)
        .where(col(SmsInbound.contact_key).in_(keys))
        .where(col(SmsInbound.message_sid) != keep_sid)
    )
    session.flush()
    # Every process forgets it too, not only this one.
    announce(session, "forgotten", keys)


FLOOD_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class ReceivedText:
    """Write: a text was received (answered from memory); the spool records it."""

    message_sid: str
    contact_key: str
    key_epoch: int
    at: datetime
    sid_sealed: bytes | None = None

    # The spool inserts these many at a time.
    bulk_table: ClassVar[Table] = SmsInbound.__table__  # type: ignore[attr-defined]

    def bulk_row(self) -> dict[str, object]:
        return {
            "message_sid": self.message_sid,
            "contact_key": self.contact_key,
            "key_epoch": self.key_epoch,
            "received_at": self.at,
            "sid_sealed": self.sid_sealed,
        }

    def apply(self, session: Session) -> None:
        receive(
            session,
            message_sid=self.message_sid,
            contact_key=self.contact_key,
            key_epoch=self.key_epoch,
            at=self.at,
            sid_sealed=self.sid_sealed,
        )


class SmsMemory:
    """What most texts can be answered from without waiting on the database: who opted
    out, who has an open case, who is in a report by text under way or was asked a
    question by a responder (their texts take the database path), which texts were just
    seen, how many each number sent.

    Loaded at start-up and refreshed in the background; the texts that change any of it
    (opt-outs, deletes, urgent help, relays) take the database path and update it here.
    """

    MAX_SIDS = 200_000

    def __init__(self) -> None:
        self.ready = False
        self.opted_out: set[str] = set()
        self.open_cases: set[str] = set()
        self.exchanges: set[str] = set()
        self._sids: OrderedDict[str, None] = OrderedDict()
        self._sent: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()
        # Changes made while a refresh reads the database: applied again on its result,
        # so a refresh never undoes what was learnt meanwhile.
        self._changes: list[tuple[float, str, tuple[str, ...]]] = []

    def refresh(self, engine: Engine) -> bool:
        """Read opt-outs and open cases again; keep what we have if the read fails."""
        started = time.monotonic()
        try:
            with Session(engine) as session:
                opted = set(session.exec(select(OptOut.contact_key)).all())
                cases = open_texter_keys(session)
                exchanges = drafting_keys(session, now=datetime.now(UTC)) | asked_keys(session)
        except SQLAlchemyError:
            return False
        with self._lock:
            self.opted_out, self.open_cases, self.ready = opted, cases, True
            self.exchanges = exchanges
            self._changes = [change for change in self._changes if change[0] >= started - 1]
            for _, change, keys in self._changes:
                self._apply(change, keys)
        return True

    def change(self, change: str, keys: Iterable[str]) -> None:
        """ "opt_out", "opt_in", "open_case", "close_case", "open_exchange" or
        "close_exchange" for `keys`, learnt here or from another process."""
        listed = tuple(keys)
        with self._lock:
            self._changes.append((time.monotonic(), change, listed))
            self._apply(change, listed)

    def _apply(self, change: str, keys: tuple[str, ...]) -> None:
        if change == "opt_out":
            self.opted_out.update(keys)
        elif change == "opt_in":
            self.opted_out.difference_update(keys)
        elif change == "open_case":
            self.open_cases.update(keys)
        elif change == "close_case":
            self.open_cases.difference_update(keys)
        elif change == "open_exchange":
            self.exchanges.update(keys)
        elif change == "close_exchange":
            self.exchanges.difference_update(keys)

    def routed(self, keys: Iterable[str]) -> bool:
        """Whether a text from `keys` must take the database path: an open case, a
        report under way, a responder's question."""
        return any(key in self.open_cases or key in self.exchanges for key in keys)

    def sent_elsewhere(self, keys: Iterable[str], now: datetime) -> None:
        """Another process received texts from `keys`: the flood cap counts them too."""
        with self._lock:
            for key in keys:
                self._sent.setdefault(key, deque()).append(now)

    def first_time(self, message_sid: str) -> bool:
        """True the first time this process sees `message_sid`."""
        with self._lock:
            if message_sid in self._sids:
                return False
            self._sids[message_sid] = None
            if len(self._sids) > self.MAX_SIDS:
                self._sids.popitem(last=False)
            return True

    def count(self, key: str, now: datetime) -> int:
        """Texts from `key` in the flood window, this one included."""
        with self._lock:
            sent = self._sent.setdefault(key, deque())
            sent.append(now)
            while sent and sent[0] < now - FLOOD_WINDOW:
                sent.popleft()
            if len(self._sent) > self.MAX_SIDS:
                self._sent = {k: v for k, v in self._sent.items() if v}
            return len(sent)
