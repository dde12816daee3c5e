"""Callbacks: opened by a caller, claimed by a volunteer who was alerted (ACCEPT), bridged
by the hotline calling the volunteer and then the caller from its own number.

Unclaimed, a callback is announced again every few minutes, then handed to the backup
number; past its expiry it closes. The caller's number is sealed while the callback is
open and deleted the moment it ends, however it ends. Code, alerts and holder are the
callback's claim (`hotline.claims`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from hotline.callbacks.messages import ALERT, REALERT, TAKEN
from hotline.claims import service as claims
from hotline.claims.alerts import Alert, Alerts, Recipient
from hotline.db import aware
from hotline.models import Callback, Claim, ClaimHolder, ClaimKind, ClaimStatus
from hotline.privacy.vault import Vault
from hotline.routing.oncall import Person

# The webhooks of the calls that bring a volunteer and the caller together again.
CALLBACK_PATH = "/twilio/voice/callback"
CALLBACK_CONNECT_PATH = "/twilio/voice/callback/connect"
CALLBACK_DONE_PATH = "/twilio/voice/callback/done"
CALL_EXPIRES_IN = timedelta(minutes=10)


def caller_place(call_ref: str) -> str:
    """What a callback's sealed caller number is bound to."""
    return f"callback|caller|{call_ref}"


@dataclass(frozen=True, slots=True)
class Held:
    """A claimed callback, its claim, and who holds it."""

    callback: Callback
    claim: Claim
    holder: ClaimHolder


@dataclass(frozen=True)
class OpenCallback:
    """Write: a caller asked to be called back; tell the volunteers."""

    desk: Callbacks
    call_ref: str
    caller: str
    sender: str
    language: str
    recipients: tuple[Recipient, ...]
    at: datetime

    def apply(self, session: Session) -> None:
        desk, now = self.desk, self.at
        claim = claims.open_claim(
            session=session,
            kind=ClaimKind.CALLBACK,
            alerted=[r.volunteer_id for r in self.recipients if r.volunteer_id is not None],
            now=now,
            next_alert_at=now + desk.realert_in,
        )
        assert claim.id is not None
        vault = desk.alerts.vault
        callback = Callback(
            claim_id=claim.id,
            call_ref=self.call_ref,
            caller_sealed=vault.seal(self.caller, place=caller_place(self.call_ref)),
            sender=self.sender,
            language=self.language,
            expires_at=now + desk.expires_in,
            created_at=now,
            updated_at=now,
        )
        session.add(callback)
        session.flush()
        desk.announce(session, callback=callback, claim=claim, to=self.recipients, now=now)


@dataclass(frozen=True)
class Callbacks:
    """Callbacks as this deployment runs them; built once at start-up."""

    alerts: Alerts
    # The URL Twilio fetches when the hotline calls a volunteer back for callback `id`.
    call_url: Callable[[int], str]
    alerts_before_backup: int
    realert_in: timedelta
    expires_in: timedelta

    def open(
        self,
        *,
        call_ref: str,
        caller: str,
        sender: str,
        language: str,
        on_call: Sequence[Person],
        now: datetime,
    ) -> OpenCallback:
        """The write that opens a callback and alerts who should hear of it."""
        recipients = self.alerts.speakers(on_call, language=language)
        backup = self.alerts.backup(language)
        if not recipients and backup is not None:
            recipients = [backup]
        return OpenCallback(self, call_ref, caller, sender, language, tuple(recipients), now)

    def announce(
        self,
        session: Session,
        *,
        callback: Callback,
        claim: Claim,
        to: Sequence[Recipient],
        now: datetime,
    ) -> None:
        """Text `to` about `callback`: the first alert, or a reminder."""
        alert = Alert(
            ALERT if claim.rounds <= 1 else REALERT,
            callback.sender,
            f"callback:{callback.id}:{claim.rounds}",
            {"code": claim.code},
            about=callback.language,
            purpose="callback",
        )
        self.alerts.send_all(session, to=to, alert=alert, now=now)

    def won(
        self,
        session: Session,
        *,
        claim: Claim,
        taker: Recipient,
        people: Mapping[int, Person],
        now: datetime,
    ) -> None:
        """`taker` won `claim`: the hotline calls them, and the others hear it is taken."""
        assert claim.id is not None
        callback = of_claim(session, claim.id)
        if callback is None:
            return
        self.call(session, callback=callback, to=taker, now=now)
        others = [
            self.alerts.recipient(people[v])
            for v in claims.alerted(session=session, claim_id=claim.id)
            if v != taker.volunteer_id and v in people
        ]
        taken = Alert(TAKEN, callback.sender, f"callback:{callback.id}:taken", {"code": claim.code})
        self.alerts.send_all(session, to=others, alert=taken, now=now)

    def call(self, session: Session, *, callback: Callback, to: Recipient, now: datetime) -> None:
        """The hotline rings the volunteer (or the backup) first; the caller comes next."""
        assert callback.id is not None
        self.alerts.raw(
            session,
            to=to,
            body=self.call_url(callback.id),
            sender=callback.sender,
            key=f"callback:{callback.id}:call:{now.timestamp():.0f}",
            now=now,
            purpose="callback",
            kind="call",
        )

    def tick(self, session: Session, *, now: datetime, on_call: Sequence[Person]) -> int:
        """Expire, announce again, or hand to the backup number what is due. Returns how many."""
        handled = expire(session, now=now)
        for claim in claims.due(session=session, kind=ClaimKind.CALLBACK, now=now):
            assert claim.id is not None
            callback = of_claim(session, claim.id)
            if callback is None:
                continue
            handled += 1
            backup = self.alerts.backup(callback.language)
            if claim.rounds < self.alerts_before_backup or backup is None:
                to = self.alerts.speakers(on_call, language=callback.language)
                ids = [r.volunteer_id for r in to if r.volunteer_id is not None]
                claims.alert(
                    session=session,
                    claim=claim,
                    volunteer_ids=ids,
                    now=now,
                    next_alert_at=now + self.realert_in,
                )
                self.announce(session, callback=callback, claim=claim, to=to, now=now)
                continue
            # Nobody claimed it in time: the backup number is called, as a volunteer would be.
            claims.hold_for_backup(session=session, claim=claim, now=now)
            self.call(session, callback=callback, to=backup, now=now)
        return handled


def of_claim(session: Session, claim_id: int) -> Callback | None:
    """The callback a claim is about."""
    return session.exec(select(Callback).where(Callback.claim_id == claim_id)).first()


def held(session: Session, callback_id: int) -> Held | None:
    """The callback `callback_id` if it is claimed, with its claim and first holder."""
    callback = session.get(Callback, callback_id)
    if callback is None:
        return None
    claim = session.get(Claim, callback.claim_id)
    if claim is None or claim.status != ClaimStatus.HELD:
        return None
    holders = claims.holders(session=session, claim_id=callback.claim_id)
    return Held(callback, claim, holders[0]) if holders else None


def caller_number(callback: Callback, vault: Vault) -> str | None:
    """The caller's number, while the callback holds it."""
    if callback.caller_sealed is None:
        return None
    return vault.open(callback.caller_sealed, place=caller_place(callback.call_ref))


def finish(session: Session, *, held: Held, status: ClaimStatus, now: datetime) -> None:
    """The callback ends: its sealed caller number goes with it."""
    forget(session, callback=held.callback, now=now)
    claims.close(session=session, claim=held.claim, status=status, now=now)


def forget(session: Session, *, callback: Callback, now: datetime) -> None:
    callback.caller_sealed, callback.updated_at = None, now
    session.add(callback)
    session.flush()


def release(session: Session, *, held: Held, now: datetime) -> None:
    """The caller did not answer: open again for anyone alerted, announced at once."""
    claims.release_holder(
        session=session,
        claim=held.claim,
        volunteer_id=held.holder.volunteer_id,
        now=now,
        returned=False,
    )


def expire(session: Session, *, now: datetime) -> int:
    """Close the open callbacks past their expiry. Returns how many."""
    rows = session.exec(
        select(Callback, Claim)
        .join(Claim, col(Claim.id) == col(Callback.claim_id))
        .where(col(Claim.status).in_(ClaimStatus.open_statuses()))
    ).all()
    expired = [(callback, claim) for callback, claim in rows if aware(callback.expires_at) <= now]
    for callback, claim in expired:
        forget(session, callback=callback, now=now)
        claims.close(session=session, claim=claim, status=ClaimStatus.EXPIRED, now=now)
    return len(expired)
