"""Callbacks: opened by a caller, claimed by the first volunteer to text ACCEPT, bridged
by the hotline calling the volunteer and then the caller from its own number.

Unclaimed, a callback is announced again every few minutes, then handed to the backup
number; past its expiry it closes. The caller's number is sealed while the callback is
open and deleted the moment it ends, however it ends.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import update
from sqlmodel import Session, col, select

from hotline.db import aware
from hotline.i18n.languages import first_spoken
from hotline.models import Callback, Volunteer
from hotline.outbox import service as outbox
from hotline.privacy.pseudonym import Keyring
from hotline.privacy.vault import Vault
from hotline.routing.oncall import Person
from hotline.routing.service import volunteer_phone_place

OPEN = ("waiting", "claimed")
# The webhooks of the calls that bring a volunteer and the caller together again.
CALLBACK_PATH = "/twilio/voice/callback"
CALLBACK_CONNECT_PATH = "/twilio/voice/callback/connect"
CALLBACK_DONE_PATH = "/twilio/voice/callback/done"
BACKUP_VOLUNTEER = 0


def new_code() -> str:
    """A six-digit code a volunteer types back."""
    return f"{secrets.randbelow(10**6):06d}"


def caller_place(call_ref: str) -> str:
    """What a callback's sealed caller number is bound to."""
    return f"callback|caller|{call_ref}"


@dataclass(frozen=True, slots=True)
class Alert:
    """A volunteer to text about a callback, in their language."""

    volunteer_id: int
    number: str
    lang: str


def alert_list(
    people: Sequence[Person],
    *,
    language: str,
    enabled: Collection[str],
    phone: Callable[[Person], str],
) -> list[Alert]:
    """Who hears of a callback: the on-call speakers of its language, else everyone on call."""
    speakers = [p for p in people if p.fluency(language) is not None]
    chosen = speakers or list(people)
    return [
        Alert(p.id, phone(p), first_spoken(p.languages, enabled, fallback=language)) for p in chosen
    ]


@dataclass(frozen=True)
class Texts:
    """What opening, claiming and re-announcing a callback sends, and how."""

    vault: Vault
    keyring: Keyring
    expires_in: timedelta
    # (alert, code, the caller's language) -> the text that alert gets, in its language.
    render: Callable[[Alert, str, str], str]

    def enqueue(
        self, session: Session, *, callback: Callback, alerts: Sequence[Alert], round_: str,
        now: datetime,
    ) -> None:  # fmt: skip
        """Text `alerts` about `callback`, through the outbox."""
        for alert in alerts:
            outbox.texts(
                vault=self.vault,
                keyring=self.keyring,
                sender=callback.sender,
                recipient=alert.number,
                parts=[self.render(alert, callback.code, callback.language)],
                purpose="callback",
                language=alert.lang,
                key=f"callback:{callback.id}:{round_}:{alert.volunteer_id}",
                now=now,
                expires_in=self.expires_in,
            ).apply(session)


@dataclass(frozen=True)
class OpenCallback:
    """Write: a caller asked to be called back; tell the volunteers."""

    call_ref: str
    caller: str
    sender: str
    language: str
    alerts: tuple[Alert, ...]
    texts: Texts
    at: datetime
    expires_in: timedelta
    realert_in: timedelta

    def apply(self, session: Session) -> None:
        code = new_code()
        while session.exec(
            select(Callback.id).where(Callback.code == code).where(col(Callback.status).in_(OPEN))
        ).first():
            code = new_code()
        callback = Callback(
            code=code,
            call_ref=self.call_ref,
            caller_sealed=self.texts.vault.seal(self.caller, place=caller_place(self.call_ref)),
            sender=self.sender,
            language=self.language,
            alerted=",".join(str(a.volunteer_id) for a in self.alerts),
            alerts=1,
            next_alert_at=self.at + self.realert_in,
            expires_at=self.at + self.expires_in,
            created_at=self.at,
            updated_at=self.at,
        )
        session.add(callback)
        session.flush()
        self.texts.enqueue(session, callback=callback, alerts=self.alerts, round_="1", now=self.at)


Claim = Literal["won", "yours", "taken", "unknown"]


def claim(
    session: Session, *, code: str, volunteer_id: int, now: datetime
) -> tuple[Claim, Callback | None]:
    """The volunteer's ACCEPT: the first one wins ("won"); the winner again is "yours"."""
    callback = session.exec(
        select(Callback)
        .where(Callback.code == code)
        .where(col(Callback.status).in_(OPEN))
        .order_by(col(Callback.id).desc())
    ).first()
    if callback is None:
        return "unknown", None
    if callback.status == "claimed":
        return ("yours" if callback.claimed_by == volunteer_id else "taken"), callback
    won = session.exec(
        update(Callback)
        .where(col(Callback.id) == callback.id)
        .where(col(Callback.status) == "waiting")
        .values(status="claimed", claimed_by=volunteer_id, updated_at=now)
    ).rowcount
    session.refresh(callback)
    return ("won" if won == 1 else "taken"), callback


def call_volunteer(
    session: Session,
    *,
    callback: Callback,
    number: str,
    volunteer_id: int,
    url: str,
    vault: Vault,
    keyring: Keyring,
    now: datetime,
    expires_in: timedelta,
) -> None:
    """The hotline rings the volunteer (or the backup) first; the caller comes next."""
    outbox.texts(
        vault=vault,
        keyring=keyring,
        sender=callback.sender,
        recipient=number,
        parts=[url],
        purpose="callback",
        language=callback.language,
        key=f"callback:{callback.id}:call:{volunteer_id}:{callback.updated_at.timestamp():.0f}",
        now=now,
        expires_in=expires_in,
        kind="call",
    ).apply(session)


def volunteer_number(session: Session, vault: Vault, volunteer_id: int) -> str | None:
    """A volunteer's number, opened from its seal."""
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None:
        return None
    return vault.open(volunteer.phone_sealed, place=volunteer_phone_place(volunteer.phone_key))


def caller_number(callback: Callback, vault: Vault) -> str | None:
    """The caller's number, while the callback holds it."""
    if callback.caller_sealed is None:
        return None
    return vault.open(callback.caller_sealed, place=caller_place(callback.call_ref))


def finish(session: Session, *, callback: Callback, status: str, now: datetime) -> None:
    """The callback ends: its sealed caller number goes with it."""
    callback.status, callback.caller_sealed, callback.updated_at = status, None, now
    session.add(callback)
    session.flush()


def release(session: Session, *, callback: Callback, now: datetime) -> None:
    """The caller did not answer: open again for anyone, announced at once."""
    callback.status, callback.claimed_by = "waiting", None
    callback.next_alert_at, callback.updated_at = now, now
    session.add(callback)
    session.flush()


def due(session: Session, *, now: datetime) -> list[Callback]:
    """Open callbacks whose expiry or next announcement has come."""
    rows = session.exec(select(Callback).where(col(Callback.status).in_(OPEN))).all()
    return [
        c
        for c in rows
        if aware(c.expires_at) <= now or (c.status == "waiting" and aware(c.next_alert_at) <= now)
    ]


def tick(
    session: Session,
    *,
    now: datetime,
    on_call: Sequence[Person],
    enabled: Collection[str],
    phone: Callable[[Person], str],
    texts: Texts,
    call_url: Callable[[int], str],
    backup_number: str | None,
    alerts_before_backup: int,
    realert_in: timedelta,
    vault: Vault,
    keyring: Keyring,
) -> int:
    """Expire, announce again, or hand to the backup number what is due. Returns how many."""
    handled = 0
    for callback in due(session, now=now):
        handled += 1
        if aware(callback.expires_at) <= now:
            finish(session, callback=callback, status="expired", now=now)
            continue
        assert callback.id is not None
        if callback.alerts < alerts_before_backup or not backup_number:
            alerts = alert_list(on_call, language=callback.language, enabled=enabled, phone=phone)
            callback.alerts += 1
            known = set(callback.alerted.split(",")) - {""}
            known |= {str(a.volunteer_id) for a in alerts}
            callback.alerted = ",".join(sorted(known))
            callback.next_alert_at, callback.updated_at = now + realert_in, now
            session.add(callback)
            session.flush()
            texts.enqueue(
                session, callback=callback, alerts=alerts, round_=str(callback.alerts), now=now
            )
            continue
        # Nobody claimed it in time: the backup number is called, as a volunteer would be.
        callback.status, callback.claimed_by, callback.updated_at = (
            "claimed",
            BACKUP_VOLUNTEER,
            now,
        )
        session.add(callback)
        session.flush()
        call_volunteer(
            session,
            callback=callback,
            number=backup_number,
            volunteer_id=BACKUP_VOLUNTEER,
            url=call_url(callback.id),
            vault=vault,
            keyring=keyring,
            now=now,
            expires_in=timedelta(minutes=10),
        )
    return handled
