"""The IVR's vocabulary: a call's state (carried in signed URLs), the events that move
it, and the intents the flow answers with. Pure: no I/O, no framework."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from hotline.i18n.translator import Msg
from hotline.rapid.kinds import ReportKind
from hotline.rights.resources import Resource
from hotline.rights.script import SECTIONS
from hotline.routing.escalation import Leg

Step = Literal[
    "language", "main", "rights", "resources", "urgent", "callback",
    "report_what", "report_zip", "report_confirm", "report_when",
]  # fmt: skip
STEPS: tuple[Step, ...] = (
    "language", "main", "rights", "resources", "urgent", "callback",
    "report_what", "report_zip", "report_confirm", "report_when",
)  # fmt: skip
REPORT_STEPS = frozenset(STEPS[6:])
# Silent passes through the main menu before the call ends politely.
MAIN_MENU_SILENCES = 3
MAX_TIERS = 9


@dataclass(frozen=True, slots=True)
class CallState:
    """Where a call is: the step, its language, how often a menu went unanswered."""

    step: Step
    lang: str | None = None
    attempt: int = 0
    section: int = 0
    # The escalation tier an urgent call has reached (from 1).
    tier: int = 0
    # The carrier vouched for the caller's number when the call came in.
    attested: bool = False
    # The rights went by text during this call already.
    texted: bool = False
    # A report under way: the kind's key (1 to 5) and the ZIP code entered.
    kind: str = ""
    zip: str = ""

    def query(self) -> list[tuple[str, str]]:
        """The state as query parameters, keys sorted, as Twilio signs them."""
        items = {"attempt": str(self.attempt), "step": self.step}
        if self.attested:
            items["verified"] = "1"
        if self.texted:
            items["texted"] = "1"
        if self.lang is not None:
            items["lang"] = self.lang
        if self.step == "rights":
            items["section"] = str(self.section)
        if self.step in ("urgent", "callback"):
            items["tier"] = str(self.tier)
        if self.kind:
            items["kind"] = self.kind
        if self.zip:
            items["zip"] = self.zip
        return sorted(items.items())

    @classmethod
    def parse(cls, query: Mapping[str, str], *, languages: Sequence[str]) -> CallState:
        """The state in a query string; ValueError when it is not one we emit."""
        step = query.get("step", "")
        if step not in STEPS:
            raise ValueError("unknown step")
        lang = query.get("lang")
        if lang is not None and lang not in languages:
            raise ValueError("unknown language")
        if step != "language" and lang is None:
            raise ValueError("a step past the language menu needs a language")
        attempt = int(query.get("attempt", "0"))
        section = int(query.get("section", "0"))
        if not 0 <= attempt <= MAIN_MENU_SILENCES:
            raise ValueError("attempt out of range")
        if step == "rights" and not 1 <= section <= len(SECTIONS):
            raise ValueError("section out of range")
        tier = int(query.get("tier", "0"))
        if not 0 <= tier <= MAX_TIERS:
            raise ValueError("tier out of range")
        kind, zip_code = query.get("kind", ""), query.get("zip", "")
        if kind and (step not in REPORT_STEPS or ReportKind.from_digit(kind) is None):
            raise ValueError("kind out of range")
        if zip_code and not (len(zip_code) == 5 and zip_code.isascii() and zip_code.isdigit()):
            raise ValueError("not a ZIP code")
        if step in REPORT_STEPS - {"report_what"} and not kind:
            raise ValueError("a report step past the first needs a kind")
        if step == "report_confirm" and not zip_code:
            raise ValueError("a read-back needs a ZIP code")
        return cls(
            step=step,
            lang=lang,
            attempt=attempt,
            section=section,
            tier=tier,
            attested=query.get("verified") == "1",
            texted=query.get("texted") == "1",
            kind=kind,
            zip=zip_code,
        )


@dataclass(frozen=True, slots=True)
class Incoming:
    """A new call: the language of the line it came in on, and the caller's, if known.

    `attested` when the carrier vouches for the caller's number; only then may anything
    remembered under it be used, and the call's later steps carry that.
    """

    line_language: str | None = None
    remembered: str | None = None
    attested: bool = False


# Whether a text can go to the caller's phone: yes; not to a hidden number or one from
# abroad; not again today (the phone already had its texts, as far as the hotline may
# tell); or maybe (it may not tell, so it says so).
Texting = Literal["yes", "hidden", "abroad", "sent", "maybe"]


@dataclass(frozen=True, slots=True)
class Pressed:
    """The caller pressed `digits` (empty when the menu timed out); `texting` says
    whether a text can go to their phone."""

    digits: str
    texting: Texting = "yes"

    @property
    def reachable(self) -> bool:
        """The caller's number can be texted or called back at all."""
        return self.texting not in ("hidden", "abroad")


@dataclass(frozen=True, slots=True)
class DialEnded:
    """A dial finished with Twilio's DialCallStatus."""

    status: str


Event = Incoming | Pressed | DialEnded


@dataclass(frozen=True, slots=True)
class Say:
    """Speak `message` in `lang`."""

    message: Msg
    lang: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Gather:
    """Speak `prompts`, interruptible, and send up to `digits` keys (or none) to `next`."""

    prompts: tuple[Say, ...]
    next: CallState
    timeout: int
    digits: int = 1


@dataclass(frozen=True, slots=True)
class Dial:
    """Ring `legs` at once with the hotline's number as caller ID; the first to accept
    gets the caller; the outcome goes to `next`."""

    legs: tuple[Leg, ...]
    next: CallState
    timeout: int


@dataclass(frozen=True, slots=True)
class Hangup:
    """End the call."""


Intent = Say | Gather | Dial | Hangup


@dataclass(frozen=True, slots=True)
class Note:
    """Something worth a line in the call event log (never who called)."""

    kind: str
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class TextRights:
    """Send the rights script by text message, in `lang`, to the caller."""

    lang: str


@dataclass(frozen=True, slots=True)
class RememberLanguage:
    """Remember that this caller chose `lang`."""

    lang: str


@dataclass(frozen=True, slots=True)
class RequestCallback:
    """Call the caller back in `lang`: seal their number, alert the volunteers."""

    lang: str


@dataclass(frozen=True, slots=True)
class ReportSighting:
    """Pass a report to the responders: what (a kind), where (a ZIP code, or "" when the
    caller could not enter one), and whether it is still going on."""

    lang: str
    kind: ReportKind
    zip: str
    ongoing: bool


Effect = TextRights | RememberLanguage | RequestCallback | ReportSighting


@dataclass(frozen=True, slots=True)
class Reply:
    """What the caller hears next, what the edge must do, and what the log records."""

    intents: tuple[Intent, ...]
    lang: str | None
    notes: tuple[Note, ...] = ()
    effects: tuple[Effect, ...] = ()


@dataclass(frozen=True, slots=True)
class MenuOption:
    """A language in the voice menu."""

    code: str
    digit: str


@dataclass(frozen=True, slots=True)
class Hotline:
    """What the flow needs to know about this deployment."""

    menu: tuple[MenuOption, ...]
    default_language: str
    backup_numbers: tuple[str, ...]
    resources: tuple[Resource, ...]
    # Languages with no machine voice: their callers are offered the text copy up front.
    audio_only: frozenset[str] = frozenset()
    # What a caller offered a callback is told about the usual wait.
    callback_minutes: int = 15
