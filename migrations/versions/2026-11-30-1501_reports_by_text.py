"""reports by text: a report under way between texts, and a responder's question

A report by text under way (REPORT, or "reply 1 to report this") is kept under the
texter's pseudonym for a quarter of an hour, its place sealed. A report keeps the hotline
number its reporter wrote to and who asked them a question, so their answers reach that
responder while the report is open.

Revision ID: q02_reports_by_text
Revises: q01_incident_claims
Created: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "q02_reports_by_text"
down_revision: str | None = "q01_incident_claims"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("texter_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("key_epoch", sa.Integer(), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("place_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_draft")),
        sa.UniqueConstraint("texter_key", name=op.f("uq_report_draft_texter_key")),
    )
    with op.batch_alter_table("report_draft", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_draft_expires_at"), ["expires_at"], unique=False
        )
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "line",
                sqlmodel.sql.sqltypes.AutoString(length=40),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(sa.Column("asked_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("asked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_report_asked_by_volunteer"),
            "volunteer",
            ["asked_by"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.alter_column("line", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_report_asked_by_volunteer"), type_="foreignkey")
        batch_op.drop_column("asked_at")
        batch_op.drop_column("asked_by")
        batch_op.drop_column("line")
    with op.batch_alter_table("report_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_draft_expires_at"))
    op.drop_table("report_draft")
