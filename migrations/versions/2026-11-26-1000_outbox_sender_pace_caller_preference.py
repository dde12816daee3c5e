"""outbox, sender pace, caller preference

Revision ID: 0002_outbox
Revises: 0001_call_event
Created: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002_outbox"
down_revision: str | None = "0001_call_event"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "caller_preference",
        sa.Column("caller_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("key_epoch", sa.Integer(), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("caller_key", name=op.f("pk_caller_preference")),
    )
    with op.batch_alter_table("caller_preference", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_caller_preference_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("sender", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("recipient_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("key_epoch", sa.Integer(), nullable=False),
        sa.Column("recipient_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("body_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("segments", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("twilio_sid", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_message_idempotency_key")),
        sa.UniqueConstraint("twilio_sid", name=op.f("uq_outbox_message_twilio_sid")),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_message_recipient_key"), ["recipient_key"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_outbox_message_sender"), ["sender"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_message_status"), ["status"], unique=False)

    op.create_table(
        "sender_pace",
        sa.Column("sender", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("next_slot_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sender", name=op.f("pk_sender_pace")),
    )


def downgrade() -> None:
    op.drop_table("sender_pace")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_message_status"))
        batch_op.drop_index(batch_op.f("ix_outbox_message_sender"))
        batch_op.drop_index(batch_op.f("ix_outbox_message_recipient_key"))

    op.drop_table("outbox_message")
    with op.batch_alter_table("caller_preference", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_caller_preference_updated_at"))

    op.drop_table("caller_preference")
