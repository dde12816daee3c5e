"""The root command, its groups, and what every command shares: settings, the database,
and failing in a line or two."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

from hotline.errors import ConfigError, HotlineError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from hotline.config import Settings


class _Guarded(TyperGroup):
    """The root command: a problem an operator can fix is told in a line or two (exit
    status 2), never as a traceback unless HOTLINE_LOG_LEVEL=DEBUG."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except HotlineError as error:
            if debugging():
                raise
            raise fail(error.message) from None
        except Exception as error:
            if debugging() or not unreachable_database(error):
                raise
            from hotline.startup import short_reason

            raise fail(
                f"the database does not answer: {short_reason(error)}\n"
                "check HOTLINE_DATABASE_URL and that the database server is running"
            ) from None


def _group(help_text: str, **options: Any) -> typer.Typer:
    # Plain help, as click writes it: drawing it with rich would import rich, which
    # costs `hotline --help` more than everything else it loads.
    return typer.Typer(help=help_text, no_args_is_help=True, rich_markup_mode=None, **options)


app = _group("A multilingual emergency hotline.", cls=_Guarded)
db_app = _group("The database.")
simulate_app = _group("Try the hotline without a phone.")
i18n_app = _group("Catalogs for translators.")
roster_app = _group("The on-call roster.")
users_app = _group("People who use the roster API.")
keys_app = _group("The pseudonym key file.")
app.add_typer(db_app, name="db")
app.add_typer(simulate_app, name="simulate")
app.add_typer(i18n_app, name="i18n")
app.add_typer(roster_app, name="roster")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")
zones_app = typer.Typer(help="Zones for rapid response.", no_args_is_help=True)
app.add_typer(zones_app, name="zones")

DEMO_HOTLINE = "+13125550100"
# Fictional numbers (555-0100 to 555-0199) in area codes that exist, for simulated callers.
DEMO_AREAS = ("312", "773", "872", "630", "708", "847", "224", "331", "779", "815")
DEMO_FLAG = typer.Option(
    "--demo",
    help="Run the local demo: a stand-in for Twilio, generated secrets, a demo roster.",
)


def unreachable_database(error: Exception) -> bool:
    """Whether `error` is the database toolkit's "cannot connect". Only a command that
    loaded the toolkit can raise it: importing it here for `--help` or `simulate` would
    cost them most of their start-up time."""
    toolkit = sys.modules.get("sqlalchemy.exc")
    return toolkit is not None and isinstance(error, toolkit.OperationalError)


def debugging() -> bool:
    return os.environ.get("HOTLINE_LOG_LEVEL", "").upper() == "DEBUG"


def fail(message: str) -> typer.Exit:
    for line in message.splitlines():
        typer.echo(f"hotline: {line}", err=True)
    return typer.Exit(code=2)


def environment() -> Settings:
    """The settings from the environment, as every command but `serve` and `worker` reads
    them. Loaded when a command runs: the settings library takes a tenth of a second to
    import, which `--help` has no use for."""
    from hotline.config import settings_from_environment

    return settings_from_environment()


def settings_for(*, demo: bool, local_url: str | None = None) -> Settings:
    """The settings of a deployment, or of the demo when asked for with --demo."""
    from hotline.config import demo_settings, misspelt, production_settings

    for line in misspelt():
        typer.echo(f"hotline: warning: {line}", err=True)
    if demo:
        return demo_settings(local_url=local_url)
    return production_settings()


def secret(settings: Settings) -> bytes:
    """The secret key that seals numbers; ConfigError naming the variable without it."""
    if settings.secret_key is None or not settings.secret_key.get_secret_value():
        raise ConfigError("HOTLINE_SECRET_KEY is not set (or run the demo's copy with --demo)")
    return settings.secret_key.get_secret_value().encode()


def database(settings: Settings) -> Engine:
    """The service's database; the embedded SQLite one is created and migrated first."""
    from hotline import db, migrate
    from hotline.config import private_dir

    if settings.is_sqlite:
        private_dir(settings.data_dir)
        migrate.upgrade(settings.sqlalchemy_url)
    return db.make_engine(settings.sqlalchemy_url)
