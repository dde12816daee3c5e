"""outbox refusals, carrier refs and deletions, rights sent

Revision ID: 0008_outbox_privacy
Revises: 0007_key_checks
Created: 2026-11-30

Twilio's raw message ids are dropped: a message already sent keeps its row, and its
sending time for the daily caps, but no id that could be joined with Twilio's logs.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008_outbox_privacy"
down_revision: str | None = "0007_key_checks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "carrier_deletion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("sid_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carrier_deletion")),
        sa.UniqueConstraint("ref", name=op.f("uq_carrier_deletion_ref")),
    )
    with op.batch_alter_table("carrier_deletion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_carrier_deletion_due_at"), ["due_at"], unique=False)

    op.create_table(
        "rights_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("key_epoch", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_sent")),
    )
    with op.batch_alter_table("rights_sent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rights_sent_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_rights_sent_recipient_key"), ["recipient_key"], unique=False
        )

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("refusal", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(
            sa.Column("carrier_ref", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE outbox_message SET sent_at = updated_at WHERE twilio_sid IS NOT NULL")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_outbox_message_twilio_sid"), type_="unique")
        batch_op.create_index(batch_op.f("ix_outbox_message_sent_at"), ["sent_at"], unique=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_outbox_message_carrier_ref"), ["carrier_ref"]
        )
        batch_op.drop_column("twilio_sid")


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("twilio_sid", sa.VARCHAR(length=40), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_outbox_message_carrier_ref"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_outbox_message_sent_at"))
        batch_op.create_unique_constraint(
            batch_op.f("uq_outbox_message_twilio_sid"), ["twilio_sid"]
        )
        batch_op.drop_column("sent_at")
        batch_op.drop_column("carrier_ref")
        batch_op.drop_column("refusal")

    with op.batch_alter_table("rights_sent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rights_sent_recipient_key"))
        batch_op.drop_index(batch_op.f("ix_rights_sent_at"))

    op.drop_table("rights_sent")
    with op.batch_alter_table("carrier_deletion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_carrier_deletion_due_at"))

    op.drop_table("carrier_deletion")
