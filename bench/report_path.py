"""Benchmark: how long a caller who knows the keys listens while reporting what they see.

The method of bench/urgent_path.py: the service built in process (temporary SQLite
database, fake gateway), signed requests as Twilio sends them, the TwiML it returns
walked on the fastest path, every prompt heard rendered by espeak-ng and timed by soxi.
The caller is a returning one (their language is remembered, so the call starts at the
main menu) and presses each key as soon as the prompt naming it has been said:

- main menu: 3 after the report option;
- what: their kind's key after that kind's sentence (`--kind`, 1 by default; the table
  also gives what kind 5, the last, costs);
- where: the ZIP code prompt heard whole, then five keys;
- the read-back ("You entered 6 0 6 2 3."), then 1 after "If that is right, press 1.";
- when: 1 after "If it is happening now, press 1."

The thank-you and the safety reminder come after the report is in, so they are not
counted. Run it with `.venv/bin/python bench/report_path.py` (see bench/README.md).
"""

from __future__ import annotations

import argparse
import logging
import secrets
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from hotline import db, migrate
from hotline.app import create_app
from hotline.config import Settings
from hotline.deps import Runtime
from hotline.errors import HotlineError
from hotline.privacy.pseudonym import Keyring, epoch_of
from hotline.telephony.fake import FakeGateway

if __package__ in (None, ""):  # run as a script: make the bench package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_MISS,
    BenchError,
    add_output_options,
    bounded,
    rerun_line,
    verdict,
    write_document,
)
from bench.urgent_path import (
    BACKUP,
    DEFAULT_RATE_WPM,
    EPOCH_DAYS,
    PUBLIC_URL,
    QUIET_LOGGERS,
    Speaker,
    Twilio,
    Unvoiced,
    Walk,
    codes,
    espeak_version,
    fictional,
    gather_of,
    heard,
    test_client,
)

ZIP = "60623"
# The aim: from pressing 3 to the report being in, under this many seconds of prompts.
AIM_SECONDS = 15.0
CALLER_BASE = 170
MAIN_REPORT_OPTION = 4  # its place among the main menu's sentences


@dataclass(slots=True)
class ReportWalk:
    code: str
    main_menu: Walk
    report: Walk
    last_kind_extra: float = 0.0

    @property
    def met(self) -> bool:
        return self.report.total < AIM_SECONDS


def _press(twilio: Twilio, root: ET.Element, step: str, lang: str, call: tuple[str, str],
           key: str, upto: int, walk: Walk) -> ET.Element:  # fmt: skip
    """Hear the <Gather> of `step` up to its `upto`-th prompt, then press `key`."""
    before, gather = gather_of(root, step, lang)
    prompts = list(gather)
    if len(prompts) < upto:
        raise BenchError(f"{step} has {len(prompts)} prompts, fewer than {upto}")
    labels = [f"{step} {n + 1}" for n in range(len(before) + upto)]
    walk.prompts += heard(before + prompts[:upto], step, labels)
    return twilio.press(gather.get("action", ""), key, *call)


def walk_report(
    twilio: Twilio, code: str, kind: int, caller: str
) -> tuple[Walk, Walk, list[ET.Element]]:
    """A returning caller reports by keys; the main menu's part, the report's, and the
    kind menu's prompts (to price the last kind)."""
    main, report = Walk(), Walk()
    call_sid, root = twilio.new_call(caller)
    call = (call_sid, caller)
    root = _press(twilio, root, "main", code, call, "3", MAIN_REPORT_OPTION, main)
    kinds = list(gather_of(root, "report_what", code)[1])
    root = _press(twilio, root, "report_what", code, call, str(kind), kind, report)
    root = _press(twilio, root, "report_zip", code, call, ZIP, 1, report)
    root = _press(twilio, root, "report_confirm", code, call, "1", 2, report)
    root = _press(twilio, root, "report_when", code, call, "1", 1, report)
    said = [child for child in root if child.tag != "Gather"]
    gathered = [child for child in root if child.tag == "Gather"]
    if not gathered or len(said) + len(list(gathered[0])) < 4:
        raise BenchError(f"after the report ({code}) the caller is not thanked and at the menu")
    return main, report, kinds


def seed(runtime: Runtime, codes: list[str]) -> None:
    """Each caller's language remembered, so their call opens at the main menu."""
    now = datetime.now(UTC)
    keyring = runtime.keyring
    for index, code in enumerate(codes):
        caller = fictional(CALLER_BASE + index)
        key = keyring.pseudonym(caller, epoch=keyring.current_epoch(now))
        runtime.preferences.remember(key, code, now)


def measure(args: argparse.Namespace, workdir: Path) -> tuple[list[ReportWalk], list[str]]:
    url = f"sqlite:///{workdir / 'hotline.db'}"
    engine = db.make_engine(url)
    try:
        migrate.upgrade(url, engine)
        settings = Settings(
            data_dir=workdir, database_url=url, public_url=PUBLIC_URL,
            twilio_auth_token=secrets.token_hex(16), secret_key=secrets.token_hex(24),
            backup_number=BACKUP, twilio_api_url="http://127.0.0.1:9/unused",
            dispatch_in_web=False, sms_rate_per_second=None, line_languages={},
            audio_dir=None, remember_language_days=30,
        )  # fmt: skip
        token, _ = settings.require_secrets()
        now = datetime.now(UTC)
        keyring = Keyring(
            base_epoch=epoch_of(now, epoch_days=EPOCH_DAYS),
            base_key=secrets.token_bytes(32),
            epoch_days=EPOCH_DAYS,
        )
        app = create_app(settings, engine=engine, gateway=FakeGateway(), keyring=keyring)
        runtime: Runtime = app.state.runtime
        menu = [option.code for option in runtime.hotline.menu]
        wanted = args.languages or menu
        speaker = Speaker(workdir, args.rate)
        results: list[ReportWalk] = []
        skipped: list[str] = []
        with test_client()(app, base_url="http://testserver") as client:
            seed(runtime, menu)
            twilio = Twilio(client, token)
            for index, code in enumerate(menu):
                if code not in wanted:
                    continue
                caller = fictional(CALLER_BASE + index)
                main, report, kinds = walk_report(twilio, code, args.kind, caller)
                try:
                    speaker.time(main)
                    speaker.time(report)
                    later = kinds[args.kind :]
                    rest = heard(later, "report_what", ["later kinds"] * len(later))
                    extra = Walk(rest)
                    speaker.time(extra)
                except Unvoiced as reason:
                    skipped.append(f"{code}: {reason}")
                    continue
                results.append(ReportWalk(code, main, report, extra.total))
        return results, skipped
    finally:
        engine.dispose()


def report(
    args: argparse.Namespace, results: list[ReportWalk], skipped: list[str], version: str
) -> None:
    print()
    print(
        f"report path: seconds of prompts a returning caller hears, pressing each key as soon "
        f"as it is named; kind {args.kind}; espeak-ng {version} at {args.rate} wpm"
    )
    for result in results:
        print()
        print(f"{result.code}")
        print(f"  {'step':16} {'voice':7} {'chars':>5} {'seconds':>8}")
        for prompt in [*result.main_menu.prompts, *result.report.prompts]:
            print(
                f"  {prompt.label:16} {prompt.voice:7} {len(prompt.text):>5} {prompt.seconds:>8.2f}"
            )
    print()
    print(f"{'lang':5} {'menu to 3':>10} {'3 to report in':>15} {'kind 5 adds':>12}  verdict")
    for result in results:
        print(
            f"{result.code:5} {result.main_menu.total:>10.2f} {result.report.total:>15.2f} "
            f"{result.last_kind_extra:>12.2f}  {verdict(result.met)}"
        )
    for skip in skipped:
        print(f"skipped: {skip}")
    print(f"target: from pressing 3 to the report being in, under {AIM_SECONDS:g} s of prompts")
    print(f"rerun: {rerun_command(args)}")


def rerun_command(args: argparse.Namespace) -> str:
    options = ["--kind", str(args.kind)]
    if args.languages:
        options += ["--languages", ",".join(args.languages)]
    if args.rate != DEFAULT_RATE_WPM:
        options += ["--rate", str(args.rate)]
    return rerun_line("report_path.py", options, args)


def write_json(
    path: Path, args: argparse.Namespace, results: list[ReportWalk], version: str
) -> None:
    def prompts(walk: Walk) -> list[dict[str, object]]:
        return [prompt.as_json() for prompt in walk.prompts]

    write_document(
        path,
        {
            "espeak_ng": version,
            "rate_wpm": args.rate,
            "kind": args.kind,
            "aim_seconds": AIM_SECONDS,
            "languages": [
                {
                    "code": r.code,
                    "main_menu_seconds": round(r.main_menu.total, 3),
                    "report_seconds": round(r.report.total, 3),
                    "kind_5_adds_seconds": round(r.last_kind_extra, 3),
                    "prompts": prompts(r.main_menu) + prompts(r.report),
                    "met": r.met,
                }
                for r in results
            ],
            "command": rerun_command(args),
        },
        ensure_ascii=False,
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Time the prompts of a report by keys.")
    parser.add_argument(
        "--languages",
        type=codes,
        default=[],
        help="comma-separated voice-menu codes (default: all)",
    )
    parser.add_argument("--kind", type=bounded(1, 5), default=1, help="the kind's key (1 to 5)")
    parser.add_argument(
        "--rate",
        type=bounded(80, 450),
        default=DEFAULT_RATE_WPM,
        help=f"espeak-ng words per minute (default {DEFAULT_RATE_WPM})",
    )
    add_output_options(parser, strict_help="exit 1 when the aim is missed")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    missing = [tool for tool in ("espeak-ng", "soxi") if shutil.which(tool) is None]
    if missing:
        print(f"bench: {' and '.join(missing)} not found", file=sys.stderr)
        return EXIT_FAILED
    version = espeak_version()
    try:
        with tempfile.TemporaryDirectory(prefix="hotline-report-") as workdir:
            results, skipped = measure(args, Path(workdir))
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return EXIT_FAILED
    except (HotlineError, SQLAlchemyError, OSError, subprocess.SubprocessError) as error:
        print(f"bench: setup failed: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    report(args, results, skipped, version)
    if args.json:
        write_json(args.json, args, results, version)
    if args.strict and not all(r.met for r in results):
        return EXIT_MISS
    return 0


if __name__ == "__main__":
    sys.exit(main())
