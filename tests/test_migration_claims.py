"""Open callbacks and text cases keep working across the upgrade to claims (s01_claims),
on SQLite and PostgreSQL; shifts survive the rebuilt volunteer table; ids are not reused."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from hotline import db, migrate
from tests.conftest import POSTGRES_URL

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[tuple[str, Engine]]:
    """An empty database at the revision before claims."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/old.db"
        engine = db.make_engine(url)
        yield url, engine
        engine.dispose()
        return
    admin = db.make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    name = f"hotline_migration_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    engine = db.make_engine(url)
    yield url, engine
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _seed(engine: Engine) -> None:
    rows = {
        "volunteer": [
            {"name": "Ana", "phone_key": "k1"},
            {"name": "Luis", "phone_key": "k2"},
        ],
    }
    with engine.begin() as connection:
        for row in rows["volunteer"]:
            connection.execute(
                text(
                    "INSERT INTO volunteer (name, phone_sealed, phone_key, phone_hint, "
                    "languages, role, active, availability, created_at, updated_at) VALUES "
                    "(:name, :sealed, :phone_key, 'x', 'es', 'legal_volunteer', true, "
                    "'on', :at, :at)"
                ),
                {**row, "sealed": b"s", "at": NOW},
            )
        connection.execute(
            text(
                "INSERT INTO shift (volunteer_id, starts_at, ends_at, weekly, created_at) "
                "VALUES (1, :at, :end, false, :at)"
            ),
            {"at": NOW, "end": NOW + timedelta(hours=8)},
        )
        callbacks = [
            ("123456", "waiting", None, "1,2"),
            ("234567", "claimed", 2, "1,2,0,9"),
            ("345678", "done", 1, "1"),
        ]
        for code, status, holder, alerted in callbacks:
            connection.execute(
                text(
                    "INSERT INTO callback (code, call_ref, caller_sealed, sender, language, "
                    "status, claimed_by, alerted, alerts, next_alert_at, expires_at, "
                    "created_at, updated_at) VALUES (:code, :code, :sealed, '+13125550100', "
                    "'es', :status, :holder, :alerted, 2, :at, :later, :at, :at)"
                ),
                {
                    "code": code,
                    "status": status,
                    "holder": holder,
                    "alerted": alerted,
                    "sealed": b"c",
                    "at": NOW,
                    "later": NOW + timedelta(hours=2),
                },
            )
        connection.execute(
            text(
                "INSERT INTO sms_case (code, texter_key, texter_sealed, sender, language, "
                "status, volunteer_id, alerted, last_activity_at, created_at) VALUES "
                "('4321', 't', :sealed, '+13125550100', 'es', 'claimed', 1, '1,2', :at, :at)"
            ),
            {"sealed": b"t", "at": NOW},
        )


def test_open_callbacks_and_cases_become_claims(old: tuple[str, Engine]) -> None:
    url, engine = old
    command.upgrade(migrate.alembic_config(url, engine), "0006_sms_case")
    _seed(engine)
    migrate.upgrade(url, engine)
    with engine.connect() as connection:
        claims = connection.execute(
            text("SELECT id, kind, code, open_code, status, held, rounds FROM claim ORDER BY id")
        ).all()
        holders = connection.execute(
            text("SELECT claim_id, volunteer_id, backup FROM claim_holder ORDER BY id")
        ).all()
        alerted = connection.execute(
            text("SELECT claim_id, volunteer_id FROM claim_alert ORDER BY claim_id, volunteer_id")
        ).all()
        shifts = connection.execute(text("SELECT volunteer_id FROM shift")).scalars().all()
        linked = connection.execute(text("SELECT claim_id FROM callback ORDER BY id")).all()
    by_code = {row.code: row for row in claims}
    assert (by_code["123456"].status, by_code["123456"].open_code) == ("waiting", "123456")
    assert (by_code["234567"].status, by_code["234567"].held) == ("held", 1)
    assert (by_code["345678"].status, by_code["345678"].open_code) == ("done", None)
    assert (by_code["4321"].kind, by_code["4321"].status) == ("sms_case", "held")
    assert [(h.volunteer_id, bool(h.backup)) for h in holders] == [(2, False), (1, False)]
    # The backup's stand-in id (0) and a volunteer who no longer exists (9) are dropped.
    assert {(a.claim_id, a.volunteer_id) for a in alerted} >= {
        (by_code["234567"].id, 1),
        (by_code["234567"].id, 2),
    }
    assert all(a.volunteer_id in (1, 2) for a in alerted)
    assert shifts == [1], "rebuilding the volunteer table must not cascade to shifts"
    assert len(linked) == 3
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM volunteer WHERE id = 2"))
        connection.execute(
            text(
                "INSERT INTO volunteer (name, phone_sealed, phone_key, phone_hint, languages, "
                "role, active, availability, created_at, updated_at) VALUES ('New', :s, 'k3', "
                "'x', 'es', 'legal_volunteer', true, 'on', :at, :at)"
            ),
            {"s": b"s", "at": NOW},
        )
        new_id = connection.execute(text("SELECT id FROM volunteer WHERE name = 'New'")).scalar()
    assert new_id == 3, "a deleted volunteer's id is never handed out again"
