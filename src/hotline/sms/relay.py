"""Urgent help by text: a case opened by a texter, claimed by the first volunteer to
ACCEPT it, relayed both ways from the hotline's number, so neither sees the other's.

The texter's number is sealed while the case is open and deleted when it closes:
by DONE, by the texter's DELETE, or after a quiet spell.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from hotline.callbacks.service import Alert
from hotline.db import aware
from hotline.models import SmsCase
from hotline.outbox import service as outbox
from hotline.privacy.pseudonym import Keyring
from hotline.privacy.vault import Vault

OPEN = ("waiting", "claimed")


def texter_place(case_id: int) -> str:
    return f"sms_case|texter|{case_id}"


def open_case_of(session: Session, *, keys: Sequence[str]) -> SmsCase | None:
    """The texter's open case, if any."""
    return session.exec(
        select(SmsCase)
        .where(col(SmsCase.texter_key).in_(keys))
        .where(col(SmsCase.status).in_(OPEN))
    ).first()


def open_case(
    session: Session,
    *,
    texter: str,
    texter_key: str,
    sender: str,
    language: str,
    vault: Vault,
    alerts: Sequence[Alert],
    now: datetime,
) -> SmsCase:
    """A new case with a four-digit code no open case uses; its texter sealed."""
    code = f"{secrets.randbelow(10**4):04d}"
    while session.exec(
        select(SmsCase.id).where(SmsCase.code == code).where(col(SmsCase.status).in_(OPEN))
    ).first():
        code = f"{secrets.randbelow(10**4):04d}"
    case = SmsCase(
        code=code,
        texter_key=texter_key,
        sender=sender,
        language=language,
        alerted=",".join(str(a.volunteer_id) for a in alerts),
        last_activity_at=now,
        created_at=now,
    )
    session.add(case)
    session.flush()
    assert case.id is not None
    case.texter_sealed = vault.seal(texter, place=texter_place(case.id))
    session.add(case)
    session.flush()
    return case


def claim(
    session: Session, *, code: str, volunteer_id: int, now: datetime
) -> tuple[str, SmsCase | None]:
    """ACCEPT: "won" for the first volunteer, "yours" again for them, else "taken"/"unknown"."""
    case = session.exec(
        select(SmsCase).where(SmsCase.code == code).where(col(SmsCase.status).in_(OPEN))
    ).first()
    if case is None:
        return "unknown", None
    if case.status == "claimed":
        return ("yours" if case.volunteer_id == volunteer_id else "taken"), case
    won = session.exec(
        update(SmsCase)
        .where(col(SmsCase.id) == case.id)
        .where(col(SmsCase.status) == "waiting")
        .values(status="claimed", volunteer_id=volunteer_id, last_activity_at=now)
    ).rowcount
    session.refresh(case)
    return ("won" if won == 1 else "taken"), case


def cases_of(session: Session, *, volunteer_id: int) -> list[SmsCase]:
    """The cases a volunteer holds."""
    return list(
        session.exec(
            select(SmsCase)
            .where(SmsCase.volunteer_id == volunteer_id)
            .where(SmsCase.status == "claimed")
            .order_by(col(SmsCase.id))
        ).all()
    )


def texter_number(case: SmsCase, vault: Vault) -> str | None:
    if case.texter_sealed is None or case.id is None:
        return None
    return vault.open(case.texter_sealed, place=texter_place(case.id))


def close(session: Session, *, case: SmsCase, now: datetime) -> None:
    """The case ends: the texter's number goes with it."""
    case.status, case.texter_sealed, case.last_activity_at = "closed", None, now
    session.add(case)
    session.flush()


def touch(session: Session, *, case: SmsCase, now: datetime) -> None:
    case.last_activity_at = now
    session.add(case)
    session.flush()


def quiet(session: Session, *, now: datetime, idle: timedelta) -> list[SmsCase]:
    """Open cases nobody has written in for `idle`."""
    rows = session.exec(select(SmsCase).where(col(SmsCase.status).in_(OPEN))).all()
    return [c for c in rows if aware(c.last_activity_at) <= now - idle]


def send(
    session: Session,
    *,
    vault: Vault,
    keyring: Keyring,
    sender: str,
    recipient: str,
    body: str,
    key: str,
    now: datetime,
    expires_in: timedelta,
    purpose: str = "relay",
) -> None:
    """One text through the outbox, sealed until it is handed to Twilio."""
    outbox.texts(
        vault=vault,
        keyring=keyring,
        sender=sender,
        recipient=recipient,
        parts=[body[:1600]],
        purpose=purpose,
        language=None,
        key=key,
        now=now,
        expires_in=expires_in,
    ).apply(session)
