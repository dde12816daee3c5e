"""Who may change the roster, what they changed, and their console sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, ForeignKey, Integer
from sqlmodel import Field, SQLModel

USER_ROLES = ("coordinator", "volunteer")


class User(SQLModel, table=True):
    """A person with an API token and a console password. Only hashes of both are kept."""

    __tablename__ = "app_user"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    role: str = Field(max_length=16)
    token_hash: str = Field(max_length=64, unique=True)
    volunteer_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("volunteer.id", ondelete="SET NULL"), nullable=True),
    )
    active: bool = True
    # After this the token is refused; None: it does not expire.
    expires_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # argon2id, with its parameters and salt; None: this user cannot sign in to the console.
    password_hash: str | None = Field(default=None, max_length=200)
    # Wrong passwords in a row; enough of them lock the account until `locked_until`.
    failed_logins: int = 0
    locked_until: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # The console's language as the user chose it; None: the browser's.
    console_language: str | None = Field(default=None, max_length=16)


class ConsoleSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds the token; only its SHA-256 is kept."""

    __tablename__ = "console_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    last_seen_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )


class AuditEntry(SQLModel, table=True):
    """One change: who, what, when. Field names only, never a value that could be a number.

    `entity_id` names rows of several tables, so it has no foreign key: an entry must
    outlive what it records (a deletion above all), and ids are never handed out again.
    """

    __tablename__ = "audit_entry"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    action: str = Field(max_length=16)
    entity: str = Field(max_length=24)
    entity_id: int | None = None
    fields: str = Field(default="", max_length=400)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
