"""The people and places the hotline knows: users, the roster, zones."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hotline.cli.base import (
    DEMO_FLAG,
    database,
    environment,
    roster_app,
    secret,
    users_app,
    zones_app,
)
from hotline.errors import HotlineError


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
    with db.transaction(database(environment())) as session:
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

    with db.transaction(database(environment())) as session:
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

    with db.transaction(database(environment())) as session:
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

    with db.transaction(database(environment())) as session:
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

    settings = demo_settings() if demo else environment()
    key = secret(settings)
    engine = database(settings)
    with db.transaction(engine) as session, file.open(newline="", encoding="utf-8-sig") as rows:
        report = roster_importer.import_roster(
            session=session,
            vault=Vault(key),
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

    settings = environment()
    with (
        db.transaction(database(settings)) as session,
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

    settings = environment()
    if language is not None and language not in settings.languages:
        raise typer.BadParameter(
            f"choose one of {', '.join(settings.languages)}", param_hint="--language"
        )
    zone = settings.zone
    start = datetime.now(UTC)
    with db.transaction(database(settings)) as session:
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
