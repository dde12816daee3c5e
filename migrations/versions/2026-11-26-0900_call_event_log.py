"""call event log

Revision ID: 0001_call_event
Revises:
Created: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0001_call_event"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_ref", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("caller_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("key_epoch", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_event")),
    )
    with op.batch_alter_table("call_event") as batch_op:
        batch_op.create_index(batch_op.f("ix_call_event_call_ref"), ["call_ref"])
        batch_op.create_index(batch_op.f("ix_call_event_caller_key"), ["caller_key"])


def downgrade() -> None:
    with op.batch_alter_table("call_event") as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_event_caller_key"))
        batch_op.drop_index(batch_op.f("ix_call_event_call_ref"))
    op.drop_table("call_event")
