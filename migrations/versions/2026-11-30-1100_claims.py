"""one implementation of claims; foreign keys for every volunteer; ids never reused

Callbacks and text cases keep their own data (a sealed number, a language) and point to
a claim that holds the code, the status, who was alerted and who holds it. Every
callback and case is copied into a claim, so open ones work across the upgrade.

Revision ID: s01_claims
Revises: 0008_outbox_privacy
Created: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "s01_claims"
down_revision: str | None = "0008_outbox_privacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Old statuses to claim statuses.
CALLBACK_STATUS = {"waiting": "waiting", "claimed": "held", "done": "done", "expired": "expired"}
CASE_STATUS = {"waiting": "waiting", "claimed": "held", "closed": "done"}
OPEN = ("waiting", "held")
# The old callback table's stand-in id for the backup number.
BACKUP_VOLUNTEER = 0
AUTOINCREMENT = {"sqlite_autoincrement": True}
MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("open_code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("next_alert_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("returned", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim")),
        sa.UniqueConstraint("open_code", name=op.f("uq_claim_open_code")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_code"), ["code"], unique=False)
        batch_op.create_index(batch_op.f("ix_claim_status"), ["status"], unique=False)

    op.create_table(
        "claim_alert",
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claim.id"],
            name=op.f("fk_claim_alert_claim_id_claim"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer.id"],
            name=op.f("fk_claim_alert_volunteer_id_volunteer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("claim_id", "volunteer_id", name=op.f("pk_claim_alert")),
    )
    op.create_table(
        "claim_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer.id"],
            name=op.f("fk_claim_failure_volunteer_id_volunteer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_failure")),
    )
    with op.batch_alter_table("claim_failure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_claim_failure_volunteer_id"), ["volunteer_id"], unique=False
        )

    op.create_table(
        "claim_holder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.Column("backup", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(volunteer_id IS NULL) = backup", name=op.f("ck_claim_holder_one_holder")
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claim.id"],
            name=op.f("fk_claim_holder_claim_id_claim"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer.id"],
            name=op.f("fk_claim_holder_volunteer_id_volunteer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_holder")),
        sa.UniqueConstraint("claim_id", "volunteer_id", name=op.f("uq_claim_holder_claim_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("claim_holder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_holder_claim_id"), ["claim_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_claim_holder_volunteer_id"), ["volunteer_id"], unique=False
        )

    op.create_table(
        "claim_lockout",
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer.id"],
            name=op.f("fk_claim_lockout_volunteer_id_volunteer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("volunteer_id", name=op.f("pk_claim_lockout")),
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # Ids are never handed out again (AUTOINCREMENT): rebuilt with their rows.
        for name in ("volunteer", "app_user", "audit_entry"):
            with op.batch_alter_table(name, recreate="always", table_kwargs=AUTOINCREMENT):
                pass
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    # A reference to a row that is gone would refuse the new foreign keys.
    op.execute(
        "UPDATE audit_entry SET user_id = NULL WHERE user_id IS NOT NULL "
        "AND user_id NOT IN (SELECT id FROM app_user)"
    )
    op.execute(
        "UPDATE call_record SET accepted_by = NULL WHERE accepted_by IS NOT NULL "
        "AND accepted_by NOT IN (SELECT id FROM volunteer)"
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_audit_entry_user_id_app_user"),
            "app_user",
            ["user_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("call_record", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_call_record_accepted_by_volunteer"),
            "volunteer",
            ["accepted_by"],
            ["id"],
            ondelete="SET NULL",
        )
    for name in ("callback", "sms_case"):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column("claim_id", sa.Integer(), nullable=True))
    _copy_callbacks(bind)
    _copy_cases(bind)
    with op.batch_alter_table("callback", schema=None, table_kwargs=AUTOINCREMENT) as batch_op:
        batch_op.alter_column("claim_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index(batch_op.f("ix_callback_code"))
        batch_op.drop_index(batch_op.f("ix_callback_status"))
        batch_op.create_unique_constraint(batch_op.f("uq_callback_claim_id"), ["claim_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_callback_claim_id_claim"),
            "claim",
            ["claim_id"],
            ["id"],
            ondelete="CASCADE",
        )
        for column in ("code", "alerts", "status", "claimed_by", "next_alert_at", "alerted"):
            batch_op.drop_column(column)
    with op.batch_alter_table("sms_case", schema=None, table_kwargs=AUTOINCREMENT) as batch_op:
        batch_op.alter_column("claim_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index(batch_op.f("ix_sms_case_code"))
        batch_op.drop_index(batch_op.f("ix_sms_case_status"))
        batch_op.drop_index(batch_op.f("ix_sms_case_volunteer_id"))
        batch_op.create_unique_constraint(batch_op.f("uq_sms_case_claim_id"), ["claim_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_sms_case_claim_id_claim"),
            "claim",
            ["claim_id"],
            ["id"],
            ondelete="CASCADE",
        )
        for column in ("status", "code", "alerted", "volunteer_id"):
            batch_op.drop_column(column)


claim = sa.table(
    "claim",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("code", sa.String),
    sa.column("open_code", sa.String),
    sa.column("status", sa.String),
    sa.column("capacity", sa.Integer),
    sa.column("held", sa.Integer),
    sa.column("rounds", sa.Integer),
    sa.column("next_alert_at", sa.DateTime(timezone=True)),
    sa.column("returned", sa.Boolean),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
claim_alert = sa.table(
    "claim_alert",
    sa.column("claim_id", sa.Integer),
    sa.column("volunteer_id", sa.Integer),
    sa.column("at", sa.DateTime(timezone=True)),
)
claim_holder = sa.table(
    "claim_holder",
    sa.column("claim_id", sa.Integer),
    sa.column("volunteer_id", sa.Integer),
    sa.column("backup", sa.Boolean),
    sa.column("at", sa.DateTime(timezone=True)),
)


def _ids(text: str) -> set[int]:
    return {int(part) for part in text.split(",") if part.strip().isdigit()}


def _new_claim(bind: sa.Connection, row: sa.Row, *, kind: str, status: str, **extra: object) -> int:
    """A claim for an old row; its volunteers that still exist are its alerted and holder."""
    claim_id = bind.execute(
        sa.insert(claim)
        .values(
            kind=kind,
            code=row.code,
            open_code=row.code if status in OPEN else None,
            status=status,
            capacity=1,
            held=0,
            returned=False,
            created_at=row.created_at,
            updated_at=extra.pop("updated_at", row.created_at),
            **extra,
        )
        .returning(claim.c.id)
    ).scalar_one()
    existing = set(bind.execute(sa.text("SELECT id FROM volunteer")).scalars())
    alerted = sorted(_ids(row.alerted) & existing)
    if alerted:
        bind.execute(
            sa.insert(claim_alert),
            [{"claim_id": claim_id, "volunteer_id": v, "at": row.created_at} for v in alerted],
        )
    return int(claim_id)


def _hold(bind: sa.Connection, claim_id: int, holder: int | None, at: object) -> None:
    existing = set(bind.execute(sa.text("SELECT id FROM volunteer")).scalars())
    if holder == BACKUP_VOLUNTEER:
        values = {"volunteer_id": None, "backup": True}
    elif holder in existing:
        values = {"volunteer_id": holder, "backup": False}
    else:
        return
    bind.execute(sa.insert(claim_holder).values(claim_id=claim_id, at=at, **values))
    bind.execute(sa.update(claim).where(claim.c.id == claim_id).values(held=1))


def _copy_callbacks(bind: sa.Connection) -> None:
    rows = bind.execute(
        sa.text(
            "SELECT id, code, status, claimed_by, alerted, alerts, next_alert_at, created_at, "
            "updated_at FROM callback ORDER BY id"
        ).columns(next_alert_at=MOMENT, created_at=MOMENT, updated_at=MOMENT)
    ).all()
    for row in rows:
        status = CALLBACK_STATUS.get(row.status, "done")
        claim_id = _new_claim(
            bind,
            row,
            kind="callback",
            status=status,
            rounds=row.alerts,
            next_alert_at=row.next_alert_at,
            updated_at=row.updated_at,
        )
        if status == "held":
            _hold(bind, claim_id, row.claimed_by, row.updated_at)
        bind.execute(
            sa.text("UPDATE callback SET claim_id = :claim WHERE id = :id"),
            {"claim": claim_id, "id": row.id},
        )


def _copy_cases(bind: sa.Connection) -> None:
    rows = bind.execute(
        sa.text(
            "SELECT id, code, status, volunteer_id, alerted, last_activity_at, created_at "
            "FROM sms_case ORDER BY id"
        ).columns(last_activity_at=MOMENT, created_at=MOMENT)
    ).all()
    for row in rows:
        status = CASE_STATUS.get(row.status, "done")
        claim_id = _new_claim(
            bind,
            row,
            kind="sms_case",
            status=status,
            rounds=1,
            updated_at=row.last_activity_at,
        )
        if status == "held":
            _hold(bind, claim_id, row.volunteer_id, row.last_activity_at)
        bind.execute(
            sa.text("UPDATE sms_case SET claim_id = :claim WHERE id = :id"),
            {"claim": claim_id, "id": row.id},
        )


def downgrade() -> None:
    for name, columns in (
        ("sms_case", ("code", "status", "alerted", "volunteer_id")),
        ("callback", ("code", "status", "alerted", "claimed_by", "alerts", "next_alert_at")),
    ):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column("code", sa.String(8), nullable=True))
            batch_op.add_column(sa.Column("status", sa.String(16), nullable=True))
            batch_op.add_column(sa.Column("alerted", sa.String(400), nullable=True))
            if name == "sms_case":
                batch_op.add_column(sa.Column("volunteer_id", sa.Integer(), nullable=True))
            else:
                batch_op.add_column(sa.Column("claimed_by", sa.Integer(), nullable=True))
                batch_op.add_column(sa.Column("alerts", sa.Integer(), nullable=True))
                batch_op.add_column(
                    sa.Column("next_alert_at", sa.DateTime(timezone=True), nullable=True)
                )
        holder = "volunteer_id" if name == "sms_case" else "claimed_by"
        # Table and column names come from the lines above, never from data.
        op.execute(
            f"UPDATE {name} SET code = substr((SELECT code FROM claim WHERE claim.id = "  # noqa: S608
            f"{name}.claim_id), 1, 8), alerted = '', status = CASE (SELECT status FROM claim "
            f"WHERE claim.id = {name}.claim_id) WHEN 'waiting' THEN 'waiting' WHEN 'held' "
            f"THEN 'claimed' WHEN 'expired' THEN 'expired' ELSE "
            f"'{'closed' if name == 'sms_case' else 'done'}' END, {holder} = (SELECT "
            f"COALESCE(volunteer_id, {BACKUP_VOLUNTEER}) FROM claim_holder WHERE "
            f"claim_holder.claim_id = {name}.claim_id LIMIT 1)"
        )
        if name == "callback":
            op.execute(
                "UPDATE callback SET alerts = COALESCE((SELECT rounds FROM claim WHERE "
                "claim.id = callback.claim_id), 1), next_alert_at = COALESCE((SELECT "
                "next_alert_at FROM claim WHERE claim.id = callback.claim_id), expires_at)"
            )
        with op.batch_alter_table(name, schema=None) as batch_op:
            for column in columns:
                if column not in ("volunteer_id", "claimed_by"):
                    batch_op.alter_column(column, nullable=False)
            batch_op.drop_constraint(batch_op.f(f"fk_{name}_claim_id_claim"), type_="foreignkey")
            batch_op.drop_constraint(batch_op.f(f"uq_{name}_claim_id"), type_="unique")
            batch_op.create_index(batch_op.f(f"ix_{name}_status"), ["status"], unique=False)
            batch_op.create_index(batch_op.f(f"ix_{name}_code"), ["code"], unique=False)
            if name == "sms_case":
                batch_op.create_index(
                    batch_op.f("ix_sms_case_volunteer_id"), ["volunteer_id"], unique=False
                )
            batch_op.drop_column("claim_id")
    with op.batch_alter_table("call_record", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_call_record_accepted_by_volunteer"), type_="foreignkey"
        )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_audit_entry_user_id_app_user"), type_="foreignkey")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
    for name in ("claim_lockout", "claim_holder", "claim_failure", "claim_alert", "claim"):
        op.drop_table(name)
