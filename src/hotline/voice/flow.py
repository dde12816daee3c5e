"""The IVR as a pure function: a call's state and an event in, intents out.

No I/O and no framework here. The state travels in the query string of the action
URLs the edge emits, which Twilio signs back, so a call needs no database to move on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from hotline.i18n.translator import N_, Msg
from hotline.rapid.kinds import ReportKind
from hotline.rights.resources import FRAMES, Resource
from hotline.rights.script import DISCLAIMER, SECTIONS
from hotline.routing.escalation import BACKUP_LEG, Leg, Plan

Step = Literal[
    "language", "main", "rights", "resources", "urgent", "callback",
    "report_what", "report_zip", "report_confirm", "report_when",
]  # fmt: skip
STEPS: tuple[Step, ...] = (
    "language", "main", "rights", "resources", "urgent", "callback",
    "report_what", "report_zip", "report_confirm", "report_when",
)  # fmt: skip
REPORT_STEPS = frozenset(STEPS[6:])

# Seconds Twilio waits for a key after the prompts end.
MENU_TIMEOUT = 5
RIGHTS_TIMEOUT = 4
# How long the backup number rings before the caller is told nobody answered.
DIAL_TIMEOUT = 25
# Silent passes through the main menu before the call ends politely.
MAIN_MENU_SILENCES = 3
MAX_TIERS = 9


# --- what a caller hears -----------------------------------------------------------

# TRANSLATORS: one option of the language menu, spoken in its own language.
LANGUAGE_OPTION = N_("voice", "For English, press %(digit)s.")
# The urgent option comes first and stays short: a caller in danger presses 1 as soon
# as it ends (bench/urgent_path.py measures how long that takes).
MAIN_URGENT = N_("voice", "If immigration agents are at your door, press 1.")
MAIN_DETAINED = N_("voice", "If someone was just detained, also press 1.")
MAIN_RIGHTS = N_("voice", "To hear your rights, press 2.")
MAIN_REPORT = N_("voice", "To report immigration agents you see, press 3.")
MAIN_RESOURCES = N_(
    "voice", "For free legal clinics, emergency numbers and community workshops, press 4."
)
MAIN_LANGUAGE = N_("voice", "To change the language, press 9.")
MAIN_REPEAT = N_("voice", "To hear this menu again, press 0.")
NOT_AN_OPTION = N_("voice", "Sorry, that key is not on the menu.")
GOODBYE = N_("voice", "You can call this number again at any time. Goodbye.")
# Said before the phones ring, and not interruptible: as short as it can be.
URGENT_CONNECTING = N_("voice", "Connecting you. Stay on the line.")
URGENT_STILL_TRYING = N_("voice", "We are still trying to reach someone. Please stay on the line.")
# TRANSLATORS: %(minutes)s is a number of minutes.
CALLBACK_OFFER = N_(
    "voice",
    "Nobody could answer right now. Press 1, and a volunteer will call you back at this "
    "number. It usually takes about %(minutes)s minutes.",
)
CALLBACK_CONFIRMED = N_(
    "voice", "Thank you. A volunteer will call you back at this number. Goodbye."
)
# TRANSLATORS: said to a volunteer who answers; %(language)s is the caller's language.
WHISPER = N_("voice", "Urgent hotline call in %(language)s. Press 1 to accept.")
URGENT_NOBODY = N_("voice", "We could not reach anyone right now. We are sorry.")
URGENT_UNAVAILABLE = N_("voice", "Nobody can take this call right now. We are sorry.")
URGENT_ENDED = N_("voice", "Your call has ended. If you need more help, stay on the line.")
# TRANSLATORS: %(number)s and %(total)s are spoken numbers, e.g. "Part 2 of 7."
RIGHTS_PART = N_("voice", "Part %(number)s of %(total)s.")
RIGHTS_KEYS = N_(
    "voice",
    "Press 1 for the next part. Press 2 to hear this part again. "
    "Press 3 to get all the parts by text message. Press 0 for the main menu.",
)
RIGHTS_LAST_KEYS = N_(
    "voice",
    "That was the last part. Press 2 to hear it again. "
    "Press 3 to get all the parts by text message. Press 0 for the main menu.",
)
MAIN_TEXT_RIGHTS = N_("voice", "To get your rights by text message, press 8.")
TEXT_SENDING = N_(
    "voice",
    "We are sending your rights by text message to this phone. It can take a few minutes.",
)
TEXT_IMPOSSIBLE = N_(
    "voice", "We cannot send a text message to this phone, because its number is hidden."
)
TEXT_ABROAD = N_(
    "voice", "We cannot send a text message to this phone, because its number is from abroad."
)
TEXT_ALREADY_SENT = N_(
    "voice", "Your rights were already sent by text message to this phone today."
)
# Said when the hotline cannot tell whether the phone already had its texts today
# without revealing what it holds about the number (caller ID can be spoofed).
TEXT_SENDING_UNLESS = N_(
    "voice",
    "We are sending your rights by text message to this phone, unless it already got them "
    "today. It can take a few minutes.",
)
# Said when what the caller asked for cannot be kept now (the service could not record
# it): never a promise that is not kept.
TEXT_CANNOT_NOW = N_("voice", "We cannot send the text message right now.")
CALLBACK_CANNOT_NOW = N_("voice", "We cannot take your callback request right now.")
TO_A_PERSON = N_("voice", "We are connecting you to a person now.")
RESOURCES_INTRO = N_("voice", "Here are places that can help you.")
RESOURCES_KEYS = N_("voice", "Press 1 to hear this again. Press 0 for the main menu.")
# Reporting what you see (3): each option its own sentence, so a caller who knows the
# keys presses as soon as theirs is said (bench/report_path.py measures the path).
REPORT_KINDS: dict[ReportKind, Msg] = {
    ReportKind.HOME: N_("voice", "If agents are at a home, press 1."),
    ReportKind.WORK: N_("voice", "At a workplace or a school, press 2."),
    ReportKind.STREET: N_("voice", "On the street or at a checkpoint, press 3."),
    ReportKind.TAKEN: N_("voice", "If someone was taken, press 4."),
    ReportKind.OTHER: N_("voice", "For something else, press 5."),
}
REPORT_ZIP = N_("voice", "Enter the five-digit ZIP code of the place.")
REPORT_ZIP_INVALID = N_("voice", "That was not a five-digit ZIP code.")
# TRANSLATORS: %(zip)s is a ZIP code said digit by digit: "6 0 6 2 3".
REPORT_ZIP_READBACK = N_("voice", "You entered %(zip)s.")
REPORT_ZIP_RIGHT = N_("voice", "If that is right, press 1.")
REPORT_ZIP_AGAIN = N_("voice", "To enter it again, press 2.")
REPORT_WHEN_NOW = N_("voice", "If it is happening now, press 1.")
REPORT_WHEN_ENDED = N_("voice", "If it has ended, press 2.")
REPORT_THANKS = N_("voice", "Thank you. Your report goes to our responders, who will check it.")
REPORT_SAFETY = N_(
    "voice", "Stay at a safe distance and do not interfere. You may record from a safe place."
)
REPORT_STATUS = N_("voice", "This hotline never asks anyone about their immigration status.")
# Tries at the ZIP code before the report goes on without one.
ZIP_TRIES = 2
APOLOGY = N_("voice", "We are sorry, something went wrong. We are connecting you to a person now.")
APOLOGY_NO_BACKUP = N_(
    "voice", "We are sorry, something went wrong. Please call this number again in a minute."
)


# --- state, events and intents -------------------------------------------------------


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


# --- the flow -------------------------------------------------------------------------


def respond(
    state: CallState | None, event: Event, hotline: Hotline, plan: Plan | None = None
) -> Reply:
    """The reply to `event` for a call in `state` (None for a new call).

    `plan` is the escalation as it stands now, for the steps that may ring someone.
    """
    if state is None or isinstance(event, Incoming):
        incoming = event if isinstance(event, Incoming) else Incoming()
        return _carry(_start(incoming, hotline), incoming.attested, texted=False)
    if state.texted and isinstance(event, Pressed) and event.reachable:
        event = replace(event, texting="sent")
    reply = _respond(state, event, hotline, plan)
    texted = state.texted or any(isinstance(e, TextRights) for e in reply.effects)
    return _carry(reply, state.attested, texted=texted)


def _respond(state: CallState, event: Event, hotline: Hotline, plan: Plan | None) -> Reply:
    if isinstance(event, DialEnded):
        return _after_dial(state, event, hotline, plan)
    if isinstance(event, Incoming):
        return _start(event, hotline)
    if state.step == "language":
        return _language_menu_key(state, event.digits, hotline)
    lang = state.lang or hotline.default_language
    if state.step == "main":
        return _main_menu_key(state, lang, event, hotline, plan)
    if state.step == "callback":
        return _callback_key(lang, event, hotline)
    if state.step == "rights":
        return _rights_key(state, lang, event, hotline)
    if state.step == "resources":
        return _resources_key(lang, event.digits, hotline)
    if state.step in REPORT_STEPS:
        return _report_key(state, lang, event.digits, hotline)
    # A key pressed while a dial was being set up means nothing: offer the menu.
    return main_menu(lang, hotline)


def _carry(reply: Reply, attested: bool, *, texted: bool) -> Reply:
    """`reply` with what holds for the whole call carried into the states it sends
    Twilio on to: the caller's attestation, and that the rights were texted already."""
    if not attested and not texted:
        return reply
    intents = tuple(
        replace(intent, next=replace(intent.next, attested=attested, texted=texted))
        if isinstance(intent, Gather | Dial)
        else intent
        for intent in reply.intents
    )
    return replace(reply, intents=intents)


def fallback(lang: str, hotline: Hotline) -> Reply:
    """The reply when anything went wrong: an apology, then a person if we have one."""
    if not hotline.backup_numbers:
        return Reply((Say(APOLOGY_NO_BACKUP, lang), Hangup()), lang, (Note("fallback"),))
    # Past every tier: nothing follows the backup but the menu.
    dial = Dial(
        tuple(Leg(BACKUP_LEG, number) for number in hotline.backup_numbers),
        CallState("urgent", lang, tier=MAX_TIERS),
        DIAL_TIMEOUT,
    )
    return Reply((Say(APOLOGY, lang), dial), lang, (Note("fallback"),))


def promise_broken(reply: Reply, hotline: Hotline) -> Reply:
    """What the caller hears instead of `reply` when its promise (a text, a callback)
    could not be recorded: that it cannot be done now, then a person if there is one."""
    lang = reply.lang or hotline.default_language
    callback = any(isinstance(effect, RequestCallback) for effect in reply.effects)
    said = Say(CALLBACK_CANNOT_NOW if callback else TEXT_CANNOT_NOW, lang)
    note = Note("promise.broken", "callback" if callback else "text")
    if not hotline.backup_numbers:
        return _with_notes(main_menu(lang, hotline, prefix=(said,)), note)
    dial = Dial(
        tuple(Leg(BACKUP_LEG, number) for number in hotline.backup_numbers),
        CallState("urgent", lang, tier=MAX_TIERS),
        DIAL_TIMEOUT,
    )
    return Reply((said, Say(TO_A_PERSON, lang), dial), lang, (note,))


def _start(event: Incoming, hotline: Hotline) -> Reply:
    started = Note("call.started")
    if event.line_language is not None:
        reply = main_menu(event.line_language, hotline)
        return _with_notes(reply, started, Note("language.line", event.line_language))
    if event.remembered is not None:
        reply = main_menu(event.remembered, hotline)
        return _with_notes(reply, started, Note("language.remembered", event.remembered))
    if len(hotline.menu) == 1:
        lang = hotline.menu[0].code
        return _with_notes(main_menu(lang, hotline), started, Note("language.only", lang))
    return _with_notes(language_menu(hotline, attempt=0), started)


def language_menu(hotline: Hotline, *, attempt: int) -> Reply:
    """Each language offered in its own voice, all in one interruptible gather."""
    prompts = tuple(
        Say(LANGUAGE_OPTION, option.code, (("digit", option.digit),)) for option in hotline.menu
    )
    gather = Gather(prompts, CallState("language", attempt=attempt), MENU_TIMEOUT)
    return Reply((gather,), None)


def main_menu(
    lang: str, hotline: Hotline, *, attempt: int = 0, prefix: tuple[Say, ...] = ()
) -> Reply:
    """The main menu in `lang`, urgent help first."""
    options = [MAIN_URGENT, MAIN_DETAINED, MAIN_RIGHTS, MAIN_REPORT, MAIN_RESOURCES]
    if lang in hotline.audio_only:
        options.append(MAIN_TEXT_RIGHTS)
    options += [MAIN_LANGUAGE, MAIN_REPEAT]
    prompts = prefix + tuple(Say(option, lang) for option in options)
    gather = Gather(prompts, CallState("main", lang, attempt=attempt), MENU_TIMEOUT)
    return Reply((gather,), lang)


def _language_menu_key(state: CallState, digits: str, hotline: Hotline) -> Reply:
    for option in hotline.menu:
        if digits == option.digit:
            chosen = main_menu(option.code, hotline)
            return replace(
                _with_notes(chosen, Note("language.chosen", option.code)),
                effects=(RememberLanguage(option.code),),
            )
    if digits:
        return _with_notes(
            language_menu(hotline, attempt=state.attempt), Note("menu.invalid", "language")
        )
    if state.attempt == 0:
        return _with_notes(language_menu(hotline, attempt=1), Note("menu.silent", "language"))
    lang = hotline.default_language
    return _with_notes(main_menu(lang, hotline), Note("language.defaulted", lang))


def _main_menu_key(
    state: CallState, lang: str, event: Pressed, hotline: Hotline, plan: Plan | None
) -> Reply:
    digits = event.digits
    if digits == "1":
        return _urgent(lang, hotline, plan, after=0)
    if digits == "2":
        return _with_notes(rights_section(lang, 1), Note("rights.section", "1"))
    if digits == "3":
        return _with_notes(report_what(lang), Note("report.started"))
    if digits == "4":
        return _with_notes(resources(lang, hotline), Note("resources"))
    if digits == "8" and lang in hotline.audio_only:
        return _text_rights(lang, event.texting, then=main_menu(lang, hotline))
    if digits == "9":
        return _with_notes(language_menu(hotline, attempt=0), Note("language.change"))
    if digits == "0":
        return main_menu(lang, hotline)
    if digits:
        prefix = (Say(NOT_AN_OPTION, lang),)
        return _with_notes(
            main_menu(lang, hotline, attempt=state.attempt, prefix=prefix),
            Note("menu.invalid", "main"),
        )
    if state.attempt + 1 < MAIN_MENU_SILENCES:
        return _with_notes(
            main_menu(lang, hotline, attempt=state.attempt + 1), Note("menu.silent", "main")
        )
    return Reply((Say(GOODBYE, lang), Hangup()), lang, (Note("call.ended", "silent"),))


_NOT_TEXTED = {"hidden": TEXT_IMPOSSIBLE, "abroad": TEXT_ABROAD, "sent": TEXT_ALREADY_SENT}


def _text_rights(lang: str, texting: Texting, *, then: Reply) -> Reply:
    """Send the script by text (or say why not), then carry on with `then`."""
    if texting in _NOT_TEXTED:
        said = Say(_NOT_TEXTED[texting], lang)
        return _with_notes(_prefixed(then, said), Note("rights.text", texting))
    message = TEXT_SENDING if texting == "yes" else TEXT_SENDING_UNLESS
    sent = _with_notes(_prefixed(then, Say(message, lang)), Note("rights.text", lang))
    return replace(sent, effects=(TextRights(lang),))


def _prefixed(reply: Reply, say: Say) -> Reply:
    """`reply` with `say` spoken first, inside its gather so a key can cut in."""
    first = reply.intents[0]
    if isinstance(first, Gather):
        gather = replace(first, prompts=(say, *first.prompts))
        return replace(reply, intents=(gather, *reply.intents[1:]))
    return replace(reply, intents=(say, *reply.intents))


def _urgent(lang: str, hotline: Hotline, plan: Plan | None, *, after: int) -> Reply:
    """Ring the next tier after `after` with someone in it, or say nobody could answer."""
    step = plan.after(after) if plan is not None else None
    if step is None:
        prefix = (Say(URGENT_NOBODY if after else URGENT_UNAVAILABLE, lang),)
        return _with_notes(main_menu(lang, hotline, prefix=prefix), Note("urgent.exhausted"))
    note = Note("urgent.tier", f"{step.number}:{step.kind}")
    if step.kind == "callback":
        offer = Say(CALLBACK_OFFER, lang, (("minutes", str(hotline.callback_minutes)),))
        gather = Gather((offer,), CallState("callback", lang, tier=step.number), MENU_TIMEOUT)
        return Reply((gather,), lang, (note,))
    # The caller never waits in silence: a word before every tier.
    say = Say(URGENT_CONNECTING if after == 0 else URGENT_STILL_TRYING, lang)
    dial = Dial(step.legs, CallState("urgent", lang, tier=step.number), step.ring_seconds)
    return Reply((say, dial), lang, (note,))


def _after_dial(state: CallState, event: DialEnded, hotline: Hotline, plan: Plan | None) -> Reply:
    lang = state.lang or hotline.default_language
    note = Note("urgent.result", f"{state.tier}:{event.status[:24]}")
    if event.status == "completed":
        # The caller spoke to someone and that leg hung up; one more silence ends it.
        reply = main_menu(
            lang, hotline, attempt=MAIN_MENU_SILENCES - 1, prefix=(Say(URGENT_ENDED, lang),)
        )
        return _with_notes(reply, note)
    return _with_notes(_urgent(lang, hotline, plan, after=state.tier), note)


def _callback_key(lang: str, event: Pressed, hotline: Hotline) -> Reply:
    if event.digits == "1" and event.reachable:
        reply = Reply((Say(CALLBACK_CONFIRMED, lang), Hangup()), lang, (Note("callback.asked"),))
        return replace(reply, effects=(RequestCallback(lang),))
    prefix = (Say(URGENT_NOBODY, lang),)
    return _with_notes(main_menu(lang, hotline, prefix=prefix), Note("callback.declined"))


def rights_section(lang: str, number: int) -> Reply:
    """Section `number` of the script (from 1), with the keys to move through it."""
    section = SECTIONS[number - 1]
    total = len(SECTIONS)
    prompts: list[Say] = []
    if number == 1:
        prompts.append(Say(DISCLAIMER, lang))
    prompts.append(Say(RIGHTS_PART, lang, (("number", str(number)), ("total", str(total)))))
    prompts.append(Say(section.title, lang))
    prompts.extend(Say(sentence, lang) for sentence in section.body)
    prompts.append(Say(RIGHTS_LAST_KEYS if number == total else RIGHTS_KEYS, lang))
    gather = Gather(tuple(prompts), CallState("rights", lang, section=number), RIGHTS_TIMEOUT)
    return Reply((gather,), lang)


def _rights_keys(state: CallState, lang: str) -> Reply:
    keys = RIGHTS_LAST_KEYS if state.section == len(SECTIONS) else RIGHTS_KEYS
    return Reply((Gather((Say(keys, lang),), state, RIGHTS_TIMEOUT),), lang)


def _rights_key(state: CallState, lang: str, event: Pressed, hotline: Hotline) -> Reply:
    digits = event.digits
    last = len(SECTIONS)
    if digits == "2":
        return _with_notes(
            rights_section(lang, state.section), Note("rights.section", str(state.section))
        )
    if digits == "3":
        return _text_rights(lang, event.texting, then=_rights_keys(state, lang))
    if digits == "0" or (digits in ("", "1") and state.section == last):
        return main_menu(lang, hotline)
    if digits in ("", "1"):
        # Silence moves on: a caller can listen to the whole script without a key.
        number = state.section + 1
        return _with_notes(rights_section(lang, number), Note("rights.section", str(number)))
    wrong = _prefixed(_rights_keys(state, lang), Say(NOT_AN_OPTION, lang))
    return _with_notes(wrong, Note("menu.invalid", "rights"))


def resources(lang: str, hotline: Hotline) -> Reply:
    """The deployment's resources, each framed by a sentence in `lang`."""
    prompts = [Say(RESOURCES_INTRO, lang)]
    for resource in hotline.resources:
        params = (("name", resource.name), ("phone", spoken_digits(resource.phone)))
        prompts.append(Say(FRAMES[resource.kind], lang, params))
    prompts.append(Say(RESOURCES_KEYS, lang))
    gather = Gather(tuple(prompts), CallState("resources", lang), MENU_TIMEOUT)
    return Reply((gather,), lang)


def _resources_key(lang: str, digits: str, hotline: Hotline) -> Reply:
    if digits == "1":
        return _with_notes(resources(lang, hotline), Note("resources"))
    if digits in ("", "0"):
        return main_menu(lang, hotline)
    gather = Gather(
        (Say(NOT_AN_OPTION, lang), Say(RESOURCES_KEYS, lang)),
        CallState("resources", lang),
        MENU_TIMEOUT,
    )
    return Reply((gather,), lang, (Note("menu.invalid", "resources"),))


def report_what(lang: str, *, attempt: int = 0, prefix: tuple[Say, ...] = ()) -> Reply:
    """What did the caller see: one sentence per kind, keys 1 to 5."""
    prompts = prefix + tuple(Say(message, lang) for message in REPORT_KINDS.values())
    return Reply((Gather(prompts, CallState("report_what", lang, attempt), MENU_TIMEOUT),), lang)


def _report_ask(state: CallState, lang: str, *, attempt: int, prefix: tuple[Say, ...]) -> Reply:
    """The prompt of a report's step `state.step`, asked (again)."""
    step = replace(state, attempt=attempt)
    if state.step == "report_what":
        return report_what(lang, attempt=attempt, prefix=prefix)
    if state.step == "report_zip":
        prompts: tuple[Say, ...] = (Say(REPORT_ZIP, lang),)
        return Reply((Gather(prefix + prompts, step, MENU_TIMEOUT, digits=5),), lang)
    if state.step == "report_confirm":
        readback = Say(REPORT_ZIP_READBACK, lang, (("zip", " ".join(state.zip)),))
        prompts = (readback, Say(REPORT_ZIP_RIGHT, lang), Say(REPORT_ZIP_AGAIN, lang))
    else:
        prompts = (Say(REPORT_WHEN_NOW, lang), Say(REPORT_WHEN_ENDED, lang))
    return Reply((Gather(prefix + prompts, step, MENU_TIMEOUT),), lang)


def _report_step(step: Step, lang: str, kind: str, zip_code: str = "") -> Reply:
    state = CallState(step, lang, kind=kind, zip=zip_code)
    return _report_ask(state, lang, attempt=0, prefix=())


def _report_key(state: CallState, lang: str, digits: str, hotline: Hotline) -> Reply:
    """One answer in a report: the kind, the ZIP code, its read-back, then now or ended."""
    if state.step != "report_what" and ReportKind.from_digit(state.kind) is None:
        return report_what(lang)
    if state.step == "report_confirm" and not state.zip:
        return _report_step("report_zip", lang, state.kind)
    if state.step == "report_zip":
        return _zip_key(state, lang, digits)
    moved = _report_advance(state, lang, digits, hotline)
    if moved is not None:
        return moved
    if not digits and state.attempt >= 1:
        # A second silence: back to the menu before a kind is chosen, else go on.
        if state.step == "report_what":
            return main_menu(lang, hotline)
        if state.step == "report_confirm":
            return _report_step("report_when", lang, state.kind, state.zip)
        return _report_done(lang, state.kind, state.zip, ongoing=True, hotline=hotline)
    attempt = state.attempt if digits else state.attempt + 1
    prefix = (Say(NOT_AN_OPTION, lang),) if digits else ()
    note = Note("menu.invalid" if digits else "menu.silent", "report")
    return _with_notes(_report_ask(state, lang, attempt=attempt, prefix=prefix), note)


def _report_advance(state: CallState, lang: str, digits: str, hotline: Hotline) -> Reply | None:
    """The next step for a key that means something here; None for one that does not."""
    if state.step == "report_what":
        chosen = ReportKind.from_digit(digits)
        if chosen is None:
            return None
        return _with_notes(
            _report_step("report_zip", lang, chosen.digit), Note("report.kind", chosen)
        )
    if state.step == "report_confirm" and digits in ("1", "2"):
        next_step: Step = "report_when" if digits == "1" else "report_zip"
        return _report_step(next_step, lang, state.kind, state.zip if digits == "1" else "")
    if state.step == "report_when" and digits in ("1", "2"):
        return _report_done(lang, state.kind, state.zip, ongoing=digits == "1", hotline=hotline)
    return None


def _zip_key(state: CallState, lang: str, digits: str) -> Reply:
    if len(digits) == 5 and digits.isascii() and digits.isdigit():
        return _report_step("report_confirm", lang, state.kind, digits)
    if state.attempt + 1 < ZIP_TRIES:
        prefix = (Say(REPORT_ZIP_INVALID, lang),)
        return _report_ask(state, lang, attempt=state.attempt + 1, prefix=prefix)
    # The caller cannot enter it: the report goes on without a ZIP code.
    return _with_notes(_report_step("report_when", lang, state.kind), Note("report.no_zip"))


def _report_done(lang: str, kind: str, zip_code: str, *, ongoing: bool, hotline: Hotline) -> Reply:
    """Thank the caller, remind them to stay safe, and back to the main menu."""
    chosen = ReportKind.from_digit(kind) or ReportKind.OTHER
    said = (Say(REPORT_THANKS, lang), Say(REPORT_SAFETY, lang), Say(REPORT_STATUS, lang))
    reply = _with_notes(main_menu(lang, hotline, prefix=said), Note("report.submitted", chosen))
    return replace(reply, effects=(ReportSighting(lang, chosen, zip_code, ongoing),))


def spoken_digits(number: str) -> str:
    """A phone number as a voice reads it best: digits apart, grouped like NANP."""
    digits = [c for c in number if c.isdigit()]
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    if len(digits) == 10:
        groups = [digits[:3], digits[3:6], digits[6:]]
        return ", ".join(" ".join(group) for group in groups)
    return " ".join(digits)


def _with_notes(reply: Reply, *notes: Note) -> Reply:
    return replace(reply, notes=notes + reply.notes)
