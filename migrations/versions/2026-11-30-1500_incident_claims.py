"""incidents' call-outs are claims of the shared claims module; incident_claim goes

An incident points to its claim (kind "incident"), which holds its code, who was called
out and who took it. Every open call-out is copied into a claim with its code, so a
responder's `GO` or `CONFIRMED` to a call-out sent before the upgrade still works; one
whose code an open claim already has (a four-digit code of an old text case) gets a new
code, and the next stage of its call-out texts it.

Revision ID: q01_incident_claims
Revises: r02_sender_pool
Created: 2026-11-30
"""

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "q01_incident_claims"
down_revision: str | None = "r02_sender_pool"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_INCIDENTS = ("reported", "dispatched")
MOMENT = sa.DateTime(timezone=True)
STR = sa.String

incident = sa.table(
    "incident",
    sa.column("id", sa.Integer),
    sa.column("status", STR),
    sa.column("code", STR),
    sa.column("claim_id", sa.Integer),
    sa.column("next_step_at", MOMENT),
)
incident_claim = sa.table(
    "incident_claim",
    sa.column("incident_id", sa.Integer),
    sa.column("code", STR),
    sa.column("capacity", sa.Integer),
    sa.column("alerted", STR),
    sa.column("holders", STR),
    sa.column("status", STR),
    sa.column("created_at", MOMENT),
    sa.column("updated_at", MOMENT),
)
claim = sa.table(
    "claim",
    sa.column("id", sa.Integer),
    sa.column("kind", STR),
    sa.column("code", STR),
    sa.column("open_code", STR),
    sa.column("status", STR),
    sa.column("capacity", sa.Integer),
    sa.column("held", sa.Integer),
    sa.column("rounds", sa.Integer),
    sa.column("next_alert_at", MOMENT),
    sa.column("returned", sa.Boolean),
    sa.column("created_at", MOMENT),
    sa.column("updated_at", MOMENT),
)
claim_alert = sa.table(
    "claim_alert",
    sa.column("claim_id", sa.Integer),
    sa.column("volunteer_id", sa.Integer),
    sa.column("at", MOMENT),
)
claim_holder = sa.table(
    "claim_holder",
    sa.column("claim_id", sa.Integer),
    sa.column("volunteer_id", sa.Integer),
    sa.column("backup", sa.Boolean),
    sa.column("at", MOMENT),
)


def upgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_incident_claim_id"), ["claim_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_incident_claim_id_claim"),
            "claim",
            ["claim_id"],
            ["id"],
            ondelete="SET NULL",
        )
    _copy_open_callouts(op.get_bind())
    with op.batch_alter_table("incident_claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_claim_code"))
        batch_op.drop_index(batch_op.f("ix_incident_claim_incident_id"))
        batch_op.drop_index(batch_op.f("ix_incident_claim_status"))
    op.drop_table("incident_claim")


def _ids(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip().isdigit()]


def _copy_open_callouts(bind: sa.Connection) -> None:
    """Each open incident's open call-out becomes a claim, with the same code if it is free."""
    rows = bind.execute(
        sa.select(incident_claim, incident.c.status.label("incident_status"))
        .join(incident, incident.c.id == incident_claim.c.incident_id)
        .where(incident_claim.c.status == "open")
        .where(incident.c.status.in_(OPEN_INCIDENTS))
    ).all()
    volunteers = set(bind.execute(sa.text("SELECT id FROM volunteer")).scalars().all())
    taken = set(
        bind.execute(sa.select(claim.c.open_code).where(claim.c.open_code.is_not(None)))
        .scalars()
        .all()
    )
    now = datetime.now(UTC)
    for row in rows:
        code = row.code if row.code not in taken else _free_code(taken)
        taken.add(code)
        holders = [v for v in _ids(row.holders) if v in volunteers]
        claim_id = bind.execute(
            sa.insert(claim)
            .values(
                kind="incident",
                code=code,
                open_code=code,
                status="held" if holders else "waiting",
                capacity=row.capacity,
                held=len(holders),
                rounds=1,
                next_alert_at=None,
                returned=False,
                created_at=row.created_at,
                updated_at=row.updated_at,
            )
            .returning(claim.c.id)
        ).scalar_one()
        for volunteer_id in dict.fromkeys([*_ids(row.alerted), *holders]):
            if volunteer_id in volunteers:
                bind.execute(
                    sa.insert(claim_alert).values(
                        claim_id=claim_id, volunteer_id=volunteer_id, at=row.created_at
                    )
                )
        for volunteer_id in holders:
            bind.execute(
                sa.insert(claim_holder).values(
                    claim_id=claim_id, volunteer_id=volunteer_id, backup=False, at=row.updated_at
                )
            )
        changed: dict[str, object] = {"claim_id": claim_id, "code": code}
        if code != row.code and row.incident_status == "reported":
            # Its responders know the old code only: the next stage goes out at once.
            changed["next_step_at"] = now
        bind.execute(sa.update(incident).where(incident.c.id == row.incident_id).values(**changed))


def _free_code(taken: set[str]) -> str:
    while True:
        code = f"{secrets.randbelow(10**6):06d}"
        if code not in taken:
            return code


def downgrade() -> None:
    op.create_table(
        "incident_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("alerted", sa.String(length=2000), nullable=False),
        sa.Column("holders", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
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
    _copy_back(op.get_bind())
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_incident_claim_id_claim"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_incident_claim_id"))
        batch_op.drop_column("claim_id")


def _copy_back(bind: sa.Connection) -> None:
    """Open call-outs go back to the old table; their claims stay, closed."""
    old = sa.table("incident_claim", *(sa.column(c.name, c.type) for c in incident_claim.columns))
    rows = bind.execute(
        sa.select(incident.c.id.label("incident_id"), claim)
        .join(claim, claim.c.id == incident.c.claim_id)
        .where(claim.c.open_code.is_not(None))
    ).all()
    for row in rows:
        alerted = bind.execute(
            sa.select(claim_alert.c.volunteer_id).where(claim_alert.c.claim_id == row.id)
        ).scalars()
        holders = bind.execute(
            sa.select(claim_holder.c.volunteer_id)
            .where(claim_holder.c.claim_id == row.id)
            .where(claim_holder.c.volunteer_id.is_not(None))
        ).scalars()
        bind.execute(
            sa.insert(old).values(
                incident_id=row.incident_id,
                code=row.code,
                capacity=row.capacity,
                alerted=",".join(str(v) for v in alerted),
                holders=",".join(str(v) for v in holders),
                status="open",
                created_at=row.created_at,
                updated_at=row.updated_at,
            )
        )
    bind.execute(
        sa.update(claim)
        .where(claim.c.kind == "incident")
        .where(claim.c.open_code.is_not(None))
        .values(status="canceled", open_code=None)
    )
