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
# The console's words: their own domain, from the console's Python and its templates.
CONSOLE_DOMAIN = "console"
CONSOLE_SOURCE = PROJECT_ROOT / "src" / "hotline" / "console"
CONSOLE_KEYWORDS = ["-k", "_", "-k", "_l", "-k", "t", "-k", "plain", "-k", "ngettext:1,2"]
# Languages the console is translated into: more may be added with `update --console LANG`.
CONSOLE_LANGUAGES = ("en", "es")
DOMAINS = (DOMAIN, CONSOLE_DOMAIN)


def _babel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])  # type: ignore[no-untyped-call]


def extract(locales_dir: Path, output: Path | None = None, *, domain: str = DOMAIN) -> Path:
    """Write a domain's template from the source, without locations."""
    template = output or locales_dir / f"{domain}.pot"
    if domain == CONSOLE_DOMAIN:
        mapping, keywords, source = "babel-console.cfg", CONSOLE_KEYWORDS, CONSOLE_SOURCE
    else:
        mapping, keywords, source = "babel.cfg", KEYWORDS, PROJECT_ROOT / "src"
    _babel(
        "extract",
        "-F", str(PROJECT_ROOT / mapping),
        "--no-default-keywords", *keywords,
        "-c", "TRANSLATORS:",
        "--no-location", "--no-wrap", "--sort-by-file",
        "--project", "hotline", "--version", "1",
        "--msgid-bugs-address", "translations@hotline.invalid",
        "-o", str(template),
        str(source),
    )  # fmt: skip
    return template


def console_languages(locales_dir: Path) -> list[str]:
    """The languages with a console catalog, and those the console must have."""
    found = {po.parent.parent.name for po in locales_dir.glob(f"*/LC_MESSAGES/{CONSOLE_DOMAIN}.po")}
    return sorted(found | set(CONSOLE_LANGUAGES))


def update(locales_dir: Path, codes: list[str], *, domain: str = DOMAIN) -> None:
    """Merge a domain's template into each language's catalog, creating missing ones."""
    template = locales_dir / f"{domain}.pot"
    for code in codes:
        po = catalog_path(locales_dir, code, ".po", domain=domain)
        action = "update" if po.exists() else "init"
        _babel(
            action,
            "-i",
            str(template),
            "-d",
            str(locales_dir),
            "-D",
            domain,
            "-l",
            code,
            *(["--no-wrap", "--ignore-obsolete"] if action == "update" else ["--no-wrap"]),
        )


def compile_all(locales_dir: Path, codes: list[str], *, domain: str = DOMAIN) -> None:
    """Compile each language's catalog of a domain to the .mo file the service loads."""
    for code in codes:
        _babel("compile", "-d", str(locales_dir), "-D", domain, "-l", code)


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


def check_console(locales_dir: Path, code: str) -> LanguageReport:
    """Untranslated, fuzzy and placeholder-broken messages of a console catalog."""
    po = catalog_path(locales_dir, code, ".po", domain=CONSOLE_DOMAIN)
    report = LanguageReport(code)
    with po.open("rb") as handle:
        catalog = read_po(handle)
    for message in catalog:
        if not message.id:
            continue
        msgid = str(message.id if isinstance(message.id, str) else message.id[0])
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) and code != SOURCE_LANGUAGE:
            report.untranslated.append(msgid[:60])
            continue
        report.translated += 1
        if message.fuzzy:
            report.fuzzy.append(msgid[:60])
        wanted = set(PLACEHOLDER.findall(msgid))
        if any(s and set(PLACEHOLDER.findall(str(s))) != wanted for s in strings):
            report.broken.append(msgid[:60])
    return report


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
