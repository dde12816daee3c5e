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
        context.configure(
            connection=connection,
            target_metadata=models.metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("hotline migrations run online only: use 'hotline db upgrade'")
run()
