"""a sender is a hotline number or a Messaging Service SID (34 characters)

Revision ID: r02_sender_pool
Revises: r01_rapid_response
Created: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "r02_sender_pool"
down_revision: str | None = "r01_rapid_response"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.alter_column(
            "sender",
            existing_type=sa.VARCHAR(length=32),
            type_=sqlmodel.sql.sqltypes.AutoString(length=40),
            existing_nullable=False,
        )

    with op.batch_alter_table("sender_pace", schema=None) as batch_op:
        batch_op.alter_column(
            "sender",
            existing_type=sa.VARCHAR(length=32),
            type_=sqlmodel.sql.sqltypes.AutoString(length=40),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("sender_pace", schema=None) as batch_op:
        batch_op.alter_column(
            "sender",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=40),
            type_=sa.VARCHAR(length=32),
            existing_nullable=False,
        )

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.alter_column(
            "sender",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=40),
            type_=sa.VARCHAR(length=32),
            existing_nullable=False,
        )
