"""The `hotline` command.

Each command imports what it needs when it runs, not when this module loads: the web
framework, the database toolkit and Twilio's SDK take seconds to import, and
`hotline --help` or `hotline simulate ...` should answer at once.

A problem an operator can fix (a setting, an unreachable database, a key file) is
printed as one or two lines naming what to change, with exit status 2; a traceback
only with HOTLINE_LOG_LEVEL=DEBUG.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

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
            if _debugging():
                raise
            raise _fail(error.message) from None
        except Exception as error:
            if _debugging() or not _unreachable_database(error):
                raise
            from hotline.startup import short_reason

            raise _fail(
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

T = TypeVar("T")


def _unreachable_database(error: Exception) -> bool:
    """Whether `error` is the database toolkit's "cannot connect". Only a command that
    loaded the toolkit can raise it: importing it here for `--help` or `simulate` would
    cost them most of their start-up time."""
    toolkit = sys.modules.get("sqlalchemy.exc")
    return toolkit is not None and isinstance(error, toolkit.OperationalError)


def _debugging() -> bool:
    return os.environ.get("HOTLINE_LOG_LEVEL", "").upper() == "DEBUG"


def _fail(message: str) -> typer.Exit:
    for line in message.splitlines():
        typer.echo(f"hotline: {line}", err=True)
    return typer.Exit(code=2)


def _environment() -> Settings:
    """The settings from the environment, as every command but `serve` and `worker` reads
    them. Loaded when a command runs: the settings library takes a tenth of a second to
    import, which `--help` has no use for."""
    from hotline.config import settings_from_environment

    return settings_from_environment()


def _settings(*, demo: bool, local_url: str | None = None) -> Settings:
    """The settings of a deployment, or of the demo when asked for with --demo."""
    from hotline.config import demo_settings, misspelt, production_settings

    for line in misspelt():
        typer.echo(f"hotline: warning: {line}", err=True)
    if demo:
        return demo_settings(local_url=local_url)
    return production_settings()


def _secret(settings: Settings) -> bytes:
    """The secret key that seals numbers; ConfigError naming the variable without it."""
    if settings.secret_key is None or not settings.secret_key.get_secret_value():
        raise ConfigError("HOTLINE_SECRET_KEY is not set (or run the demo's copy with --demo)")
    return settings.secret_key.get_secret_value().encode()


def _database(settings: Settings) -> Engine:
    """The service's database; the embedded SQLite one is created and migrated first."""
    from hotline import db, migrate
    from hotline.config import private_dir

    if settings.is_sqlite:
        private_dir(settings.data_dir)
        migrate.upgrade(settings.sqlalchemy_url)
    return db.make_engine(settings.sqlalchemy_url)


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

    settings = _settings(demo=demo, local_url=f"http://{host}:{port}")
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

    settings = _settings(demo=demo)
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

    settings = _environment()
    purged = retention.purge(_database(settings), settings)
    typer.echo(
        f"purged: {purged.call_events} call events, {purged.preferences} remembered "
        f"languages, {purged.outbox_deleted} finished messages "
        f"({purged.outbox_emptied} emptied of sealed data), {purged.reports} reports, "
        f"{purged.incidents} incidents",
        err=True,
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration to HOTLINE_DATABASE_URL."""
    from hotline import migrate
    from hotline.config import private_dir

    settings = _environment()
    if settings.is_sqlite:
        private_dir(settings.data_dir)
    migrate.upgrade(settings.sqlalchemy_url)
    typer.echo("database is up to date", err=True)


@db_app.command("check")
def db_check() -> None:
    """Fail when models/ has changes no migration describes."""
    from hotline import migrate

    migrate.check(_environment().sqlalchemy_url)


@keys_app.command("new")
def keys_new(
    replace: Annotated[
        bool, typer.Option(help="Replace an existing key file (what it linked is forgotten).")
    ] = False,
) -> None:
    """Start a new pseudonym key file. Languages remembered and opt-outs made under the old
    one can no longer be matched to anyone."""
    from hotline.startup import key_file, open_keys

    settings = _environment()
    path = key_file(settings)
    if path.exists() and not replace:
        raise ConfigError(f"{path} exists: pass --replace to start a new key anyway")
    if path.exists():
        path.unlink()
    engine = _database(settings)
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


@users_app.command("create")
def users_create(
    name: Annotated[str, typer.Option(help="Who will use the token and the console.")],
    role: Annotated[
        str,
        typer.Option(help="coordinator (everything) or volunteer (their own shifts only)."),
    ],
    password_file: Annotated[
        Path,
        typer.Option(
            exists=True,
            dir_okay=False,
            readable=True,
            help="A file holding the console password (12 characters or more) on one line.",
        ),
    ],
    volunteer_id: Annotated[
        int | None, typer.Option(help="The volunteer a volunteer user is.")
    ] = None,
    expires_days: Annotated[
        int | None, typer.Option(help="The token stops working after this many days.")
    ] = None,
) -> None:
    """Add a user of the console and the roster API; print their API token, this once."""
    from hotline import db
    from hotline.auth import console as console_auth
    from hotline.auth import service as auth_service

    password = _read_password(password_file)
    with db.transaction(_database(_environment())) as session:
        user, token = auth_service.create_user(
            session=session,
            name=name,
            role=role,
            volunteer_id=volunteer_id,
            expires_days=expires_days,
        )
        console_auth.set_password(session=session, user=user, password=password)
    typer.echo(
        f"user {user.id} ({user.role}) created; they sign in to the console at /console/login "
        "with their name and that password. The API token is shown only this once:",
        err=True,
    )
    typer.echo(token)


@users_app.command("list")
def users_list() -> None:
    """The users of the roster API: id, role, linked volunteer, state, expiry. No tokens."""
    from datetime import UTC, datetime

    from hotline import db
    from hotline.auth import service as auth_service
    from hotline.db import aware

    with db.transaction(_database(_environment())) as session:
        users = auth_service.list_users(session=session)
    now = datetime.now(UTC)
    for user in users:
        expires = aware(user.expires_at) if user.expires_at else None
        state = "active" if user.active and (expires is None or expires > now) else "disabled"
        if user.active and expires is not None and expires <= now:
            state = "expired"
        until = f"until {expires:%Y-%m-%d %H:%M} UTC" if expires else "no expiry"
        volunteer = f"volunteer {user.volunteer_id}" if user.volunteer_id else "-"
        typer.echo(f"{user.id}\t{user.role}\t{volunteer}\t{state}\t{until}\t{user.name}")


@users_app.command("deactivate")
def users_deactivate(user_id: Annotated[int, typer.Argument(help="The user's id.")]) -> None:
    """Refuse a user's token from now on."""
    from hotline import db
    from hotline.auth import service as auth_service

    with db.transaction(_database(_environment())) as session:
        auth_service.deactivate_user(session=session, user_id=user_id)
    typer.echo(f"user {user_id} deactivated", err=True)


@users_app.command("rotate")
def users_rotate(
    user_id: Annotated[int, typer.Argument(help="The user's id.")],
    expires_days: Annotated[
        int | None, typer.Option(help="The new token stops working after this many days.")
    ] = None,
) -> None:
    """Give a user a new token, printed this once; the old one stops working at once."""
    from hotline import db
    from hotline.auth import service as auth_service

    with db.transaction(_database(_environment())) as session:
        user, token = auth_service.rotate_token(
            session=session, user_id=user_id, expires_days=expires_days
        )
    typer.echo(f"user {user.id}: new token, shown only this once:", err=True)
    typer.echo(token)


def _read_password(path: Path) -> str:
    """The password in `path`: its first line, without the line ending."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise HotlineError("the password file cannot be read as UTF-8 text") from None
    lines = text.splitlines()
    return lines[0] if lines else ""


@roster_app.command("import")
def roster_import(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="CSV: name,phone,languages,role,active,shift_weekday,shift_start,shift_end",
        ),
    ],
    demo: Annotated[bool, DEMO_FLAG] = False,
) -> None:
    """Add or update volunteers and weekly shifts from a CSV file: all of it, or nothing."""
    from hotline import db
    from hotline.config import demo_settings
    from hotline.privacy.vault import Vault
    from hotline.roster import importer as roster_importer

    settings = demo_settings() if demo else _environment()
    secret = _secret(settings)
    engine = _database(settings)
    with db.transaction(engine) as session, file.open(newline="", encoding="utf-8-sig") as rows:
        report = roster_importer.import_roster(
            session=session,
            vault=Vault(secret),
            settings=settings,
            languages=settings.languages,
            rows=rows,
        )
    for problem in report.problems:
        typer.echo(f"{file.name}: {problem}", err=True)
    if not report.ok:
        typer.echo(f"nothing was imported: {len(report.problems)} problem(s)", err=True)
        raise typer.Exit(code=1)
    typer.echo(
        f"volunteers: {report.volunteers_created} added, {report.volunteers_updated} updated, "
        f"{report.volunteers_unchanged} unchanged; weekly shifts: {report.shifts_created} "
        f"added, {report.shifts_kept} already there"
    )


@zones_app.command("import")
def zones_import(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, readable=True, help="CSV: zone,zip (and neighbours)"
        ),
    ],
) -> None:
    """Create or update zones and their ZIP codes from a CSV file: all of it, or nothing."""
    from hotline import db
    from hotline.rapid import zone_import

    settings = _environment()
    with (
        db.transaction(_database(settings)) as session,
        file.open(newline="", encoding="utf-8-sig") as rows,
    ):
        report = zone_import.import_zones(session=session, rows=rows)
        if not report.ok:
            session.rollback()
    for problem in report.problems:
        typer.echo(f"{file.name}: {problem}", err=True)
    if not report.ok:
        typer.echo(f"nothing was imported: {len(report.problems)} problem(s)", err=True)
        raise typer.Exit(code=1)
    typer.echo(
        f"zones: {report.created} added, {report.updated} updated, {report.unchanged} "
        f"unchanged; {report.zips} ZIP codes"
    )


@roster_app.command("coverage")
def roster_coverage(
    days: Annotated[int, typer.Option(min=1, max=28, help="How many days ahead.")] = 7,
    language: Annotated[
        str | None, typer.Option(help="One language code; every enabled one by default.")
    ] = None,
) -> None:
    """Print the stretches of the coming days when nobody on a shift speaks a language."""
    from datetime import UTC, datetime, timedelta

    from hotline import db
    from hotline.roster import service as roster_service

    settings = _environment()
    if language is not None and language not in settings.languages:
        raise typer.BadParameter(
            f"choose one of {', '.join(settings.languages)}", param_hint="--language"
        )
    zone = settings.zone
    start = datetime.now(UTC)
    with db.transaction(_database(settings)) as session:
        found = roster_service.coverage(
            session=session,
            timezone=zone,
            languages=[language] if language else settings.languages,
            start=start,
            end=start + timedelta(days=days),
        )
    for code, gaps in found.items():
        hours = sum((end - begin for begin, end in gaps), timedelta()) / timedelta(hours=1)
        typer.echo(f"{code}: {hours:.1f} h uncovered in the next {days} days")
        for begin, end in gaps:
            typer.echo(
                f"  {begin.astimezone(zone):%a %Y-%m-%d %H:%M} to "
                f"{end.astimezone(zone):%a %Y-%m-%d %H:%M %Z} "
                f"({(end - begin) / timedelta(hours=1):.1f} h)"
            )


def _simulation_settings(url: str | None) -> Settings:
    """A staging server's settings when TWILIO_AUTH_TOKEN is set; else the demo's."""
    from hotline.config import demo_settings

    if os.environ.get("TWILIO_AUTH_TOKEN"):
        return _environment()
    return demo_settings(local_url=url)


def fresh_caller() -> str:
    """A fictional number nobody has used to call the demo yet, most likely."""
    area = secrets.choice(DEMO_AREAS)
    return f"+1{area}55501{secrets.randbelow(100):02d}"


@simulate_app.command("call")
def simulate_call(
    from_: Annotated[
        str | None,
        typer.Option("--from", help="The caller's number (a fresh fictional one by default)."),
    ] = None,
    to: Annotated[str, typer.Option(help="The hotline number called.")] = DEMO_HOTLINE,
    press: Annotated[
        list[str] | None,
        typer.Option(help="Keys to press in order ('-' presses nothing). Repeat or list."),
    ] = None,
    answer: Annotated[
        str,
        typer.Option(
            help="What a rung phone does: accept (answers, presses 1 at the whisper), "
            "decline (presses 2), voicemail (answers, presses nothing), no-answer, busy."
        ),
    ] = "accept",
    url: Annotated[str | None, typer.Option(help="Where the service listens.")] = None,
) -> None:
    """Call the running service the way Twilio does, and print what the caller hears."""
    import httpx

    from hotline.simulator.call import (
        CallSimulator,
        DialAnswer,
        InteractiveKeys,
        ScriptedKeys,
        SimulationError,
    )

    settings = _simulation_settings(url)
    token = settings.twilio_auth_token
    assert token is not None
    keys_pressed = [key for entry in press or [] for key in entry.split()]
    keys = ScriptedKeys(keys_pressed) if press else InteractiveKeys()
    outcomes = {
        "accept": DialAnswer(status="completed", keys=("1",)),
        "decline": DialAnswer(status="completed", keys=("2",)),
        "voicemail": DialAnswer(status="completed"),
        "no-answer": DialAnswer(status="no-answer"),
        "busy": DialAnswer(status="busy"),
    }
    if answer not in outcomes:
        raise typer.BadParameter(f"choose one of {', '.join(outcomes)}", param_hint="--answer")
    outcome = outcomes[answer]
    with httpx.Client(base_url=url or settings.public_url, timeout=10) as client:
        simulator = CallSimulator(
            client=client,
            public_url=settings.public_url,
            auth_token=token.get_secret_value(),
            caller=from_ or fresh_caller(),
            hotline=to,
            keys=keys,
            answer=lambda _number: outcome,
        )
        try:
            result = simulator.run()
        except httpx.ConnectError:
            typer.echo(
                f"hotline: nothing answers at {url or settings.public_url}; "
                "start it with 'make run'",
                err=True,
            )
            raise typer.Exit(code=2) from None
        except SimulationError as error:
            typer.echo(f"hotline: the call failed: {error}", err=True)
            raise typer.Exit(code=1) from None
    typer.echo(f"(call ended: {result.ended_by})")


@simulate_app.command("sms")
def simulate_sms(
    text: Annotated[str, typer.Argument(help="What the texter sends.")],
    from_: Annotated[
        str | None,
        typer.Option("--from", help="The texter's number (a fresh fictional one by default)."),
    ] = None,
    to: Annotated[str, typer.Option(help="The hotline number texted.")] = DEMO_HOTLINE,
    wait: Annotated[
        float, typer.Option(min=0, help="Seconds to wait for texts sent through the stand-in.")
    ] = 0.0,
    url: Annotated[str | None, typer.Option(help="Where the service listens.")] = None,
) -> None:
    """Text the running service the way Twilio does, and print what it answers."""
    import time
    import xml.etree.ElementTree as ET

    import httpx

    from hotline.sms.paths import SMS_PATH

    settings = _simulation_settings(url)
    from_ = from_ or fresh_caller()
    token = settings.twilio_auth_token
    assert token is not None
    base = url or settings.public_url
    params = {
        "MessageSid": f"SM{secrets.token_hex(16)}",
        "AccountSid": settings.twilio_account_sid,
        "From": from_,
        "To": to,
        "Body": text,
        "NumMedia": "0",
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
    }
    signature = _twilio_signature(token.get_secret_value(), settings.public_url + SMS_PATH, params)
    try:
        before = _standin_texts(base, settings, to=from_) if settings.uses_local_standin else None
        answer = httpx.post(
            f"{base}{SMS_PATH}", data=params, headers={"X-Twilio-Signature": signature}, timeout=10
        )
    except httpx.ConnectError:
        raise _fail(f"nothing answers at {base}; start it with 'make run'") from None
    if answer.status_code != 200:
        typer.echo(f"hotline: the service answered HTTP {answer.status_code}", err=True)
        raise typer.Exit(code=1)
    try:
        # Our own service's answer, from the address this command was given.
        root = ET.fromstring(answer.content)  # noqa: S314
    except ET.ParseError as error:
        typer.echo(f"hotline: the service answered broken XML: {error}", err=True)
        raise typer.Exit(code=1) from None
    replies = [message.text or "" for message in root.iter("Message")]
    if not replies:
        typer.echo("(no reply)")
    for reply in replies:
        typer.echo(f"--- reply to {mask(from_)}")
        typer.echo(reply)
    if before is None:
        return
    seen = {message["sid"] for message in before}
    deadline = time.monotonic() + wait
    while True:
        new = [m for m in _standin_texts(base, settings, to=from_) or [] if m["sid"] not in seen]
        if new or time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    for message in reversed(new):
        typer.echo(f"--- sent to {mask(message['to'])} through the stand-in, {message['status']}")
        typer.echo(message["body"])


def _twilio_signature(token: str, url: str, params: dict[str, str]) -> str:
    """X-Twilio-Signature as Twilio computes it for a form POST. The service checks it
    with Twilio's SDK, whose validator stays out of this module (tests/test_layers.py)."""
    import base64
    import hashlib
    import hmac

    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _standin_texts(base: str, settings: Settings, *, to: str) -> list[dict[str, Any]] | None:
    """The texts the local stand-in at `base` holds for `to`, newest first; None when it
    does not answer as the stand-in."""
    import httpx

    from hotline.config import LOCAL_STANDIN_PATH

    token = settings.twilio_auth_token
    assert token is not None
    path = f"{LOCAL_STANDIN_PATH}/2010-04-01/Accounts/{settings.twilio_account_sid}/Messages.json"
    answer = httpx.get(
        f"{base}{path}",
        params={"To": to, "PageSize": 1000},
        auth=(settings.twilio_account_sid, token.get_secret_value()),
        timeout=10,
    )
    if answer.status_code != 200:
        return None
    messages: list[dict[str, Any]] = answer.json()["messages"]
    return messages


@simulate_app.command("messages")
def simulate_messages(
    url: Annotated[str | None, typer.Option(help="Where the service listens.")] = None,
    last: Annotated[int, typer.Option(help="How many of the newest to show.")] = 10,
) -> None:
    """Show the texts the hotline sent through the local stand-in, newest last."""
    import httpx

    from hotline.config import LOCAL_STANDIN_PATH

    settings = _simulation_settings(url)
    if not settings.uses_local_standin:
        raise _fail("texts go to Twilio itself here, not to the local stand-in")
    token = settings.twilio_auth_token
    assert token is not None
    base = url or settings.public_url
    path = f"{LOCAL_STANDIN_PATH}/2010-04-01/Accounts/{settings.twilio_account_sid}/Messages.json"
    try:
        answer = httpx.get(
            f"{base}{path}",
            params={"PageSize": last},
            auth=(settings.twilio_account_sid, token.get_secret_value()),
            timeout=10,
        )
    except httpx.ConnectError:
        raise _fail(f"nothing answers at {base}; start it with 'make run'") from None
    answer.raise_for_status()
    messages = answer.json()["messages"]
    if not messages:
        typer.echo("(no texts sent yet)")
    for message in reversed(messages):
        typer.echo(f"--- to {mask(message['to'])}, {message['status']}")
        typer.echo(message["body"])


def mask(number: str) -> str:
    """A phone number as people may see it here: country and area code, last two digits."""
    return f"{number[:5]}•••{number[-2:]}" if len(number) > 8 else "•••"


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

    settings = _environment()
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


@i18n_app.command("extract")
def i18n_extract(
    output: Annotated[Path | None, typer.Option(help="Write here instead.")] = None,
    domain: Annotated[
        str | None,
        typer.Option(help="hotline (callers' words) or console; both when left out."),
    ] = None,
) -> None:
    """Regenerate locales/hotline.pot and locales/console.pot from the source."""
    from hotline.i18n import tools as i18n_tools

    if domain is not None and domain not in i18n_tools.DOMAINS:
        raise typer.BadParameter(f"choose one of {', '.join(i18n_tools.DOMAINS)}")
    if output is not None and domain is None:
        raise typer.BadParameter("--output needs --domain")
    for chosen in [domain] if domain else i18n_tools.DOMAINS:
        i18n_tools.extract(_environment().locales_dir, output, domain=chosen)


@i18n_app.command("update")
def i18n_update() -> None:
    """Merge the templates into every enabled language's catalog, and the console's."""
    from hotline.i18n import tools as i18n_tools

    settings = _environment()
    i18n_tools.update(settings.locales_dir, settings.languages)
    console = i18n_tools.console_languages(settings.locales_dir)
    i18n_tools.update(settings.locales_dir, console, domain=i18n_tools.CONSOLE_DOMAIN)


@i18n_app.command("check")
def i18n_check(
    texts: Annotated[bool, typer.Option(help="List every text message's length.")] = True,
) -> None:
    """Report per language: untranslated, fuzzy, broken, stand-in prompts, text lengths."""
    from hotline.i18n import audio
    from hotline.i18n import catalogs as catalog_loader
    from hotline.i18n import tools as i18n_tools
    from hotline.rights.texts import text_report

    settings = _environment()
    loaded = catalog_loader.load(settings.locales_dir, settings.languages)
    recordings = audio.scan(settings.audio_dir, base_url=settings.recordings_url)
    incomplete = []
    for code, language in loaded.languages.items():
        report = i18n_tools.check_catalog(settings.locales_dir, language, recordings=recordings)
        status = "complete" if report.complete else "INCOMPLETE"
        typer.echo(
            f"{code} {language.name}: {report.translated} translated, {status}; "
            f"legal review: {report.legal_review}"
        )
        for title, entries in (
            ("untranslated", report.untranslated),
            ("fuzzy", report.fuzzy),
            ("placeholders differ from the source", report.broken),
            ("said by the stand-in voice (no recording)", report.standin),
        ):
            if entries:
                typer.echo(f"  {title}: {len(entries)}")
                for entry in entries:
                    typer.echo(f"    {entry}")
        if texts:
            for what, chars, encoding, segments in text_report(loaded.translator(code)):
                typer.echo(f"  text: {what:<40} {chars:>5} chars {encoding} {segments:>2} seg")
        if not report.complete:
            incomplete.append(code)
    for code in i18n_tools.console_languages(settings.locales_dir):
        report = i18n_tools.check_console(settings.locales_dir, code)
        status = "complete" if report.complete else "INCOMPLETE"
        typer.echo(f"console {code}: {report.translated} translated, {status}")
        for entry in [*report.untranslated, *report.fuzzy, *report.broken]:
            typer.echo(f"    {entry}")
        if not report.complete:
            incomplete.append(f"console {code}")
    if incomplete:
        typer.echo(f"incomplete: {', '.join(incomplete)}", err=True)
        raise typer.Exit(code=1)


@i18n_app.command("compile")
def i18n_compile() -> None:
    """Compile every enabled language's catalog, and the console's, for the service."""
    from hotline.i18n import tools as i18n_tools

    settings = _environment()
    i18n_tools.compile_all(settings.locales_dir, settings.languages)
    console = i18n_tools.console_languages(settings.locales_dir)
    i18n_tools.compile_all(settings.locales_dir, console, domain=i18n_tools.CONSOLE_DOMAIN)


def expand_press(argv: list[str]) -> list[str]:
    """`--press 2 1 0` as Typer reads it: `--press 2 --press 1 --press 0`."""
    expanded: list[str] = []
    pressing = False
    for argument in argv:
        if argument == "--press":
            pressing = True
            continue
        if argument.startswith("--"):
            pressing = False
        expanded.extend(["--press", argument] if pressing else [argument])
    return expanded


def main() -> None:
    """The `hotline` command."""
    os.umask(0o077)  # whatever the service writes, only its own user may read
    app(args=expand_press(sys.argv[1:]), prog_name="hotline")
