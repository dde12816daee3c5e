"""Alembic environment: batch mode for SQLite, types compared, URL from the settings."""

from __future__ import annotations

from alembic import context

from hotline import db, models
from hotline.config import get_settings

config = context.config
url = config.attributes.get("url") or get_settings().sqlalchemy_url


def run() -> None:
    engine = config.attributes.get("engine") or db.make_engine(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a table by dropping it: with foreign keys on, dropping
            # `volunteer` would cascade to every shift. Off (it must precede the
            # transaction to count), then every reference checked before the commit.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=models.metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise SystemExit(f"the migration broke {len(broken)} foreign key(s)")
        connection.commit()
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    raise SystemExit("hotline migrations run online only: use 'hotline db upgrade'")
run()
