"""Texts to volunteers and the backup number, each in their own language, through the
outbox. Built once at start-up and handed to whatever alerts people about claims."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from hotline.claims.service import text_key
from hotline.i18n.catalogs import Catalogs
from hotline.i18n.languages import first_spoken, language_name
from hotline.i18n.translator import Msg
from hotline.outbox import service as outbox
from hotline.privacy.pseudonym import Keyring
from hotline.privacy.vault import Vault
from hotline.routing.oncall import Person
from hotline.routing.service import volunteer_phone_place

COORDINATOR_ROLE = "coordinator_backup"


@dataclass(frozen=True, slots=True)
class Recipient:
    """Someone to text: a volunteer, or the backup number (`volunteer_id` None)."""

    volunteer_id: int | None
    number: str
    lang: str


@dataclass(frozen=True, slots=True)
class Alert:
    """One text to one recipient: a sentence, its placeholders, the hotline number it
    goes from, and its outbox key (the recipient is added to it)."""

    message: Msg
    sender: str
    key: str
    params: Mapping[str, str]
    # A language code to name in the recipient's own language, as %(language)s.
    about: str | None = None
    purpose: str = "claim"


@dataclass(frozen=True)
class Alerts:
    """How the hotline texts the people who help."""

    vault: Vault
    keyring: Keyring
    catalogs: Catalogs
    default_language: str
    backup_number: str | None
    expires_in: timedelta

    def recipient(self, person: Person) -> Recipient:
        """`person`, with their number opened and their first language the hotline speaks."""
        number = self.vault.open(person.phone_sealed, place=volunteer_phone_place(person.phone_key))
        return Recipient(person.id, number, self.first_language(person.languages))

    def first_language(self, languages: Sequence[str]) -> str:
        return first_spoken(languages, self.catalogs.languages, fallback=self.default_language)

    def backup(self, lang: str) -> Recipient | None:
        """The backup number, spoken to in `lang` (or the default when not enabled)."""
        if not self.backup_number:
            return None
        lang = lang if lang in self.catalogs.languages else self.default_language
        return Recipient(None, self.backup_number, lang)

    def speakers(self, people: Sequence[Person], *, language: str) -> list[Recipient]:
        """Who hears of something in `language`: its speakers among `people`, else all."""
        chosen = [p for p in people if p.fluency(language) is not None] or list(people)
        return [self.recipient(person) for person in chosen]

    def coordinators(self, people: Collection[Person], *, lang: str) -> list[Recipient]:
        """The active coordinators' backups, and the backup number."""
        found = [self.recipient(p) for p in people if p.role == COORDINATOR_ROLE and p.active]
        backup = self.backup(lang)
        return [*found, backup] if backup is not None else found

    def send(
        self, session: Session, *, to: Recipient, alert: Alert, now: datetime, kind: str = "sms"
    ) -> None:
        """Queue `alert` for `to`, translated into their language."""
        params = dict(alert.params)
        if alert.about is not None:
            params["language"] = language_name(
                alert.about, self.catalogs.registry, in_language=to.lang
            )
        body = self.catalogs.translator(to.lang)(alert.message, **params)
        self.raw(
            session,
            to=to,
            body=body,
            sender=alert.sender,
            key=alert.key,
            now=now,
            purpose=alert.purpose,
            kind=kind,
        )

    def send_all(
        self, session: Session, *, to: Sequence[Recipient], alert: Alert, now: datetime
    ) -> None:
        for recipient in to:
            self.send(session, to=recipient, alert=alert, now=now)

    def raw(
        self,
        session: Session,
        *,
        to: Recipient,
        body: str,
        sender: str,
        key: str,
        now: datetime,
        purpose: str = "claim",
        kind: str = "sms",
    ) -> None:
        """Queue `body` as it is (a relayed text, a call's URL) for `to`."""
        outbox.texts(
            vault=self.vault,
            keyring=self.keyring,
            sender=sender,
            recipient=to.number,
            parts=[body[:1600]],
            purpose=purpose,
            language=to.lang,
            key=text_key(to.volunteer_id, key),
            now=now,
            expires_in=self.expires_in,
            kind=kind,
        ).apply(session)
