"""Benchmark: how long an urgent caller listens before volunteers' phones ring.

Builds the service in process (temporary SQLite database, fake gateway), puts one
volunteer on call for each language, and walks the fastest urgent path through the
TwiML the service really returns: the language menu (the caller presses their key as
soon as their own option has been spoken), the main menu (1 as soon as the urgent
option, its first sentence, ends), then the words said before the <Dial>. Every prompt
heard is rendered with espeak-ng and timed with soxi. The same is done for a returning
caller, whose language is remembered and who skips the language menu.
Run it with `.venv/bin/python bench/urgent_path.py` (see bench/README.md). It is a
report, not a test.
"""

from __future__ import annotations

import argparse
import logging
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from twilio.request_validator import RequestValidator

from hotline import db, migrate
from hotline.app import create_app
from hotline.config import Settings
from hotline.deps import Runtime
from hotline.errors import HotlineError
from hotline.models import Shift, Volunteer
from hotline.privacy.pseudonym import Keyring, epoch_of
from hotline.routing.service import volunteer_phone_place
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

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

PUBLIC_URL = "https://hotline.example.org"
VOICE_PATH = "/twilio/voice"
XML_TYPE = "application/xml"

# The project's aim: an urgent caller hears the phones ring within this many seconds,
# language menu included, pressing each key as soon as they can.
AIM_SECONDS = 10.0
# espeak-ng's own default rate, close to the pace of Twilio's neural voices.
DEFAULT_RATE_WPM = 175
ESPEAK_TIMEOUT_SECONDS = 30.0
EPOCH_DAYS = 30

# Fictional numbers only (555-01xx is reserved for fiction); never printed.
HOTLINE = "+13125550100"
BACKUP = "+13125550111"
VOLUNTEER_BASE = 120
CALLER_BASE = 140
MAX_LANGUAGES = 20

# espeak-ng voices for Twilio's <Say language=...>, most fitting first.
ESPEAK_VOICES: dict[str, tuple[str, ...]] = {
    "en-US": ("en-us", "en"),
    "es-US": ("es-419", "es"),
    "cmn-CN": ("cmn",),
    "pl-PL": ("pl",),
    "arb": ("ar",),
    "uk-UA": ("uk",),
    "ru-RU": ("ru",),
    "fr-FR": ("fr", "fr-fr"),
}

QUIET_LOGGERS = ("hotline", "twilio", "sqlalchemy", "alembic", "httpx", "httpcore")


class Unvoiced(Exception):
    """A prompt has no espeak-ng voice (or is a recording): its language is skipped."""


# --- what a caller hears ---------------------------------------------------------------


@dataclass(slots=True)
class Prompt:
    """One prompt the caller hears in full before their next key (or the ringing)."""

    step: str
    label: str
    say_language: str
    text: str
    voice: str = ""
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "label": self.label,
            "say_language": self.say_language,
            "espeak_voice": self.voice,
            "chars": len(self.text),
            "seconds": round(self.seconds, 3),
            "text": self.text,
        }


@dataclass(slots=True)
class Walk:
    """The prompts of one walk, from the call's start to the <Dial>."""

    prompts: list[Prompt] = field(default_factory=list)
    numbers_rung: int = 0

    @property
    def total(self) -> float:
        return sum(prompt.seconds for prompt in self.prompts)

    def longest(self) -> Prompt:
        return max(self.prompts, key=lambda prompt: prompt.seconds)


@dataclass(slots=True)
class LanguageResult:
    code: str
    digit: str
    first: Walk
    returning: Walk

    @property
    def met(self) -> bool:
        return self.first.total < AIM_SECONDS


@dataclass(frozen=True, slots=True)
class Skipped:
    code: str
    reason: str


# --- espeak-ng -----------------------------------------------------------------------------


class Speaker:
    """Prompts rendered by espeak-ng and timed by soxi, each text once."""

    def __init__(self, workdir: Path, rate: int) -> None:
        self.workdir = workdir
        self.rate = rate
        self._voices: dict[str, str | None] = {}
        self._seconds: dict[tuple[str, str], float] = {}

    def voice_for(self, say_language: str) -> str:
        """The espeak-ng voice for a Twilio <Say language=...>, or Unvoiced."""
        if say_language not in self._voices:
            primary = say_language.split("-")[0].lower()
            candidates = ESPEAK_VOICES.get(say_language, (say_language.lower(), primary))
            self._voices[say_language] = next((v for v in candidates if self._exists(v)), None)
        voice = self._voices[say_language]
        if voice is None:
            raise Unvoiced(f"espeak-ng has no voice for <Say language={say_language!r}>")
        return voice

    def _exists(self, voice: str) -> bool:
        probe = self.workdir / "probe.wav"
        done = subprocess.run(
            ["espeak-ng", "-v", voice, "-w", str(probe), "a"],
            capture_output=True,
            timeout=ESPEAK_TIMEOUT_SECONDS,
            check=False,
        )
        return done.returncode == 0 and probe.exists()

    def seconds(self, voice: str, text: str) -> float:
        key = (voice, text)
        if key not in self._seconds:
            self._seconds[key] = self._render(voice, text)
        return self._seconds[key]

    def _render(self, voice: str, text: str) -> float:
        index = len(self._seconds)
        source = self.workdir / f"prompt-{index}.txt"
        wav = self.workdir / f"prompt-{index}.wav"
        source.write_text(text, encoding="utf-8")
        spoken = subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(self.rate), "-f", str(source), "-w", str(wav)],
            capture_output=True,
            text=True,
            timeout=ESPEAK_TIMEOUT_SECONDS,
            check=False,
        )
        if spoken.returncode != 0 or not wav.exists():
            raise BenchError(f"espeak-ng failed for voice {voice}: {spoken.stderr.strip()}")
        measured = subprocess.run(
            ["soxi", "-D", str(wav)],
            capture_output=True,
            text=True,
            timeout=ESPEAK_TIMEOUT_SECONDS,
            check=False,
        )
        try:
            return float(measured.stdout.strip())
        except ValueError:
            raise BenchError(f"soxi could not time a prompt: {measured.stderr.strip()}") from None

    def time(self, path: Walk) -> None:
        for prompt in path.prompts:
            prompt.voice = self.voice_for(prompt.say_language)
            prompt.seconds = self.seconds(prompt.voice, prompt.text)


def espeak_version() -> str:
    done = subprocess.run(
        ["espeak-ng", "--version"],
        capture_output=True,
        text=True,
        timeout=ESPEAK_TIMEOUT_SECONDS,
        check=False,
    )
    found = re.search(r"\d+\.\d+(?:\.\d+)?", done.stdout)
    return found.group(0) if found else "unknown"


# --- the service, driven as Twilio drives it -------------------------------------------------


def fictional(number: int) -> str:
    return f"+1312555{number:04d}"


class Twilio:
    """Signed webhook requests to the in-process service, TwiML back."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.validator = RequestValidator(token)
        self.calls = 0

    def new_call(self, caller: str) -> tuple[str, ET.Element]:
        self.calls += 1
        call_sid = f"CA{self.calls:032x}"
        return call_sid, self.post(PUBLIC_URL + VOICE_PATH, self.params(call_sid, caller))

    def press(self, action: str, digit: str, call_sid: str, caller: str) -> ET.Element:
        params = self.params(call_sid, caller)
        params.update(Digits=digit, FinishedOnKey="")
        return self.post(action, params)

    @staticmethod
    def params(call_sid: str, caller: str) -> dict[str, str]:
        """The parameters Twilio sends with every voice request."""
        return {
            "CallSid": call_sid,
            "AccountSid": "AC" + "0" * 32,
            "From": caller,
            "To": HOTLINE,
            "Caller": caller,
            "Called": HOTLINE,
            "CallStatus": "in-progress",
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
            # The caller's carrier vouches for the number, as most US carriers do: only
            # then is a returning caller greeted in their language.
            "StirVerstat": "TN-Validation-Passed-A",
        }

    def post(self, url: str, params: dict[str, str]) -> ET.Element:
        if not url.startswith(PUBLIC_URL + "/"):
            raise BenchError("an action URL is not under the public URL")
        signature = self.validator.compute_signature(url, params)
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        response = self.client.post(target, data=params, headers={"X-Twilio-Signature": signature})
        if response.status_code != 200:
            raise BenchError(f"{parts.path} answered HTTP {response.status_code}")
        if not response.headers.get("content-type", "").startswith(XML_TYPE):
            raise BenchError(f"{parts.path} did not answer with TwiML")
        # The service's own TwiML, generated in this process: trusted input.
        root = ET.fromstring(response.text)  # noqa: S314
        if root.tag != "Response":
            raise BenchError(f"{parts.path} answered a <{root.tag}>, not a <Response>")
        return root


def state_of(action: str) -> dict[str, str]:
    """The call state the service wrote into an action URL."""
    return dict(parse_qsl(urlsplit(action).query))


def gather_of(root: ET.Element, step: str, lang: str | None) -> tuple[list[ET.Element], ET.Element]:
    """The verbs said before the <Gather>, and the <Gather>, checked to be `step` in `lang`."""
    before: list[ET.Element] = []
    for child in root:
        if child.tag == "Gather":
            state = state_of(child.get("action", ""))
            if state.get("step") != step or state.get("lang") != lang:
                raise BenchError(
                    f"expected the {step} menu (language {lang}), got step "
                    f"{state.get('step')!r}, language {state.get('lang')!r}"
                )
            return before, child
        before.append(child)
    raise BenchError(f"expected the {step} menu, got no <Gather>")


def heard(verbs: list[ET.Element], step: str, labels: list[str]) -> list[Prompt]:
    """Prompts for verbs heard in full; a recording or an unknown verb cannot be timed."""
    prompts = []
    for verb, label in zip(verbs, labels, strict=True):
        if verb.tag == "Play":
            raise Unvoiced(f"{step}: a recording (<Play>) cannot be timed with espeak-ng")
        if verb.tag != "Say":
            raise BenchError(f"{step}: a <{verb.tag}> before the caller can press a key")
        prompts.append(Prompt(step, label, verb.get("language", ""), verb.text or ""))
    return prompts


def main_menu_to_dial(
    twilio: Twilio, root: ET.Element, lang: str, call_sid: str, caller: str, path: Walk
) -> None:
    """From the main menu: 1 after its first sentence, then what is said before the dial."""
    before, gather = gather_of(root, "main", lang)
    options = list(gather)
    if not options:
        raise BenchError("the main menu says nothing")
    path.prompts += heard(before, "main menu", ["before the menu"] * len(before))
    path.prompts += heard(options[:1], "main menu", ["urgent option"])
    reply = twilio.press(gather.get("action", ""), "1", call_sid, caller)
    said: list[ET.Element] = []
    for child in reply:
        if child.tag == "Dial":
            state = state_of(child.get("action", ""))
            if state.get("step") != "urgent" or state.get("lang") != lang:
                raise BenchError(f"the dial after 1 is not an urgent one in {lang}")
            path.numbers_rung = len(child.findall("Number"))
            if path.numbers_rung == 0:
                raise BenchError(f"the dial after 1 rings nobody ({lang})")
            labels = ["before the dial"] * len(said)
            path.prompts += heard(said, "urgent", labels)
            return
        said.append(child)
    raise BenchError(f"pressing 1 in the main menu ({lang}) rang nobody: no <Dial>")


def walk_first_call(twilio: Twilio, menu: list[tuple[str, str]], index: int, caller: str) -> Walk:
    """A new caller: language menu to their own option, main menu, 1, the dial."""
    code, digit = menu[index]
    path = Walk()
    call_sid, root = twilio.new_call(caller)
    before, gather = gather_of(root, "language", None)
    options = list(gather)
    if len(options) != len(menu):
        raise BenchError(f"the language menu has {len(options)} prompts for {len(menu)} options")
    if digit not in (options[index].text or ""):
        raise BenchError(f"the language menu's option {index + 1} does not name key {digit}")
    path.prompts += heard(before, "language menu", ["before the menu"] * len(before))
    labels = [f"option {option}" for option, _ in menu[: index + 1]]
    path.prompts += heard(options[: index + 1], "language menu", labels)
    main = twilio.press(gather.get("action", ""), digit, call_sid, caller)
    main_menu_to_dial(twilio, main, code, call_sid, caller, path)
    return path


def walk_returning_call(twilio: Twilio, code: str, caller: str) -> Walk:
    """The same caller again: the main menu in their language first."""
    path = Walk()
    call_sid, root = twilio.new_call(caller)
    main_menu_to_dial(twilio, root, code, call_sid, caller, path)
    return path


def on_call(runtime: Runtime, codes: list[str]) -> None:
    """One volunteer per language, speaking only it, on call from an hour ago for a day."""
    vault, now = runtime.vault, datetime.now(UTC)
    with Session(runtime.engine) as session:
        for index, code in enumerate(codes):
            phone = fictional(VOLUNTEER_BASE + index)
            key = vault.volunteer_key(phone)
            volunteer = Volunteer(
                name=f"Volunteer {code}",
                phone_sealed=vault.seal(phone, place=volunteer_phone_place(key)),
                phone_key=key,
                phone_hint=phone[:5] + "•••" + phone[-4:],
                languages=code,
                created_at=now,
                updated_at=now,
            )
            session.add(volunteer)
            session.flush()
            assert volunteer.id is not None
            session.add(
                Shift(
                    volunteer_id=volunteer.id,
                    starts_at=now - timedelta(hours=1),
                    ends_at=now + timedelta(days=1),
                    created_at=now,
                )
            )
        session.commit()
    runtime.roster.refresh()


def test_client() -> type[TestClient]:
    """Starlette's TestClient, without its warning about the httpx it is built on."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient

    return TestClient


def measure(
    args: argparse.Namespace, workdir: Path
) -> tuple[list[str], list[LanguageResult], list[Skipped]]:
    url = f"sqlite:///{workdir / 'hotline.db'}"
    engine = db.make_engine(url)
    try:
        migrate.upgrade(url, engine)
        settings = Settings(
            data_dir=workdir,
            database_url=url,
            public_url=PUBLIC_URL,
            twilio_auth_token=secrets.token_hex(16),
            secret_key=secrets.token_hex(24),
            backup_number=BACKUP,
            twilio_api_url="http://127.0.0.1:9/unused",
            dispatch_in_web=False,
            sms_rate_per_second=None,
            # Pinned so the environment cannot take the caller off the path walked here.
            line_languages={},
            audio_dir=None,
            remember_language_days=30,
        )
        token, _ = settings.require_secrets()
        now = datetime.now(UTC)
        keyring = Keyring(
            base_epoch=epoch_of(now, epoch_days=EPOCH_DAYS),
            base_key=secrets.token_bytes(32),
            epoch_days=EPOCH_DAYS,
        )
        app = create_app(settings, engine=engine, gateway=FakeGateway(), keyring=keyring)
        runtime: Runtime = app.state.runtime
        menu = [(option.code, option.digit) for option in runtime.hotline.menu]
        if len(menu) > MAX_LANGUAGES:
            raise BenchError(f"the voice menu has more than {MAX_LANGUAGES} languages")
        wanted = args.languages or [code for code, _ in menu]
        unknown = [code for code in wanted if code not in dict(menu)]
        if unknown:
            raise BenchError(f"not in the voice menu: {', '.join(unknown)}")
        speaker = Speaker(workdir, args.rate)
        results: list[LanguageResult] = []
        skipped: list[Skipped] = []
        with test_client()(app, base_url="http://testserver") as client:
            on_call(runtime, [code for code, _ in menu])
            twilio = Twilio(client, token)
            for index, (code, digit) in enumerate(menu):
                if code not in wanted:
                    continue
                caller = fictional(CALLER_BASE + index)
                first = walk_first_call(twilio, menu, index, caller)
                runtime.recorder.flush()
                returning = walk_returning_call(twilio, code, caller)
                try:
                    speaker.time(first)
                    speaker.time(returning)
                except Unvoiced as reason:
                    skipped.append(Skipped(code, str(reason)))
                    continue
                results.append(LanguageResult(code, digit, first, returning))
        return [code for code, _ in menu], results, skipped
    finally:
        engine.dispose()


# --- the report ----------------------------------------------------------------------------


def rerun_command(args: argparse.Namespace) -> str:
    options = []
    if args.languages:
        options += ["--languages", ",".join(args.languages)]
    if args.rate != DEFAULT_RATE_WPM:
        options += ["--rate", str(args.rate)]
    return rerun_line("urgent_path.py", options, args)


def report(
    args: argparse.Namespace,
    menu: list[str],
    results: list[LanguageResult],
    skipped: list[Skipped],
    version: str,
) -> None:
    default = " (espeak-ng's default)" if args.rate == DEFAULT_RATE_WPM else ""
    print()
    print(
        f"urgent path: seconds of prompts heard before the volunteers' phones ring, "
        f"espeak-ng {version} at {args.rate} wpm{default}, timed with soxi -D"
    )
    print(
        f"voice menu: {' '.join(menu)} ({len(menu)} options in one interruptible <Gather>); "
        "keys pressed as soon as the caller's option has been said"
    )
    for result in results:
        print()
        print(
            f"{result.code} (key {result.digit}), "
            f"numbers rung by the first <Dial>: {result.first.numbers_rung}"
        )
        print(f"  {'step':14} {'prompt':16} {'voice':7} {'chars':>5} {'seconds':>8}")
        for prompt in result.first.prompts:
            print(
                f"  {prompt.step:14} {prompt.label:16} {prompt.voice:7} {len(prompt.text):>5} "
                f"{prompt.seconds:>8.2f}"
            )
        print(f"  {'total, first call':45} {result.first.total:>8.2f}  {verdict(result.met)}")
        print(f"  {'total, returning caller (no language menu)':45} {result.returning.total:>8.2f}")
    print()
    print(f"{'lang':5} {'first call':>10} {'returning':>10} {'lang menu':>10}  longest prompt")
    for result in results:
        menu_seconds = sum(p.seconds for p in result.first.prompts if p.step == "language menu")
        longest = result.first.longest()
        share = longest.seconds / result.first.total if result.first.total else 0.0
        print(
            f"{result.code:5} {result.first.total:>10.2f} {result.returning.total:>10.2f} "
            f"{menu_seconds:>10.2f}  {longest.step}: {longest.label}, "
            f"{longest.seconds:.2f} s ({share:.0%})"
        )
    for skip in skipped:
        print(f"{skip.code:5} skipped: {skip.reason}")
    print("targets:")
    for result in results:
        print(
            f"  {verdict(result.met)}  {result.code}: first call under {AIM_SECONDS:g} s, "
            f"language menu included: {result.first.total:.2f} s"
        )
    print(f"rerun: {rerun_command(args)}")


def write_json(
    path: Path,
    args: argparse.Namespace,
    menu: list[str],
    results: list[LanguageResult],
    skipped: list[Skipped],
    version: str,
) -> None:
    document = {
        "python": platform.python_version(),
        "espeak_ng": version,
        "rate_wpm": args.rate,
        "aim_seconds": AIM_SECONDS,
        "voice_menu": menu,
        "languages": [
            {
                "code": result.code,
                "digit": result.digit,
                "numbers_rung": result.first.numbers_rung,
                "first_call": {
                    "total_seconds": round(result.first.total, 3),
                    "prompts": [prompt.as_json() for prompt in result.first.prompts],
                },
                "returning_caller": {
                    "total_seconds": round(result.returning.total, 3),
                    "prompts": [prompt.as_json() for prompt in result.returning.prompts],
                },
                "met": result.met,
            }
            for result in results
        ],
        "skipped": [{"code": skip.code, "reason": skip.reason} for skip in skipped],
        "command": rerun_command(args),
    }
    write_document(path, document, ensure_ascii=False)


def codes(text: str) -> list[str]:
    return [code.strip() for code in text.split(",") if code.strip()]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time the prompts an urgent caller hears before volunteers' phones ring."
    )
    parser.add_argument(
        "--languages",
        type=codes,
        default=[],
        help="comma-separated voice-menu codes to walk (default: every one)",
    )
    parser.add_argument(
        "--rate",
        type=bounded(80, 450),
        default=DEFAULT_RATE_WPM,
        help=f"espeak-ng words per minute (default {DEFAULT_RATE_WPM}, its own default)",
    )
    add_output_options(parser, strict_help="exit 1 when the aim is missed")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    missing = [tool for tool in ("espeak-ng", "soxi") if shutil.which(tool) is None]
    if missing:
        print(
            f"bench: {' and '.join(missing)} not found (Debian: apt-get install espeak-ng sox)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    version = espeak_version()
    try:
        with tempfile.TemporaryDirectory(prefix="hotline-urgent-") as workdir:
            menu, results, skipped = measure(args, Path(workdir))
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return EXIT_FAILED
    except (HotlineError, SQLAlchemyError, OSError, subprocess.SubprocessError) as error:
        print(f"bench: setup failed: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    report(args, menu, results, skipped, version)
    if args.json:
        write_json(args.json, args, menu, results, skipped, version)
        print(f"results written to {args.json}")
    if not results:
        print("bench: no language could be timed", file=sys.stderr)
        return EXIT_FAILED
    if args.strict and not all(result.met for result in results):
        return EXIT_MISS
    return 0


if __name__ == "__main__":
    sys.exit(main())
