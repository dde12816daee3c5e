"""What the outbox will not send, whatever feature queued it, checked just before sending.

A number that opted out since is not texted; a number outside the served countries,
or a caller's number already sent its day's worth of segments, is refused. Volunteers'
and the backup numbers are exempt from that daily cap.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from hotline.models import OptOut, OutboxMessage, Volunteer
from hotline.privacy.pseudonym import Keyring
from hotline.privacy.vault import Vault
from hotline.telephony.numbers import region

DAY = timedelta(hours=24)


class Refusals:
    """Says why a message must not go out now, if it must not."""

    def __init__(
        self,
        *,
        vault: Vault,
        keyring: Keyring,
        countries: frozenset[str],
        segments_per_day: int,
        exempt: frozenset[str],
        clock: Callable[[], datetime],
    ) -> None:
        self._vault = vault
        self._keyring = keyring
        self._countries = countries
        self._segments_per_day = segments_per_day
        self._exempt = exempt
        self._clock = clock

    def refusal(self, session: Session, *, recipient: str, kind: str, segments: int) -> str | None:
        """ "opted_out", "country" or "recipient_cap" when the message must not be sent."""
        keys = self._keyring.pseudonyms(recipient, at=self._clock())
        if kind == "sms":
            opted = session.exec(
                select(OptOut.contact_key).where(col(OptOut.contact_key).in_(keys))
            )
            if opted.first() is not None:
                return "opted_out"
        if region(recipient) not in self._countries:
            return "country"
        if self.exempt(session, recipient):
            return None
        sent = session.exec(
            select(func.coalesce(func.sum(OutboxMessage.segments), 0))
            .where(col(OutboxMessage.recipient_key).in_(keys))
            .where(col(OutboxMessage.sent_at) >= self._clock() - DAY)
        ).one()
        if int(sent) + segments > self._segments_per_day:
            return "recipient_cap"
        return None

    def exempt(self, session: Session, number: str) -> bool:
        """A backup number or a volunteer's own: never capped."""
        if number in self._exempt:
            return True
        key = self._vault.volunteer_key(number)
        found = session.exec(select(Volunteer.id).where(Volunteer.phone_key == key)).first()
        return found is not None
