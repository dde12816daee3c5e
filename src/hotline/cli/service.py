"""Running the service: serve, worker, purge, the database, the key file, the fallback TwiML."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hotline.cli.base import DEMO_FLAG, app, database, db_app, environment, keys_app, settings_for
from hotline.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy import Engine


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[bool, DEMO_FLAG] = False,
) -> None:
    """Run the service (an embedded SQLite database is migrated first)."""
    import gc

    import uvicorn

    from hotline import logging as hotline_logging
    from hotline.app import create_app
    from hotline.startup import prepare

    settings = settings_for(demo=demo, local_url=f"http://{host}:{port}")
    hotline_logging.configure(settings.log_level)
    prepared = prepare(settings, create_keys=False)
    application = create_app(settings, engine=prepared.engine, keyring=prepared.keyring)
    if demo:
        _seed_demo(application)
        typer.echo(
            f"hotline demo is answering on {settings.public_url} with the local Twilio "
            "stand-in.\nPlace a test call or text from another terminal:\n"
            "  .venv/bin/hotline simulate call            (you press the keys)\n"
            "  .venv/bin/hotline simulate call --press 2 1 0   (keys given in advance)\n"
            '  .venv/bin/hotline simulate sms "HELP"       (a text)\n'
            "  .venv/bin/hotline simulate messages          (texts the hotline sent)\n"
            f"The console is at {settings.public_url}/console/login; give yourself an account\n"
            "with: .venv/bin/hotline users create --name NAME --role coordinator "
            "--password-file FILE",
            err=True,
        )
    # What start-up built lives as long as the process: keeping it out of the
    # collector's sight turns full collections (pauses of tens of milliseconds a
    # few times a minute under load) into short ones.
    gc.collect()
    gc.freeze()
    uvicorn.run(
        application,
        host=host,
        port=port,
        access_log=False,
        log_config=None,
        # Twilio's forms are a few KiB: a request's head larger than this is refused.
        h11_max_incomplete_event_size=16 * 1024,
        timeout_keep_alive=15,
    )


def _seed_demo(application: Any) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from hotline import db
    from hotline.roster import demo as roster_demo

    runtime = application.state.runtime
    try:
        with db.transaction(runtime.engine) as session:
            seeded = roster_demo.seed_demo(
                session=session, vault=runtime.vault, settings=runtime.settings
            )
    except SQLAlchemyError:
        return
    if seeded:
        typer.echo(f"demo roster: {seeded} fictional volunteers, on call all week", err=True)


@app.command()
def worker(demo: Annotated[bool, DEMO_FLAG] = False) -> None:
    """Send the outbox and run every periodic job, beside one or more web processes."""
    import signal
    import threading

    from hotline import logging as hotline_logging
    from hotline.app import build_runtime, run_worker
    from hotline.startup import prepare

    settings = settings_for(demo=demo)
    hotline_logging.configure(settings.log_level)
    prepared = prepare(settings)
    runtime = build_runtime(settings, engine=prepared.engine, keyring=prepared.keyring)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_args: stop.set())
    typer.echo("hotline worker: sending the outbox; stop with Ctrl-C", err=True)
    run_worker(runtime, stop)


@app.command()
def purge() -> None:
    """Delete what is past its retention window, now."""
    from hotline.privacy import retention

    settings = environment()
    purged = retention.purge(database(settings), settings)
    typer.echo(
        f"purged: {purged.call_events} call events, {purged.preferences} remembered "
        f"languages, {purged.outbox_deleted} finished messages "
        f"({purged.outbox_emptied} emptied of sealed data), {purged.reports} reports, "
        f"{purged.incidents} incidents, {purged.records} call records, callbacks and cases",
        err=True,
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration to HOTLINE_DATABASE_URL."""
    from hotline import migrate
    from hotline.config import private_dir

    settings = environment()
    if settings.is_sqlite:
        private_dir(settings.data_dir)
    migrate.upgrade(settings.sqlalchemy_url)
    typer.echo("database is up to date", err=True)


@db_app.command("check")
def db_check() -> None:
    """Fail when models/ has changes no migration describes."""
    from hotline import migrate

    migrate.check(environment().sqlalchemy_url)


@keys_app.command("new")
def keys_new(
    replace: Annotated[
        bool, typer.Option(help="Replace an existing key file (what it linked is forgotten).")
    ] = False,
) -> None:
    """Start a new pseudonym key file. Languages remembered and opt-outs made under the old
    one can no longer be matched to anyone."""
    from hotline.startup import key_file, open_keys

    settings = environment()
    path = key_file(settings)
    if path.exists() and not replace:
        raise ConfigError(f"{path} exists: pass --replace to start a new key anyway")
    if path.exists():
        path.unlink()
    engine = database(settings)
    from hotline.startup import unreachable

    reachable = unreachable(engine) is None
    if reachable:
        _forget_key_checks(engine)
    open_keys(settings, engine, reachable=reachable, create=True)
    typer.echo(f"a new pseudonym key is in {path}", err=True)


def _forget_key_checks(engine: Engine) -> None:
    from sqlmodel import delete

    from hotline import db
    from hotline.models import KeyCheck

    with db.transaction(engine) as session:
        session.exec(delete(KeyCheck).where(KeyCheck.name == "pseudonym"))  # type: ignore[arg-type]


@app.command("fallback-twiml")
def fallback_twiml(
    sms: Annotated[bool, typer.Option("--sms", help="The messaging fallback instead.")] = False,
    output: Annotated[Path | None, typer.Option(help="Write the file here.")] = None,
) -> None:
    """The static TwiML for Twilio's fallback URLs, for the current settings: it rings the
    backup numbers (voice) or gives them (--sms) in every language of the menu."""
    from hotline.i18n import catalogs as catalog_loader
    from hotline.sms.twiml import fallback_reply
    from hotline.voice.twiml import static_fallback

    settings = environment()
    if not settings.backup_numbers:
        raise ConfigError(
            "HOTLINE_BACKUP_NUMBER is not set: a fallback that rings nobody is not served"
        )
    loaded = catalog_loader.load(settings.locales_dir, settings.languages)
    render = fallback_reply if sms else static_fallback
    document = render(catalogs=loaded, codes=settings.voice_menu, numbers=settings.backup_numbers)
    if output is None:
        sys.stdout.write(document + "\n")
        return
    output.write_text(document + "\n", encoding="utf-8")
    typer.echo(f"wrote {output}", err=True)
