"""The `hotline` command."""

from __future__ import annotations

import base64
import gc
import hashlib
import hmac
import logging
import secrets
import signal
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
import uvicorn
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from hotline import db, migrate
from hotline import logging as hotline_logging
from hotline.app import (
    CALLBACK_TICK_SECONDS,
    build_runtime,
    create_app,
    make_dispatcher,
    tick_callbacks,
    tick_rapid,
)
from hotline.auth import service as auth_service
from hotline.config import LOCAL_STANDIN_PATH, Settings
from hotline.deps import Runtime
from hotline.errors import HotlineError
from hotline.i18n import audio
from hotline.i18n import catalogs as catalog_loader
from hotline.i18n import tools as i18n_tools
from hotline.privacy import retention
from hotline.privacy.vault import Vault
from hotline.rapid import scheduled as rapid_scheduled
from hotline.rapid import zone_import
from hotline.rights.texts import text_report
from hotline.roster import demo as roster_demo
from hotline.roster import importer as roster_importer
from hotline.roster import service as roster_service
from hotline.simulator.call import (
    CallSimulator,
    DialAnswer,
    InteractiveKeys,
    ScriptedKeys,
    SimulationError,
)
from hotline.sms.router import SMS_PATH
from hotline.voice import twiml

app = typer.Typer(help="A multilingual emergency hotline.", no_args_is_help=True)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
simulate_app = typer.Typer(help="Try the hotline without a phone.", no_args_is_help=True)
i18n_app = typer.Typer(help="Catalogs for translators.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(simulate_app, name="simulate")
app.add_typer(i18n_app, name="i18n")
roster_app = typer.Typer(help="The on-call roster.", no_args_is_help=True)
users_app = typer.Typer(help="People who use the roster API.", no_args_is_help=True)
app.add_typer(roster_app, name="roster")
app.add_typer(users_app, name="users")
zones_app = typer.Typer(help="Zones for rapid response.", no_args_is_help=True)
app.add_typer(zones_app, name="zones")

DEMO_CALLER = "+13125550123"
DEMO_HOTLINE = "+13125550100"
DEMO_BACKUP = "+13125550111"


def _local_secret(path: Path, nbytes: int) -> str:
    """A secret kept in the data folder for the local demo, made on first use."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(nbytes)
    path.touch(mode=0o600)
    path.write_text(value)
    return value


def _settings(*, local_url: str = "http://127.0.0.1:8000") -> Settings:
    """The environment's settings; without a Twilio token, the local demo's at `local_url`."""
    settings = Settings()
    if settings.twilio_auth_token is not None:
        return settings
    if not settings.uses_local_standin:
        raise HotlineError(
            "TWILIO_AUTH_TOKEN is not set but HOTLINE_TWILIO_API_URL points at a real API"
        )
    local = settings.data_dir / "local"
    public_url = settings.public_url
    if "public_url" not in settings.model_fields_set:
        public_url = local_url
    return Settings(
        twilio_auth_token=_local_secret(local / "auth-token", 24),
        secret_key=settings.secret_key or _local_secret(local / "secret-key", 32),
        public_url=public_url,
        backup_number=settings.backup_number or DEMO_BACKUP,
    )


def _fail(error: HotlineError) -> typer.Exit:
    typer.echo(f"hotline: {error.message}", err=True)
    return typer.Exit(code=2)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the service (an embedded SQLite database is migrated first)."""
    try:
        settings = _settings(local_url=f"http://{host}:{port}")
        hotline_logging.configure(settings.log_level)
        if settings.is_sqlite:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            migrate.upgrade(settings.sqlalchemy_url)
        application = create_app(settings)
        if settings.uses_local_standin:
            runtime: Runtime = application.state.runtime
            with db.transaction(runtime.engine) as session:
                seeded = roster_demo.seed_demo(
                    session=session, vault=runtime.vault, settings=settings
                )
            if seeded:
                typer.echo(
                    f"demo roster: {seeded} fictional volunteers, on call all week", err=True
                )
    except HotlineError as error:
        raise _fail(error) from None
    if settings.uses_local_standin:
        typer.echo(
            f"hotline is answering on {settings.public_url} with the local Twilio stand-in.\n"
            "Place a test call from another terminal:\n"
            "  .venv/bin/hotline simulate call            (you press the keys)\n"
            "  .venv/bin/hotline simulate call --press 2 1 0   (keys given in advance)\n"
            "  .venv/bin/hotline simulate messages          (texts the hotline sent)",
            err=True,
        )
    # What start-up built lives as long as the process: keeping it out of the
    # collector's sight turns full collections (pauses of tens of milliseconds a
    # few times a minute under load) into short ones.
    gc.collect()
    gc.freeze()
    uvicorn.run(application, host=host, port=port, access_log=False, log_config=None)


@app.command()
def worker() -> None:
    """Send the outbox and run the purge, for deployments with several web processes."""
    try:
        settings = _settings()
        hotline_logging.configure(settings.log_level)
        runtime = build_runtime(settings, engine=_database(settings))
    except HotlineError as error:
        raise _fail(error) from None
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_args: stop.set())
    purger = threading.Thread(
        target=_purge_until, args=(runtime, stop), name="hotline-purge", daemon=True
    )
    purger.start()
    rapid = threading.Thread(
        target=_rapid_until, args=(runtime, stop), name="hotline-rapid", daemon=True
    )
    rapid.start()
    typer.echo("hotline worker: sending the outbox; stop with Ctrl-C", err=True)
    make_dispatcher(settings, runtime).run(stop)
    purger.join()
    rapid.join()


def _rapid_until(runtime: Runtime, stop: threading.Event) -> None:
    """Escalate call-outs and queue alerts every few seconds (rapid_scheduled.TICK_SECONDS)."""
    while not stop.is_set():
        try:
            tick_rapid(runtime)
        except SQLAlchemyError:
            logging.getLogger(__name__).warning("rapid response tick failed; it runs again")
        stop.wait(rapid_scheduled.TICK_SECONDS)


def _purge_until(runtime: Runtime, stop: threading.Event) -> None:
    """The worker's housekeeping: roster, callbacks every half minute, purge hourly."""
    purge_every = runtime.settings.purge_interval_minutes * 60
    last_purge = 0.0
    while not stop.is_set():
        try:
            runtime.roster.refresh()
            tick_callbacks(runtime)
            if time.monotonic() - last_purge >= purge_every:
                retention.purge(runtime.engine, runtime.settings)
                last_purge = time.monotonic()
        except SQLAlchemyError:
            logging.getLogger(__name__).warning("housekeeping failed; it runs again later")
        stop.wait(CALLBACK_TICK_SECONDS)


@app.command()
def purge() -> None:
    """Delete what is past its retention window, now."""
    settings = Settings()
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
    settings = Settings()
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.sqlalchemy_url)
    typer.echo("database is up to date", err=True)


@db_app.command("check")
def db_check() -> None:
    """Fail when models/ has changes no migration describes."""
    migrate.check(Settings().sqlalchemy_url)


def _database(settings: Settings) -> Engine:
    """The service's database; the embedded SQLite one is created and migrated first."""
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        migrate.upgrade(settings.sqlalchemy_url)
    return db.make_engine(settings.sqlalchemy_url)


@users_app.command("create")
def users_create(
    name: Annotated[str, typer.Option(help="Who will use the token.")],
    role: Annotated[
        str,
        typer.Option(help="coordinator (everything) or volunteer (their own shifts only)."),
    ],
    volunteer_id: Annotated[
        int | None, typer.Option(help="The volunteer a volunteer user is.")
    ] = None,
) -> None:
    """Add a user of the roster API and print their token, this once."""
    try:
        with db.transaction(_database(Settings())) as session:
            user, token = auth_service.create_user(
                session=session, name=name, role=role, volunteer_id=volunteer_id
            )
    except HotlineError as error:
        raise _fail(error) from None
    typer.echo(
        f"user {user.id} ({user.role}) created; the token is shown only this once:", err=True
    )
    typer.echo(token)


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
) -> None:
    """Add or update volunteers and weekly shifts from a CSV file: all of it, or nothing."""
    try:
        settings = _settings()
        _, secret = settings.require_secrets()
        engine = _database(settings)
        with (
            db.transaction(engine) as session,
            file.open(newline="", encoding="utf-8-sig") as rows,
        ):
            report = roster_importer.import_roster(
                session=session,
                vault=Vault(secret),
                settings=settings,
                languages=settings.languages,
                rows=rows,
            )
    except HotlineError as error:
        raise _fail(error) from None
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
    settings = Settings()
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
    settings = Settings()
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


@simulate_app.command("call")
def simulate_call(
    from_: Annotated[str, typer.Option("--from", help="The caller's number.")] = DEMO_CALLER,
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
    try:
        settings = _settings(local_url=url) if url else _settings()
    except HotlineError as error:
        raise _fail(error) from None
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
            caller=from_,
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
    from_: Annotated[str, typer.Option("--from", help="The texter's number.")] = DEMO_CALLER,
    to: Annotated[str, typer.Option(help="The hotline number texted.")] = DEMO_HOTLINE,
    wait: Annotated[
        float, typer.Option(min=0, help="Seconds to wait for texts sent through the stand-in.")
    ] = 0.0,
    url: Annotated[str | None, typer.Option(help="Where the service listens.")] = None,
) -> None:
    """Text the running service the way Twilio does, and print what it answers."""
    try:
        settings = _settings(local_url=url) if url else _settings()
    except HotlineError as error:
        raise _fail(error) from None
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
        raise _fail(HotlineError(f"nothing answers at {base}; start it with 'make run'")) from None
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


def _twilio_signature(token: str, url: str, params: Mapping[str, str]) -> str:
    """X-Twilio-Signature as Twilio computes it for a form POST. The service checks it
    with Twilio's SDK, whose validator stays out of this module (tests/test_layers.py)."""
    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _standin_texts(base: str, settings: Settings, *, to: str) -> list[dict[str, Any]] | None:
    """The texts the local stand-in at `base` holds for `to`, newest first; None when it
    does not answer as the stand-in."""
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
    try:
        settings = _settings(local_url=url) if url else _settings()
    except HotlineError as error:
        raise _fail(error) from None
    if not settings.uses_local_standin:
        raise _fail(HotlineError("texts go to Twilio itself here, not to the local stand-in"))
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
        raise _fail(HotlineError(f"nothing answers at {base}; start it with 'make run'")) from None
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
def fallback_twiml() -> None:
    """Print the static TwiML for Twilio's fallback URL, from the catalogs and settings."""
    settings = Settings()
    loaded = catalog_loader.load(settings.locales_dir, settings.languages)
    sys.stdout.write(
        twiml.static_fallback(
            catalogs=loaded, codes=settings.voice_menu, backup_number=settings.backup_number
        )
        + "\n"
    )


@i18n_app.command("extract")
def i18n_extract(
    output: Annotated[Path | None, typer.Option(help="Write here instead.")] = None,
) -> None:
    """Regenerate locales/hotline.pot from the source."""
    i18n_tools.extract(Settings().locales_dir, output)


@i18n_app.command("update")
def i18n_update() -> None:
    """Merge the template into every enabled language's catalog."""
    settings = Settings()
    i18n_tools.update(settings.locales_dir, settings.languages)


@i18n_app.command("check")
def i18n_check(
    texts: Annotated[bool, typer.Option(help="List every text message's length.")] = True,
) -> None:
    """Report per language: untranslated, fuzzy, broken, stand-in prompts, text lengths."""
    settings = Settings()
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
    if incomplete:
        typer.echo(f"incomplete: {', '.join(incomplete)}", err=True)
        raise typer.Exit(code=1)


@i18n_app.command("compile")
def i18n_compile() -> None:
    """Compile every enabled language's catalog for the service."""
    settings = Settings()
    i18n_tools.compile_all(settings.locales_dir, settings.languages)


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
    app(args=expand_press(sys.argv[1:]), prog_name="hotline")
