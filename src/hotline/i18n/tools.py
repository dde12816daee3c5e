"""The translators' workflow: extract, update and compile catalogs with Babel."""

from __future__ import annotations

from pathlib import Path

from babel.messages.frontend import CommandLineInterface

from hotline.config import PROJECT_ROOT
from hotline.i18n.catalogs import DOMAIN, catalog_path

TEMPLATE = f"{DOMAIN}.pot"
KEYWORDS = ["-k", "N_:1c,2"]


def _babel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])  # type: ignore[no-untyped-call]


def extract(locales_dir: Path, output: Path | None = None) -> Path:
    """Write the template from every N_() in the source, without locations."""
    template = output or locales_dir / TEMPLATE
    _babel(
        "extract",
        "-F", str(PROJECT_ROOT / "babel.cfg"),
        "--no-default-keywords", *KEYWORDS,
        "-c", "TRANSLATORS:",
        "--no-location", "--no-wrap", "--sort-by-file",
        "--project", "hotline", "--version", "1",
        "--msgid-bugs-address", "translations@hotline.invalid",
        "-o", str(template),
        str(PROJECT_ROOT / "src"),
    )  # fmt: skip
    return template


def update(locales_dir: Path, codes: list[str]) -> None:
    """Merge the template into each language's catalog, creating missing ones."""
    template = locales_dir / TEMPLATE
    for code in codes:
        po = catalog_path(locales_dir, code, ".po")
        action = "update" if po.exists() else "init"
        _babel(
            action,
            "-i",
            str(template),
            "-d",
            str(locales_dir),
            "-D",
            DOMAIN,
            "-l",
            code,
            *(["--no-wrap", "--ignore-obsolete"] if action == "update" else ["--no-wrap"]),
        )


def compile_all(locales_dir: Path, codes: list[str]) -> None:
    """Compile each language's catalog to the .mo file the service loads."""
    for code in codes:
        _babel("compile", "-d", str(locales_dir), "-D", DOMAIN, "-l", code)
