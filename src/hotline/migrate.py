"""Run the Alembic migrations from code."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from hotline.config import PROJECT_ROOT


def alembic_config(url: str, engine: Engine | None = None) -> Config:
    """The Alembic configuration for the database at `url`."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["url"] = url
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(url: str, engine: Engine | None = None) -> None:
    """Bring the database at `url` to the newest revision."""
    command.upgrade(alembic_config(url, engine), "head")


def check(url: str) -> None:
    """Fail when the tables in models/ and the migrations disagree."""
    command.check(alembic_config(url))
