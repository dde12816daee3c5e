"""a text received keeps Twilio's id sealed until it is deleted from Twilio

Its MessageSid column now holds a keyed hash of Twilio's id. Rows written before hold
Twilio's id itself; they are gone within a day (the purge), so none is rewritten.

Revision ID: 0010_received_sid_sealed
Revises: 0009_outbox_priority
Created: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_received_sid_sealed"
down_revision: str | None = "0009_outbox_priority"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sms_inbound", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sid_sealed", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sms_inbound", schema=None) as batch_op:
        batch_op.drop_column("sid_sealed")
