"""The translators' workflow: extract, update, check and compile the catalogs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hotline.cli.base import environment, i18n_app


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
        i18n_tools.extract(environment().locales_dir, output, domain=chosen)


@i18n_app.command("update")
def i18n_update() -> None:
    """Merge the templates into every enabled language's catalog, and the console's."""
    from hotline.i18n import tools as i18n_tools

    settings = environment()
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

    settings = environment()
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

    settings = environment()
    i18n_tools.compile_all(settings.locales_dir, settings.languages)
    console = i18n_tools.console_languages(settings.locales_dir)
    i18n_tools.compile_all(settings.locales_dir, console, domain=i18n_tools.CONSOLE_DOMAIN)
