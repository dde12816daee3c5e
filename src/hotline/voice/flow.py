"""The IVR as a pure function: a call's state and an event in, intents out.

No I/O and no framework here. The state travels in the query string of the action
URLs the edge emits, which Twilio signs back, so a call needs no database to move on.
"""

from __future__ import annotations

from dataclasses import replace

from hotline.rapid.kinds import ReportKind
from hotline.rights.resources import FRAMES
from hotline.rights.script import DISCLAIMER, SECTIONS
from hotline.routing.escalation import BACKUP_LEG, Leg, Plan
from hotline.voice.intents import (
    MAIN_MENU_SILENCES,
    MAX_TIERS,
    REPORT_STEPS,
    CallState,
    Dial,
    DialEnded,
    Event,
    Gather,
    Hangup,
    Hotline,
    Incoming,
    Note,
    Pressed,
    RememberLanguage,
    Reply,
    ReportSighting,
    RequestCallback,
    Say,
    Step,
    Texting,
    TextRights,
)
from hotline.voice.messages import (
    APOLOGY,
    APOLOGY_NO_BACKUP,
    CALLBACK_CANNOT_NOW,
    CALLBACK_CONFIRMED,
    CALLBACK_OFFER,
    GOODBYE,
    LANGUAGE_OPTION,
    MAIN_DETAINED,
    MAIN_LANGUAGE,
    MAIN_REPEAT,
    MAIN_REPORT,
    MAIN_RESOURCES,
    MAIN_RIGHTS,
    MAIN_TEXT_RIGHTS,
    MAIN_URGENT,
    NOT_AN_OPTION,
    REPORT_KINDS,
    REPORT_SAFETY,
    REPORT_STATUS,
    REPORT_THANKS,
    REPORT_WHEN_ENDED,
    REPORT_WHEN_NOW,
    REPORT_ZIP,
    REPORT_ZIP_AGAIN,
    REPORT_ZIP_INVALID,
    REPORT_ZIP_READBACK,
    REPORT_ZIP_RIGHT,
    RESOURCES_INTRO,
    RESOURCES_KEYS,
    RIGHTS_KEYS,
    RIGHTS_LAST_KEYS,
    RIGHTS_PART,
    TEXT_ABROAD,
    TEXT_ALREADY_SENT,
    TEXT_CANNOT_NOW,
    TEXT_IMPOSSIBLE,
    TEXT_SENDING,
    TEXT_SENDING_UNLESS,
    TO_A_PERSON,
    URGENT_CONNECTING,
    URGENT_ENDED,
    URGENT_NOBODY,
    URGENT_STILL_TRYING,
    URGENT_UNAVAILABLE,
    ZIP_TRIES,
)

# Seconds Twilio waits for a key after the prompts end.
MENU_TIMEOUT = 5
RIGHTS_TIMEOUT = 4
# How long the backup number rings before the caller is told nobody answered.
DIAL_TIMEOUT = 25


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
