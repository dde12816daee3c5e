"""Users, their API tokens and roles, and the audit log of what they changed.

A token is shown once, when its user is created; only its SHA-256 is stored, so a copy
of the database holds no usable token. Two roles: a coordinator may do everything, a
volunteer only what concerns the volunteer they are linked to.

    HotlineError
    ├── Unauthorized   (401) no token, or one that is not valid
    └── InvalidField   (422) a well-formed request with a value that cannot be accepted
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlmodel import Session, col, select

from hotline.db import aware
from hotline.errors import Forbidden, HotlineError, NotFound
from hotline.models import USER_ROLES, AuditEntry, User, Volunteer

# Marks a string as one of our tokens, for people and for secret scanners.
TOKEN_PREFIX = "hl_"  # noqa: S105
COORDINATOR = "coordinator"
VOLUNTEER = "volunteer"
Action = Literal["create", "update", "delete"]
MAX_TOKEN_DAYS = 3650


class Unauthorized(HotlineError):
    status_code = 401
    code = "unauthorized"


class InvalidField(HotlineError):
    """`loc` names the field, as a request validation error does: ("body", "phone")."""

    status_code = 422
    code = "invalid_field"

    def __init__(self, message: str, *, loc: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.loc = loc


def token_hash(token: str) -> str:
    """What is stored of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    *,
    session: Session,
    name: str,
    role: str,
    volunteer_id: int | None = None,
    expires_days: int | None = None,
    now: datetime | None = None,
) -> tuple[User, str]:
    """A new user and their token, which exists in plain text only in this return value."""
    name = name.strip()
    if not name or len(name) > 120:
        raise InvalidField("name must have 1 to 120 characters", loc=("name",))
    if role not in USER_ROLES:
        raise InvalidField(f"role must be one of {', '.join(USER_ROLES)}", loc=("role",))
    if role == VOLUNTEER and volunteer_id is None:
        raise InvalidField("a volunteer user must be linked to a volunteer", loc=("volunteer_id",))
    if volunteer_id is not None and session.get(Volunteer, volunteer_id) is None:
        raise NotFound(f"volunteer {volunteer_id} does not exist")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user = User.model_validate(
        {
            "name": name,
            "role": role,
            "token_hash": token_hash(token),
            "volunteer_id": volunteer_id,
            "expires_at": _expiry(expires_days, now or datetime.now(UTC)),
            "created_at": now or datetime.now(UTC),
        }
    )
    session.add(user)
    session.flush()
    record(
        session=session,
        user=None,
        action="create",
        entity="user",
        entity_id=user.id,
        fields=["name", "role", "volunteer_id"],
        now=now,
    )
    return user, token


def authenticate(*, session: Session, token: str, now: datetime | None = None) -> User:
    """The active user holding `token`, if it has not expired; Unauthorized otherwise."""
    if not token.startswith(TOKEN_PREFIX):
        raise Unauthorized("the API token is not valid")
    user = session.exec(select(User).where(User.token_hash == token_hash(token))).first()
    if user is None or not user.active:
        raise Unauthorized("the API token is not valid")
    if user.expires_at is not None and aware(user.expires_at) <= (now or datetime.now(UTC)):
        raise Unauthorized("the API token is not valid")
    return user


def list_users(*, session: Session) -> list[User]:
    """Every user, oldest first."""
    return list(session.exec(select(User).order_by(col(User.id))).all())


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    return user


def deactivate_user(*, session: Session, user_id: int, now: datetime | None = None) -> User:
    """Refuse `user_id`'s token from now on."""
    user = _user(session, user_id)
    user.active = False
    session.add(user)
    session.flush()
    record(
        session=session,
        user=None,
        action="update",
        entity="user",
        entity_id=user.id,
        fields=["active"],
        now=now,
    )
    return user


def rotate_token(
    *, session: Session, user_id: int, expires_days: int | None = None, now: datetime | None = None
) -> tuple[User, str]:
    """A new token for `user_id`; the old one stops working at once."""
    now = now or datetime.now(UTC)
    user = _user(session, user_id)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user.token_hash = token_hash(token)
    user.expires_at = _expiry(expires_days, now)
    session.add(user)
    session.flush()
    record(
        session=session,
        user=None,
        action="update",
        entity="user",
        entity_id=user.id,
        fields=["token", "expires_at"],
        now=now,
    )
    return user, token


def disable_users_of(*, session: Session, volunteer_id: int, now: datetime) -> int:
    """Disable the API users of a volunteer who is deactivated or deleted."""
    users = session.exec(
        select(User).where(User.volunteer_id == volunteer_id).where(col(User.active).is_(True))
    ).all()
    for user in users:
        user.active = False
        session.add(user)
        record(
            session=session,
            user=None,
            action="update",
            entity="user",
            entity_id=user.id,
            fields=["active"],
            now=now,
        )
    session.flush()
    return len(users)


def _expiry(days: int | None, now: datetime) -> datetime | None:
    if days is None:
        return None
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidField(f"expiry is 1 to {MAX_TOKEN_DAYS} days", loc=("expires_days",))
    return now + timedelta(days=days)


def is_coordinator(user: User) -> bool:
    """True when `user` may do everything."""
    return user.role == COORDINATOR


def require_coordinator(*, user: User) -> None:
    """Forbidden unless `user` is a coordinator."""
    if not is_coordinator(user):
        raise Forbidden("only a coordinator may do this")


def require_volunteer_access(*, user: User, volunteer_id: int) -> None:
    """Forbidden unless `user` is a coordinator or the volunteer `volunteer_id` themself."""
    if not is_coordinator(user) and user.volunteer_id != volunteer_id:
        raise Forbidden("a volunteer may only do this for themself")


def record(
    *,
    session: Session,
    user: User | None,
    action: Action,
    entity: str,
    entity_id: int | None,
    fields: Iterable[str],
    now: datetime | None = None,
) -> AuditEntry:
    """Log a change by `user` (None: the command line): the names of the fields, no values."""
    entry = AuditEntry.model_validate(
        {
            "user_id": user.id if user is not None else None,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "fields": ",".join(fields)[:400],
            "at": now or datetime.now(UTC),
        }
    )
    session.add(entry)
    session.flush()
    return entry
