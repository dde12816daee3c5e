"""urgent help by text

Revision ID: 0006_sms_case
Revises: 0005_sms
Created: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006_sms_case"
down_revision: str | None = "0005_sms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sms_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("texter_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("texter_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("sender", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.Column("alerted", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_case")),
    )
    with op.batch_alter_table("sms_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_case_code"), ["code"], unique=False)
        batch_op.create_index(batch_op.f("ix_sms_case_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_sms_case_texter_key"), ["texter_key"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sms_case_volunteer_id"), ["volunteer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sms_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_case_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_sms_case_texter_key"))
        batch_op.drop_index(batch_op.f("ix_sms_case_status"))
        batch_op.drop_index(batch_op.f("ix_sms_case_code"))

    op.drop_table("sms_case")
