"""Reports and alerts by text, as pure steps of the text flow.

`ALERTS 60623 [60608 …]` subscribes, `ALERTS STOP` unsubscribes (in every language's
words). `REPORT` alone starts a short exchange kept between texts (a draft): what (1 to
5), where (a ZIP code or cross streets in the texter's words), happening now or ended
(1 or 2). `REPORT` followed by words is the report itself: its place is those words,
its kind "something else", happening now; nothing more is asked. A text that reads like
a report (a word of enforcement and a place) is answered "reply 1 to report this", in
the language it is written in, and a 1 then asks what and when (the place is known).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from hotline.rapid import messages as rapid_messages
from hotline.rapid.commands import (
    CommandWords,
    normalize,
    parse_alerts_command,
    parse_report_command,
)
from hotline.rapid.kinds import ReportKind
from hotline.rapid.recognise import SightingWords, sighted
from hotline.sms import messages
from hotline.sms.effects import (
    DropDraft,
    Effect,
    FileReport,
    KeepDraft,
    Relay,
    RememberLanguage,
    Reply,
    Subscribe,
    Text,
    Unsubscribe,
)

OFFER, WHAT, WHERE, WHEN = "offer", "what", "where", "when"
STEPS = (OFFER, WHAT, WHERE, WHEN)


@dataclass(frozen=True, slots=True)
class Draft:
    """A report by text under way, as the flow sees it (its place stays sealed)."""

    step: str
    lang: str
    kind: str | None = None
    has_place: bool = False


@dataclass(frozen=True)
class ReportTexts:
    """What reports and alerts by text need to know about this deployment."""

    words: CommandWords
    signs: SightingWords
    # The language a text is written in, None when unsure (hotline.i18n.detect).
    guess: Callable[[str], str | None]
    # Per language, the words ALERTS and STOP in it, for "how to write ALERTS".
    alerts_words: Mapping[str, tuple[str, str]]
    # Loads what `guess` needs, once, at start-up.
    warm: Callable[[], None] = lambda: None


@dataclass(frozen=True, slots=True)
class Recognised:
    """A text's language (None: unsure) and whether it reads like a report."""

    lang: str | None
    sighting: bool


def command(body: str, texts: ReportTexts, *, known: str | None) -> Reply | None:
    """`ALERTS …` or `REPORT …`, answered in the texter's language (else the word's)."""
    alerts = parse_alerts_command(body, texts.words)
    if alerts is not None:
        lang = known or alerts.language
        remember = _remember(lang, known)
        if alerts.stop:
            return Reply((Text(rapid_messages.UNSUBSCRIBED, lang),), (*remember, Unsubscribe(lang)))
        if not alerts.valid:
            word, stop = texts.alerts_words.get(lang, ("ALERTS", "STOP"))
            how = Text(rapid_messages.ALERTS_HOW, lang, (("alerts", word), ("stop", stop)))
            return Reply((how,), remember)
        return Reply((), (*remember, Subscribe(lang, alerts.zips, alerts.corrections)))
    report = parse_report_command(body, texts.words)
    if report is None:
        return None
    lang = known or report.language
    remember = _remember(lang, known)
    if report.text:
        filed = FileReport(lang, ReportKind.OTHER, ongoing=True, place=report.text)
        return Reply((Text(rapid_messages.REPORT_RECEIVED, lang),), (*remember, DropDraft(), filed))
    return Reply((Text(messages.REPORT_WHAT, lang),), (*remember, KeepDraft(WHAT, lang)))


def _remember(lang: str, known: str | None) -> tuple[Effect, ...]:
    return (RememberLanguage(lang),) if known is None else ()


def recognise(body: str, texts: ReportTexts, *, known: str | None) -> Recognised:
    """The language of a text (the texter's, else its report words', else the guess)
    and whether it reads like a report."""
    found = sighted(body, texts.signs)
    lang = known or (found.language if found is not None else None)
    if lang is None:
        lang = texts.guess(body)
    return Recognised(lang, found is not None)


def offer(body: str, lang: str, *, known: str | None) -> Reply:
    """ "Reply 1 to report this", the text kept as the report's place. In an open case or
    after a responder's question the text goes to them instead (Relay comes first)."""
    effects = (*_remember(lang, known), Relay(lang), KeepDraft(OFFER, lang, place=body))
    return Reply((Text(messages.REPORT_OFFER, lang),), effects)


def go_on(draft: Draft, body: str) -> Reply | None:
    """The next step of a report under way; None when the text is not an answer to it."""
    word, lang = normalize(body), draft.lang
    if draft.step == OFFER:
        if word != "1":
            return None
        return Reply((Text(messages.REPORT_WHAT, lang),), (KeepDraft(WHAT, lang),))
    if draft.step == WHAT:
        kind = ReportKind.from_digit(word)
        if kind is None:
            return Reply((Text(messages.REPORT_WHAT_AGAIN, lang),), (KeepDraft(WHAT, lang),))
        if draft.has_place:
            return Reply((Text(messages.REPORT_WHEN, lang),), (KeepDraft(WHEN, lang, kind),))
        return Reply((Text(messages.REPORT_WHERE, lang),), (KeepDraft(WHERE, lang, kind),))
    if draft.step == WHERE:
        if not body.strip():
            return Reply(
                (Text(messages.REPORT_WHERE, lang),), (KeepDraft(WHERE, lang, draft.kind),)
            )
        kept = KeepDraft(WHEN, lang, draft.kind, place=body.strip())
        return Reply((Text(messages.REPORT_WHEN, lang),), (kept,))
    if draft.kind is None:
        return Reply((Text(messages.REPORT_WHAT, lang),), (KeepDraft(WHAT, lang),))
    if word not in ("1", "2"):
        return Reply(
            (Text(messages.REPORT_WHEN_AGAIN, lang),), (KeepDraft(WHEN, lang, draft.kind),)
        )
    filed = FileReport(lang, draft.kind, ongoing=word == "1")
    return Reply((Text(rapid_messages.REPORT_RECEIVED, lang),), (filed, DropDraft()))
