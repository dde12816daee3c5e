"""Volunteers' and responders' commands by text, parsed by one table: the verb, then
its argument.

Commands stay in English in every language: they are what the hotline reads. A text
that is no command is words for the texter the volunteer helps (`Say`), optionally
after a case code ("123456 Don't open the door"). Responders answer a call-out with
`GO`, `CONFIRMED`, `NOTICE`, `GONE` or `UNSURE` and its code, and ask those who
reported it by text a question with `ASK <code> words`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from hotline.rapid.commands import Verb

# Codes are six digits (texts cases opened before the claims module had four).
CODE = r"[0-9]{4,8}"
MAX_BREAK_MINUTES = 720


@dataclass(frozen=True, slots=True)
class Accept:
    """Take a claim (a callback or a text case) by its code."""

    code: str


@dataclass(frozen=True, slots=True)
class Done:
    """End a text case one holds."""

    code: str


@dataclass(frozen=True, slots=True)
class Availability:
    """ON, OFF, or BREAK for `minutes`."""

    status: str
    minutes: int = 0


@dataclass(frozen=True, slots=True)
class Status:
    """Am I on call?"""


@dataclass(frozen=True, slots=True)
class Commands:
    """The list of commands, asked for."""


@dataclass(frozen=True, slots=True)
class Note:
    """What a call or case one took was about: "<code> <kind>" (checked by dispositions)."""

    text: str


@dataclass(frozen=True, slots=True)
class Say:
    """Words for the texter of case `code` (None: the only case the volunteer holds)."""

    code: str | None
    text: str


@dataclass(frozen=True, slots=True)
class Respond:
    """A responder's answer to a call-out: GO, or what they found."""

    verb: Verb
    code: str


@dataclass(frozen=True, slots=True)
class Ask:
    """A responder's question to those who reported call-out `code` by text."""

    code: str
    text: str


Command = Accept | Done | Availability | Status | Commands | Note | Say | Respond | Ask


def _break(minutes: str) -> Command:
    return Availability("break", min(int(minutes), MAX_BREAK_MINUTES))


def _respond(verb: Verb) -> Callable[[str], Command]:
    return lambda code: Respond(verb, code.strip().strip("#.!").strip())


def _ask(argument: str) -> Command:
    code, words = argument.split(maxsplit=1)
    return Ask(code.strip("#.!"), words.strip())


CALLOUT_CODE = r"#?\s*[0-9]{4,8}[.!]?"
# (verb, the argument's pattern or None, what it makes).
TABLE: tuple[tuple[str, str | None, Callable[[str], Command]], ...] = (
    *((verb.value, CALLOUT_CODE, _respond(verb)) for verb in Verb),
    ("ASK", rf"{CALLOUT_CODE}\s+\S.*", _ask),
    ("ACCEPT", r"\S{1,20}", Accept),
    ("DONE", r"\S{1,20}", Done),
    # "NOTE <code> <kind>" or a NOTE gone wrong (answered with how to write one); a
    # sentence that starts with "Note" is words for the texter.
    ("NOTE", r"(?:[0-9].{0,80}|\S{1,20})?", Note),
    ("BREAK", r"[0-9]{1,3}", _break),
    ("ON", None, lambda _: Availability("on")),
    ("OFF", None, lambda _: Availability("off")),
    ("STATUS", None, lambda _: Status()),
    ("HELP", None, lambda _: Commands()),
    ("COMMANDS", None, lambda _: Commands()),
)
_PATTERNS = [
    (
        re.compile(rf"\s*{verb}\s*({argument})\s*" if argument else rf"\s*{verb}\s*", re.I | re.S),
        make,
    )
    for verb, argument, make in TABLE
]
# Words that start ordinary sentences too ("Note that…", "Go to the back door"): a text
# starting with one is a command gone wrong only when a code follows, or nothing.
_WORDY = frozenset({"NOTE", "ASK", *Verb})
_VERBS = frozenset(verb for verb, _, _ in TABLE if verb not in _WORDY)
_CODE_OR_NOTHING = re.compile(r"\s*(?:#?\s*[0-9].*)?", re.S)
_CODED = re.compile(rf"\s*({CODE})\s+(.+)", re.DOTALL)


def parse(body: str) -> Command:
    """What a volunteer's text asks for."""
    for pattern, make in _PATTERNS:
        matched = pattern.fullmatch(body)
        if matched:
            return make(matched.group(1) if matched.groups() else "")
    words = body.split(maxsplit=1)
    if words and words[0].upper() in _VERBS:
        # A command that went wrong is not words for a texter.
        return Commands()
    rest = words[1] if len(words) > 1 else ""
    if words and words[0].upper() in _WORDY - {"NOTE"} and _CODE_OR_NOTHING.fullmatch(rest):
        return Commands()
    coded = _CODED.fullmatch(body)
    if coded:
        return Say(coded.group(1), coded.group(2).strip())
    return Say(None, body.strip())
