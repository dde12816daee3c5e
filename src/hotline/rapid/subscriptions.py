"""Subscriptions to verified alerts, by ZIP code: the one number kept on purpose.

Someone who texts `ALERTS 60623` asked to be told; their number is sealed and kept until
they text `ALERTS STOP`, a general opt-out, or DELETE. Coordinators see counts only:
per zone and per language, never a number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from hotline.models import Subscriber, SubscriberZip, Zone, ZoneZip
from hotline.rapid import messages, reports, zones
from hotline.rapid.alerts import number_place
from hotline.rapid.schemas import LanguageCount, SubscriptionCounts, ZoneCount
from hotline.rapid.service import RapidResponse

FINGERPRINT_PURPOSE = "subscriber"
MAX_ZIPS = 10


@dataclass(frozen=True, slots=True)
class Subscribed:
    """Which ZIP codes a zone covers (with its name), and which none does yet."""

    areas: tuple[str, ...]
    uncovered: tuple[str, ...]
    corrections: bool


def number_key(rapid: RapidResponse, number: str) -> str:
    """The keyed fingerprint that finds a subscriber by their number."""
    return rapid.vault.fingerprint(number, purpose=FINGERPRINT_PURPOSE)


@dataclass(frozen=True, slots=True)
class Subscription:
    """Who asked for alerts (their number, E.164), for which ZIP codes, in which language,
    whether corrections too, and the hotline number they texted."""

    number: str = field(repr=False)
    zips: Sequence[str]
    language: str
    corrections: bool = False
    line: str = ""


def subscribe(
    session: Session, *, rapid: RapidResponse, request: Subscription, now: datetime
) -> Subscribed:
    """Subscribe to alerts for the ZIP codes asked (added to those held), in a language."""
    number, zips, language = request.number, request.zips, request.language
    corrections, line = request.corrections, request.line
    key = number_key(rapid, number)
    subscriber = session.exec(select(Subscriber).where(Subscriber.number_key == key)).first()
    if subscriber is None:
        subscriber = Subscriber(
            number_key=key,
            number_sealed=rapid.vault.seal(number, place=number_place(key)),
            language=language,
            line=line,
            created_at=now,
            updated_at=now,
        )
    subscriber.language, subscriber.line, subscriber.updated_at = language, line, now
    subscriber.corrections = subscriber.corrections or corrections
    session.add(subscriber)
    session.flush()
    assert subscriber.id is not None
    held = set(
        session.exec(
            select(SubscriberZip.zip).where(SubscriberZip.subscriber_id == subscriber.id)
        ).all()
    )
    wanted = [z for z in zips if z not in held][: max(0, MAX_ZIPS - len(held))]
    zones.add_links(
        session, SubscriberZip, [{"subscriber_id": subscriber.id, "zip": z} for z in wanted]
    )
    areas, uncovered = [], []
    for zip_code in sorted(held | set(wanted)):
        zone = zones.zone_of_zip(session=session, zip_code=zip_code)
        if zone is None:
            uncovered.append(zip_code)
        elif zone.name not in areas:
            areas.append(zone.name)
    return Subscribed(tuple(areas), tuple(uncovered), subscriber.corrections)


def unsubscribe(session: Session, *, rapid: RapidResponse, number: str) -> bool:
    """`ALERTS STOP` or an opt-out: the number and its ZIP codes are deleted. False if none."""
    key = number_key(rapid, number)
    return bool(session.exec(delete(Subscriber).where(col(Subscriber.number_key) == key)).rowcount)


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What DELETE removed: a subscription, and reports that could lead back to the number."""

    subscription: bool
    reports: int


def forget_number(session: Session, *, rapid: RapidResponse, number: str) -> Forgotten:
    """DELETE: nothing rapid response holds leads back to `number` any more."""
    return Forgotten(
        subscription=unsubscribe(session, rapid=rapid, number=number),
        reports=reports.forget_reporter(session, rapid=rapid, number=number),
    )


def counts(session: Session) -> SubscriptionCounts:
    """Subscribers per zone and per language; ZIP codes subscribed to that no zone covers."""
    total = session.exec(select(func.count()).select_from(Subscriber)).one()
    per_zone = session.exec(
        select(Zone.name, func.count(func.distinct(SubscriberZip.subscriber_id)))
        .join(ZoneZip, col(ZoneZip.zone_id) == col(Zone.id))
        .join(SubscriberZip, col(SubscriberZip.zip) == col(ZoneZip.zip))
        .group_by(col(Zone.name))
        .order_by(col(Zone.name))
    ).all()
    per_language = session.exec(
        select(Subscriber.language, func.count())
        .group_by(col(Subscriber.language))
        .order_by(col(Subscriber.language))
    ).all()
    uncovered = session.exec(
        select(func.count(func.distinct(SubscriberZip.zip))).where(
            col(SubscriberZip.zip).not_in(select(ZoneZip.zip))
        )
    ).one()
    return SubscriptionCounts(
        total=total,
        by_zone=[ZoneCount(zone=name, subscribers=n) for name, n in per_zone],
        by_language=[LanguageCount(language=code, subscribers=n) for code, n in per_language],
        uncovered_zips=uncovered,
    )


def _word(rapid: RapidResponse, lang: str, kind: str, *, command: bool) -> str:
    language = rapid.catalogs.language(lang)
    words = language.command_words(kind) if command else language.words(kind)
    return words[0] if words else kind.upper()


def answer(rapid: RapidResponse, subscribed: Subscribed, *, lang: str, first_zip: str) -> str:
    """What a subscriber is told, in `lang`: the areas covered, what is not, corrections."""
    alerts = _word(rapid, lang, "alerts", command=True)
    sentences = []
    if subscribed.areas:
        sentences.append(
            rapid.say(
                lang,
                messages.SUBSCRIBED,
                areas=", ".join(subscribed.areas),
                alerts=alerts,
                stop=_word(rapid, lang, "stop", command=False),
            )
        )
        if subscribed.uncovered:
            sentences.append(
                rapid.say(lang, messages.UNCOVERED, zips=", ".join(subscribed.uncovered))
            )
    else:
        sentences.append(rapid.say(lang, messages.NOTHING_COVERED))
    if subscribed.corrections:
        sentences.append(rapid.say(lang, messages.CORRECTIONS_ON))
    else:
        sentences.append(
            rapid.say(
                lang,
                messages.CORRECTIONS_OFFER,
                alerts=alerts,
                zip=first_zip,
                corrections=_word(rapid, lang, "corrections", command=True),
            )
        )
    return " ".join(sentences)


def how_to(rapid: RapidResponse, *, lang: str) -> str:
    """How to write the alerts command, in `lang` (for an `ALERTS` that is not valid)."""
    return rapid.say(
        lang,
        messages.ALERTS_HOW,
        alerts=_word(rapid, lang, "alerts", command=True),
        stop=_word(rapid, lang, "stop", command=False),
    )
