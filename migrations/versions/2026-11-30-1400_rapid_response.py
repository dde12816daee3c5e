"""rapid response: zones, reports, incidents and their history, claims, subscribers, alerts

Revision ID: r01_rapid_response
Revises: c01_console
Created: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "r01_rapid_response"
down_revision: str | None = "c01_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "subscriber",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("number_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("corrections", sa.Boolean(), nullable=False),
        sa.Column("line", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriber")),
        sa.UniqueConstraint("number_key", name=op.f("uq_subscriber_number_key")),
    )
    op.create_table(
        "zone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zone")),
        sa.UniqueConstraint("name", name=op.f("uq_zone_name")),
    )
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("ongoing", sa.Boolean(), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("line", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("next_step_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_report_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zone.id"], name=op.f("fk_incident_zone_id_zone"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
    )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_code"), ["code"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_opened_at"), ["opened_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "subscriber_zip",
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("zip", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscriber.id"],
            name=op.f("fk_subscriber_zip_subscriber_id_subscriber"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subscriber_id", "zip", name=op.f("pk_subscriber_zip")),
    )
    with op.batch_alter_table("subscriber_zip", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subscriber_zip_zip"), ["zip"], unique=False)

    op.create_table(
        "volunteer_zone",
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer.id"],
            name=op.f("fk_volunteer_zone_volunteer_id_volunteer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["zone.id"],
            name=op.f("fk_volunteer_zone_zone_id_zone"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("volunteer_id", "zone_id", name=op.f("pk_volunteer_zone")),
    )
    with op.batch_alter_table("volunteer_zone", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_volunteer_zone_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "zone_neighbour",
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("neighbour_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["neighbour_id"],
            ["zone.id"],
            name=op.f("fk_zone_neighbour_neighbour_id_zone"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["zone.id"],
            name=op.f("fk_zone_neighbour_zone_id_zone"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("zone_id", "neighbour_id", name=op.f("pk_zone_neighbour")),
    )
    op.create_table(
        "zone_zip",
        sa.Column("zip", sa.String(length=5), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zone.id"], name=op.f("fk_zone_zip_zone_id_zone"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("zip", name=op.f("pk_zone_zip")),
    )
    with op.batch_alter_table("zone_zip", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_zone_zip_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_alert_incident_id_incident"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zone.id"], name=op.f("fk_alert_zone_id_zone"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "incident_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("alerted", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("holders", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_incident_claim_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_claim")),
    )
    with op.batch_alter_table("incident_claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_claim_code"), ["code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_incident_claim_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_incident_claim_status"), ["status"], unique=False)

    op.create_table(
        "incident_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_incident_event_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_event")),
    )
    with op.batch_alter_table("incident_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_event_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("place_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ongoing", sa.Boolean(), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("reporter_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("reporter_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_report_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zone.id"], name=op.f("fk_report_zone_id_zone"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report")),
    )
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_minute"), ["minute"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_reporter_key"), ["reporter_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_zone_id"), ["zone_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_zone_id"))
        batch_op.drop_index(batch_op.f("ix_report_status"))
        batch_op.drop_index(batch_op.f("ix_report_reporter_key"))
        batch_op.drop_index(batch_op.f("ix_report_minute"))
        batch_op.drop_index(batch_op.f("ix_report_incident_id"))

    op.drop_table("report")
    with op.batch_alter_table("incident_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_event_incident_id"))

    op.drop_table("incident_event")
    with op.batch_alter_table("incident_claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_claim_status"))
        batch_op.drop_index(batch_op.f("ix_incident_claim_incident_id"))
        batch_op.drop_index(batch_op.f("ix_incident_claim_code"))

    op.drop_table("incident_claim")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_zone_id"))
        batch_op.drop_index(batch_op.f("ix_alert_status"))
        batch_op.drop_index(batch_op.f("ix_alert_incident_id"))

    op.drop_table("alert")
    with op.batch_alter_table("zone_zip", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_zone_zip_zone_id"))

    op.drop_table("zone_zip")
    op.drop_table("zone_neighbour")
    with op.batch_alter_table("volunteer_zone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_zone_zone_id"))

    op.drop_table("volunteer_zone")
    with op.batch_alter_table("subscriber_zip", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscriber_zip_zip"))

    op.drop_table("subscriber_zip")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_zone_id"))
        batch_op.drop_index(batch_op.f("ix_incident_status"))
        batch_op.drop_index(batch_op.f("ix_incident_opened_at"))
        batch_op.drop_index(batch_op.f("ix_incident_code"))

    op.drop_table("incident")
    op.drop_table("zone")
    op.drop_table("subscriber")
