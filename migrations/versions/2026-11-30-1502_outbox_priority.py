"""outbox rows carry a priority: alerts to subscribers go after everything else

Revision ID: 0009_outbox_priority
Revises: q02_reports_by_text
Created: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_outbox_priority"
down_revision: str | None = "q02_reports_by_text"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_index("ix_outbox_message_due", ["status", "priority", "id"], unique=False)
    op.execute(
        "UPDATE outbox_message SET priority = 1 WHERE purpose IN ('alert', 'alert-correction')"
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_due")
        batch_op.drop_column("priority")
