"""What rapid response needs, built once at start-up, and how it words and sends texts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel import UnknownLocaleError
from babel.dates import format_time
from sqlmodel import Session

from hotline.claims.service import text_key
from hotline.config import Settings
from hotline.i18n.catalogs import Catalogs
from hotline.i18n.languages import first_spoken
from hotline.i18n.translator import Msg
from hotline.outbox import service as outbox
from hotline.privacy.pseudonym import Keyring
from hotline.privacy.vault import Vault
from hotline.rapid.commands import CommandWords
from hotline.routing.oncall import Person, RosterSnapshot
from hotline.routing.service import RosterCache, volunteer_phone_place

QUARTER = 15 * 60
# Babel has no Haitian Creole clock: French writes the time the same way.
CLOCK_LOCALE = {"ht": "fr", "tl": "fil"}


# What texts about incidents are, in the outbox (per-recipient caps tell them apart).
PURPOSE = "incident"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A text to a responder or coordinator about an incident (or words relayed between a
    responder and a reporter: `purpose` "relay"); `key` makes it idempotent."""

    sender: str
    to: str
    body: str
    key: str
    language: str | None
    purpose: str = PURPOSE


@dataclass(frozen=True, slots=True)
class SenderPool:
    """The numbers alerts go out from: a Messaging Service, several hotline numbers, or
    (with neither) the number each subscriber texted."""

    messaging_service: str | None = None
    numbers: tuple[str, ...] = ()

    def sender(self, *, line: str, index: int) -> str:
        """The sender of the `index`-th text of a fan-out to someone who texted `line`."""
        if self.messaging_service:
            return self.messaging_service
        if self.numbers:
            return self.numbers[index % len(self.numbers)]
        return line

    @property
    def default(self) -> str | None:
        """A sender for texts that came in on no line (a report entered through the API)."""
        return self.messaging_service or (self.numbers[0] if self.numbers else None)


@dataclass(frozen=True, slots=True)
class RapidSettings:
    """How reports group, call-outs escalate, and alerts go out."""

    timezone: ZoneInfo
    default_language: str
    # Reports of one kind in one zone this close together are one incident.
    window: timedelta = timedelta(minutes=30)
    # Nobody took a call-out in this long: the next stage is texted.
    realert: timedelta = timedelta(minutes=5)
    # An incident nobody verified in this long expires.
    incident_expiry: timedelta = timedelta(hours=3)
    # Responders who can take one call-out (GO): 1 or 2.
    capacity: int = 1
    # An alert waits for a coordinator's approval before it goes out.
    approval: bool = False
    # A NOTICE result is sent as a correction to subscribers who asked for corrections.
    corrections: bool = True
    # An alert not sent by then is dropped.
    alert_expiry: timedelta = timedelta(hours=1)
    # A text to a responder not sent by then is dropped.
    text_expiry: timedelta = timedelta(hours=1)
    backup_number: str | None = None
    senders: SenderPool = SenderPool()


@dataclass(frozen=True)
class RapidResponse:
    """Everything reports, incidents and alerts need, built once at start-up."""

    settings: RapidSettings
    catalogs: Catalogs
    vault: Vault
    keyring: Keyring
    words: CommandWords
    # The roster as it stands now (the snapshot kept in memory).
    roster: Callable[[], RosterSnapshot]
    # A volunteer's number, opened from its seal.
    phone: Callable[[Person], str]

    def language_of(self, person: Person) -> str:
        """The first of `person`'s languages the hotline speaks."""
        return first_spoken(
            person.languages, self.catalogs.languages, fallback=self.settings.default_language
        )

    def say(self, lang: str, message: Msg, **params: str) -> str:
        """`message` in `lang`."""
        return self.catalogs.translator(lang)(message, **params)

    def clock(self, moment: datetime, lang: str) -> str:
        """The local time of day of `moment`, as `lang` writes it."""
        local = moment.astimezone(self.settings.timezone)
        try:
            return str(format_time(local, format="short", locale=CLOCK_LOCALE.get(lang, lang)))
        except (UnknownLocaleError, ValueError):
            return f"{local:%H:%M}"

    def text(self, session: Session, *, text: Outgoing, now: datetime) -> None:
        """One text through the outbox, in the caller's transaction."""
        outbox.texts(
            vault=self.vault,
            keyring=self.keyring,
            sender=text.sender,
            recipient=text.to,
            parts=[text.body[:1600]],
            purpose=text.purpose,
            language=text.language,
            key=text.key,
            now=now,
            expires_in=self.settings.text_expiry,
        ).apply(session)

    def text_people(
        self,
        session: Session,
        *,
        people: Sequence[Person],
        sender: str,
        render: Callable[[str], str],
        key: str,
        now: datetime,
    ) -> None:
        """Text each of `people` in their language; `render` words it for a language.
        Keyed as the claims module keys texts to volunteers, so that those still queued
        for a volunteer who leaves are canceled."""
        for person in people:
            lang = self.language_of(person)
            outgoing = Outgoing(
                sender, self.phone(person), render(lang), text_key(person.id, key), lang
            )
            self.text(session, text=outgoing, now=now)


def quarter_hour(moment: datetime) -> datetime:
    """`moment` rounded to the nearest quarter hour."""
    seconds = moment.timestamp()
    rounded = round(seconds / QUARTER) * QUARTER
    return moment + timedelta(seconds=rounded - seconds)


def rapid_response(
    settings: Settings, *, catalogs: Catalogs, vault: Vault, keyring: Keyring, roster: RosterCache
) -> RapidResponse:
    """Rapid response as `settings` configure it, reading the roster from `roster`."""
    return RapidResponse(
        settings=RapidSettings(
            timezone=settings.zone,
            default_language=settings.default_language,
            window=timedelta(minutes=settings.incident_window_minutes),
            realert=timedelta(minutes=settings.incident_realert_minutes),
            incident_expiry=timedelta(minutes=settings.incident_expiry_minutes),
            capacity=settings.incident_responders,
            approval=settings.alert_approval,
            corrections=settings.alert_corrections,
            alert_expiry=timedelta(minutes=settings.alert_expiry_minutes),
            text_expiry=timedelta(minutes=settings.sms_expiry_minutes),
            backup_number=settings.backup_number,
            senders=SenderPool(settings.messaging_service_sid, tuple(settings.alert_senders)),
        ),
        catalogs=catalogs,
        vault=vault,
        keyring=keyring,
        words=CommandWords.of(catalogs.languages),
        roster=lambda: roster.snapshot,
        phone=lambda person: vault.open(
            person.phone_sealed, place=volunteer_phone_place(person.phone_key)
        ),
    )
