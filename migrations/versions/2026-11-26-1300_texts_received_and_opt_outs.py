"""texts received and opt-outs

Revision ID: 0005_sms
Revises: 0004_callbacks
Created: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005_sms"
down_revision: str | None = "0004_callbacks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "opt_out",
        sa.Column("contact_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("key_epoch", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("contact_key", name=op.f("pk_opt_out")),
    )
    op.create_table(
        "sms_inbound",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_sid", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("contact_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("key_epoch", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_inbound")),
        sa.UniqueConstraint("message_sid", name=op.f("uq_sms_inbound_message_sid")),
    )
    with op.batch_alter_table("sms_inbound", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sms_inbound_contact_key"), ["contact_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sms_inbound_received_at"), ["received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sms_inbound", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_inbound_received_at"))
        batch_op.drop_index(batch_op.f("ix_sms_inbound_contact_key"))

    op.drop_table("sms_inbound")
    op.drop_table("opt_out")
