"""The translators' workflow: extract, update and compile catalogs with Babel."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from hotline.config import PROJECT_ROOT
from hotline.i18n.audio import Recordings, message_id
from hotline.i18n.catalogs import DOMAIN, SOURCE_LANGUAGE, catalog_path
from hotline.i18n.languages import Language
from hotline.i18n.translator import Msg

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


PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@dataclass
class LanguageReport:
    """What a translator or coordinator needs to know about one language's catalog."""

    code: str
    translated: int = 0
    untranslated: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    standin: list[str] = field(default_factory=list)
    legal_review: str = "not recorded"

    @property
    def complete(self) -> bool:
        return not (self.untranslated or self.fuzzy or self.broken)


def review_status(po: Path) -> str:
    """The catalog header's "Legal review:" line."""
    for line in po.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        if line.startswith("# Legal review:"):
            return line.removeprefix("# Legal review:").strip()
    return "not recorded"


def check_catalog(
    locales_dir: Path, language: Language, *, recordings: Recordings
) -> LanguageReport:
    """Untranslated, fuzzy and placeholder-broken messages, and stand-in prompts."""
    po = catalog_path(locales_dir, language.code, ".po")
    report = LanguageReport(language.code, legal_review=review_status(po))
    with po.open("rb") as handle:
        catalog = read_po(handle)
    for message in catalog:
        if not message.id:
            continue
        msgid = str(message.id)
        label = f"{message.context}: {msgid[:60]}"
        msgstr = str(message.string or "")
        if not msgstr and language.code != SOURCE_LANGUAGE:
            report.untranslated.append(label)
            continue
        report.translated += 1
        if message.fuzzy:
            report.fuzzy.append(label)
        if msgstr and set(PLACEHOLDER.findall(msgid)) != set(PLACEHOLDER.findall(msgstr)):
            report.broken.append(label)
        spoken = message.context in ("voice", "rights")
        if language.audio_only and spoken:
            msg = Msg(message.context, msgid)  # type: ignore[arg-type]
            if PLACEHOLDER.search(msgid) or not recordings.has(language.code, msg):
                report.standin.append(f"{message_id(msg)}  {label}")
    return report
