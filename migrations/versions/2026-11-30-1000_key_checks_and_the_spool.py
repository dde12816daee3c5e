"""key checks and the spool

Revision ID: 0007_key_checks
Revises: 0006_sms_case
Created: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007_key_checks"
down_revision: str | None = "0006_sms_case"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "key_check",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=True),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_key_check")),
    )
    op.create_table(
        "spool_applied",
        sa.Column("entry_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_spool_applied")),
    )
    with op.batch_alter_table("spool_applied", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_spool_applied_applied_at"), ["applied_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("spool_applied", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_spool_applied_applied_at"))

    op.drop_table("spool_applied")
    op.drop_table("key_check")
