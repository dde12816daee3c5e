"""Console sign-in: passwords with lockout, server-side sessions, CSRF tokens.

A session is a random token in an HttpOnly cookie; only its SHA-256 is stored, so a
copy of the database opens no session. Every sign-in makes a new token (a token planted
before sign-in is worth nothing after it). A session ends `session` after sign-in, after
`idle` unused, at sign-out, or when the user's password is set again. Enough wrong
passwords in a row lock the account for a while; the right password does not open a
locked account, and the answer is the same whatever went wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from hotline.auth import passwords
from hotline.auth import service as auth_service
from hotline.auth.passwords import Hasher, check_new
from hotline.db import aware
from hotline.models import ConsoleSession, User

# last_seen_at is written at most this often, not on every page a browser polls.
TOUCH_EVERY = timedelta(seconds=60)
CSRF_PURPOSE = b"hotline console csrf|"
LOGIN_PURPOSE = b"hotline console sign-in csrf|"


@dataclass(frozen=True, slots=True)
class Policy:
    """How long sessions last, and when wrong passwords lock an account."""

    session: timedelta = timedelta(hours=12)
    idle: timedelta = timedelta(hours=1)
    failures: int = 5
    lockout: timedelta = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class SignIn:
    """A sign-in's result: the user and the new session token, or neither."""

    user: User | None = None
    token: str | None = None


def set_password(
    *, session: Session, user: User, password: str, hasher: Hasher | None = None
) -> None:
    """Give `user` a console password; their open sessions end and any lock is lifted."""
    hasher = hasher or passwords.HASHER
    user.password_hash = hasher.hash(check_new(password))
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    session.exec(delete(ConsoleSession).where(col(ConsoleSession.user_id) == user.id))
    session.flush()
    auth_service.record(
        session=session,
        user=None,
        action="update",
        entity="user",
        entity_id=user.id,
        fields=["password"],
    )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(
    *,
    session: Session,
    name: str,
    password: str,
    policy: Policy,
    now: datetime | None = None,
    hasher: Hasher | None = None,
) -> SignIn:
    """A new session for the active user `name` with `password`; SignIn() for anything else.

    A failure is counted against the account, so the caller commits it like a success.
    """
    now = now or datetime.now(UTC)
    hasher = hasher or passwords.HASHER
    candidates = session.exec(
        select(User)
        .where(User.name == name.strip()[:120])
        .where(col(User.active).is_(True))
        .where(col(User.password_hash).is_not(None))
        .order_by(col(User.id))
    ).all()
    if not candidates:
        hasher.verify(None, password)
        return SignIn()
    for user in candidates:
        locked = user.locked_until is not None and aware(user.locked_until) > now
        if locked:
            hasher.verify(None, password)
            continue
        if hasher.verify(user.password_hash, password):
            return SignIn(user, _open(session, user, password, policy, now, hasher))
        user.failed_logins += 1
        if user.failed_logins >= policy.failures:
            user.locked_until = now + policy.lockout
            user.failed_logins = 0
        session.add(user)
    session.flush()
    return SignIn()


def _open(
    session: Session, user: User, password: str, policy: Policy, now: datetime, hasher: Hasher
) -> str:
    user.failed_logins = 0
    user.locked_until = None
    if user.password_hash is not None and hasher.needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    session.add(user)
    token = secrets.token_urlsafe(32)
    assert user.id is not None
    session.add(
        ConsoleSession(
            token_hash=_hash(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + policy.session,
        )
    )
    session.flush()
    return token


def resume(
    *, session: Session, token: str, policy: Policy, now: datetime | None = None
) -> tuple[User, ConsoleSession] | None:
    """The user of the live session `token`; None (and the row gone) if it has ended."""
    now = now or datetime.now(UTC)
    row = session.get(ConsoleSession, _hash(token))
    if row is None:
        return None
    expired = aware(row.expires_at) <= now or aware(row.last_seen_at) + policy.idle <= now
    user = session.get(User, row.user_id)
    if expired or user is None or not user.active or user.password_hash is None:
        session.delete(row)
        session.flush()
        return None
    if now - aware(row.last_seen_at) >= TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
        session.flush()
    return user, row


def sign_out(*, session: Session, token: str) -> None:
    """End the session `token`, if it is one."""
    session.exec(delete(ConsoleSession).where(col(ConsoleSession.token_hash) == _hash(token)))
    session.flush()


def purge_sessions(*, session: Session, now: datetime) -> int:
    """Delete the sessions past their end; how many."""
    result = session.exec(delete(ConsoleSession).where(col(ConsoleSession.expires_at) <= now))
    return int(result.rowcount or 0)


def csrf_token(secret: bytes, session_token: str, *, login: bool = False) -> str:
    """The token every form of this session carries (the sign-in form's for `login`)."""
    purpose = LOGIN_PURPOSE if login else CSRF_PURPOSE
    return hmac.new(secret, purpose + session_token.encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, session_token: str, submitted: str, *, login: bool = False) -> bool:
    """True when `submitted` is this session's token."""
    expected = csrf_token(secret, session_token, login=login)
    return hmac.compare_digest(expected.encode(), submitted.encode("utf-8", "replace"))
