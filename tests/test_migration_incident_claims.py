"""Open call-outs keep working across the upgrade to shared claims (q01_incident_claims),
on SQLite and PostgreSQL: same code, who was called out, who took it; a code an open
claim already had gets a new one and its call-out goes on at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import Connection, Engine, column, insert, text
from sqlalchemy import table as sa_table
from sqlmodel import Session

from hotline import migrate
from hotline.rapid import callouts
from tests.test_migration_claims import old

__all__ = ["old"]

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _insert(connection: Connection, table: str, row: dict[str, object]) -> None:
    connection.execute(insert(sa_table(table, *(column(name) for name in row))).values(row))


def _seed(engine: Engine) -> None:
    with engine.begin() as connection:
        for name, key in (("Ana", "k1"), ("Luis", "k2")):
            _insert(connection, "volunteer", {
                "name": name, "phone_sealed": b"s", "phone_key": key, "phone_hint": "x",
                "languages": "es", "role": "legal_volunteer", "active": True,
                "availability": "on", "created_at": NOW, "updated_at": NOW,
            })  # fmt: skip
        # An old text case's four-digit code is still open.
        _insert(connection, "claim", {
            "kind": "sms_case", "code": "4321", "open_code": "4321", "status": "waiting",
            "capacity": 1, "held": 0, "rounds": 1, "returned": False,
            "created_at": NOW, "updated_at": NOW,
        })  # fmt: skip
        incidents = [
            (1, "dispatched", "1234", "1,2", "2", "open"),
            (2, "reported", "4321", "1", "", "open"),
            (3, "confirmed", "5555", "1", "1", "closed"),
        ]
        for number, status, code, alerted, holders, claim_status in incidents:
            _insert(connection, "incident", {
                "id": number, "kind": "street", "status": status, "ongoing": True,
                "reports": 1, "code": code, "line": "+13125550100", "stage": 1,
                "next_step_at": NOW + timedelta(minutes=5), "opened_at": NOW,
                "last_report_at": NOW, "expires_at": NOW + timedelta(hours=3),
                "updated_at": NOW,
            })  # fmt: skip
            _insert(connection, "incident_claim", {
                "incident_id": number, "code": code, "capacity": 1, "alerted": alerted,
                "holders": holders, "status": claim_status, "created_at": NOW,
                "updated_at": NOW,
            })  # fmt: skip


def test_open_call_outs_become_claims(old: tuple[str, Engine]) -> None:
    url, engine = old
    command.upgrade(migrate.alembic_config(url, engine), "r02_sender_pool")
    _seed(engine)
    migrate.upgrade(url, engine)
    with Session(engine) as session:
        found = callouts.incident_of(session, code="1234")
        assert found is not None
        dispatched, claim = found
        assert (dispatched.id, claim.kind, claim.status, claim.held) == (1, "incident", "held", 1)
        assert callouts.holders(session, dispatched) == [2]
        assert sorted(callouts.alerted(session, dispatched)) == [1, 2]
        # The clashing code was changed, and the next stage is due at once.
        assert callouts.incident_of(session, code="4321") is None
        row = session.execute(
            text("SELECT code, claim_id, next_step_at FROM incident WHERE id = 2")
        ).one()
        assert row.code != "4321"
        assert row.claim_id is not None
        again = callouts.incident_of(session, code=row.code)
        assert again is not None
        assert again[0].id == 2
        # A closed incident's call-out is not copied.
        closed = session.execute(text("SELECT claim_id FROM incident WHERE id = 3")).scalar()
        assert closed is None
    with engine.connect() as connection:
        tables = {
            name
            for (name,) in connection.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                    if engine.dialect.name == "sqlite"
                    else "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            )
        }
    assert "incident_claim" not in tables


def test_the_downgrade_gives_open_call_outs_back(old: tuple[str, Engine]) -> None:
    url, engine = old
    command.upgrade(migrate.alembic_config(url, engine), "r02_sender_pool")
    _seed(engine)
    migrate.upgrade(url, engine)
    command.downgrade(migrate.alembic_config(url, engine), "r02_sender_pool")
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT incident_id, alerted, holders FROM incident_claim ORDER BY incident_id")
        ).all()
    assert [(r.incident_id, r.holders) for r in rows] == [(1, "2"), (2, "")]
    assert sorted(rows[0].alerted.split(",")) == ["1", "2"]
