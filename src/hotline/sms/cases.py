"""Urgent help by text: a case opened by a texter, taken by a volunteer who was alerted
(ACCEPT, through `hotline.claims`), relayed both ways from the hotline's number, so
neither sees the other's.

The texter's number is sealed while the case is open and deleted when it closes: by
DONE, by the texter's DELETE, or after a quiet spell. When the volunteer leaves (is
deactivated or deleted) the case goes back to the others and the texter is told.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from hotline.claims import service as claims
from hotline.claims.alerts import Alert, Alerts, Recipient
from hotline.db import aware
from hotline.models import Claim, ClaimKind, ClaimStatus, SmsCase, Volunteer
from hotline.news import announce
from hotline.outbox import service as outbox
from hotline.privacy.vault import Vault
from hotline.routing.oncall import Person
from hotline.routing.service import volunteer_phone_place
from hotline.sms import messages
from hotline.sms.inbound import Incoming

OPEN = ClaimStatus.open_statuses()
FIRST_TEXT_SHOWN = 200


def texter_place(case_id: int) -> str:
    return f"sms_case|texter|{case_id}"


@dataclass(frozen=True, slots=True)
class OpenCase:
    """A case and its claim."""

    case: SmsCase
    claim: Claim

    @property
    def code(self) -> str:
        return self.claim.code


@dataclass(frozen=True)
class Cases:
    """Text cases as this deployment runs them; built once at start-up."""

    alerts: Alerts
    idle: timedelta

    def open(
        self,
        session: Session,
        *,
        text: Incoming,
        texter_key: str,
        lang: str,
        on_call: Sequence[Person],
        now: datetime,
    ) -> OpenCase:
        """A case for whoever sent `text`, and a text to each on-call volunteer who reads
        `lang` (the backup number when nobody is on call)."""
        to = self.alerts.speakers(on_call, language=lang)
        backup = self.alerts.backup(lang)
        if not to and backup is not None:
            to = [backup]
        claim = claims.open_claim(
            session=session,
            kind=ClaimKind.SMS_CASE,
            alerted=[r.volunteer_id for r in to if r.volunteer_id is not None],
            now=now,
        )
        assert claim.id is not None
        case = SmsCase(
            claim_id=claim.id,
            texter_key=texter_key,
            sender=text.to,
            language=lang,
            last_activity_at=now,
            created_at=now,
        )
        session.add(case)
        session.flush()
        assert case.id is not None
        case.texter_sealed = self.alerts.vault.seal(text.sender, place=texter_place(case.id))
        session.add(case)
        session.flush()
        announce(session, "case_opened", [texter_key])
        shown = {"first": text.body.strip()[:FIRST_TEXT_SHOWN], "code": claim.code}
        key = f"case:{case.id}:alert:1"
        alert = Alert(messages.CASE_ALERT, text.to, key, shown, about=lang)
        self.alerts.send_all(session, to=to, alert=alert, now=now)
        return OpenCase(case, claim)

    def accepted(
        self,
        session: Session,
        *,
        claim: Claim,
        taker: int,
        people: Mapping[int, Person],
        now: datetime,
    ) -> None:
        """`taker` took the case: the others alerted hear it is taken."""
        assert claim.id is not None
        found = of_claim(session, claim.id)
        if found is None:
            return
        others = [
            self.alerts.recipient(people[v])
            for v in claims.alerted(session=session, claim_id=claim.id)
            if v != taker and v in people
        ]
        taken = Alert(
            messages.CASE_TAKEN,
            found.case.sender,
            f"case:{found.case.id}:taken",
            {"code": claim.code},
        )
        self.alerts.send_all(session, to=others, alert=taken, now=now)
        touch(session, found.case, now)

    def to_volunteer(
        self, session: Session, *, found: OpenCase, text: str, sid: str, now: datetime
    ) -> bool:
        """The texter's words, to the volunteer holding the case, after its code."""
        holder = self.holder(session, found)
        if holder is None or not text.strip():
            return False
        touch(session, found.case, now)
        body = f"[{found.code}] {text.strip()}"
        self.alerts.raw(
            session,
            to=holder,
            body=body,
            sender=found.case.sender,
            key=f"relay:{sid}",
            now=now,
            purpose="relay",
        )
        return True

    def to_texter(
        self, session: Session, *, found: OpenCase, body: str, key: str, now: datetime
    ) -> bool:
        """Words for the texter (a volunteer's, or the hotline's), from the hotline's number."""
        number = texter_number(found.case, self.alerts.vault)
        if number is None or not body:
            return False
        touch(session, found.case, now)
        outbox.texts(
            vault=self.alerts.vault,
            keyring=self.alerts.keyring,
            sender=found.case.sender,
            recipient=number,
            parts=[body[:1600]],
            purpose="relay",
            language=None,
            key=key,
            now=now,
            expires_in=self.alerts.expires_in,
        ).apply(session)
        return True

    def holder(self, session: Session, found: OpenCase) -> Recipient | None:
        """The active volunteer holding the case, if one does."""
        if found.claim.status != ClaimStatus.HELD or found.claim.id is None:
            return None
        for held in claims.holders(session=session, claim_id=found.claim.id):
            volunteer = session.get(Volunteer, held.volunteer_id) if held.volunteer_id else None
            if volunteer is not None and volunteer.active and volunteer.id is not None:
                place = volunteer_phone_place(volunteer.phone_key)
                number = self.alerts.vault.open(volunteer.phone_sealed, place=place)
                lang = self.alerts.first_language(volunteer.languages.split(","))
                return Recipient(volunteer.id, number, lang)
        return None

    def end(self, session: Session, *, found: OpenCase, now: datetime, tell_texter: bool) -> None:
        """Close a case; tell the texter, in their language, unless they asked to be forgotten."""
        if tell_texter:
            body = self.alerts.catalogs.translator(found.case.language)(messages.CASE_ENDED)
            self.to_texter(
                session, found=found, body=body, key=f"case:{found.case.id}:ended", now=now
            )
        found.case.texter_sealed, found.case.last_activity_at = None, now
        session.add(found.case)
        claims.close(session=session, claim=found.claim, status=ClaimStatus.DONE, now=now)
        announce(session, "case_closed", [found.case.texter_key])

    def realert(self, session: Session, *, now: datetime, on_call: Sequence[Person]) -> int:
        """Cases whose volunteer left go to the others; their texters are told."""
        handled = 0
        for claim in claims.due(session=session, kind=ClaimKind.SMS_CASE, now=now):
            assert claim.id is not None
            found = of_claim(session, claim.id)
            if found is None:
                continue
            handled += 1
            case = found.case
            to = self.alerts.speakers(on_call, language=case.language)
            ids = [r.volunteer_id for r in to if r.volunteer_id is not None]
            claims.alert(
                session=session, claim=claim, volunteer_ids=ids, now=now, next_alert_at=None
            )
            shown = {"first": "", "code": claim.code}
            key = f"case:{case.id}:alert:{claim.rounds}"
            alert = Alert(messages.CASE_REALERT, case.sender, key, shown, about=case.language)
            self.alerts.send_all(session, to=to, alert=alert, now=now)
            if claim.returned:
                body = self.alerts.catalogs.translator(case.language)(messages.CASE_RETURNED)
                self.to_texter(session, found=found, body=body, key=f"{key}:texter", now=now)
                claims.told(session=session, claim=claim)
        return handled

    def quiet(self, session: Session, *, now: datetime) -> list[OpenCase]:
        """Open cases nobody has written in for a while."""
        return [
            found
            for found in _open(session)
            if aware(found.case.last_activity_at) <= now - self.idle
        ]


def _open(session: Session) -> list[OpenCase]:
    rows = session.exec(
        select(SmsCase, Claim)
        .join(Claim, col(Claim.id) == col(SmsCase.claim_id))
        .where(col(Claim.status).in_(OPEN))
        .order_by(col(SmsCase.id))
    ).all()
    return [OpenCase(case, claim) for case, claim in rows]


def of_texter(session: Session, *, keys: Sequence[str]) -> OpenCase | None:
    """The texter's open case, if any."""
    row = session.exec(
        select(SmsCase, Claim)
        .join(Claim, col(Claim.id) == col(SmsCase.claim_id))
        .where(col(SmsCase.texter_key).in_(keys))
        .where(col(Claim.status).in_(OPEN))
    ).first()
    return OpenCase(*row) if row else None


def of_claim(session: Session, claim_id: int) -> OpenCase | None:
    row = session.exec(
        select(SmsCase, Claim)
        .join(Claim, col(Claim.id) == col(SmsCase.claim_id))
        .where(col(Claim.id) == claim_id)
    ).first()
    return OpenCase(*row) if row else None


def held_by(session: Session, *, volunteer_id: int) -> list[OpenCase]:
    """The cases a volunteer holds, oldest first."""
    found = []
    for claim in claims.held_by(
        session=session, volunteer_id=volunteer_id, kind=ClaimKind.SMS_CASE
    ):
        assert claim.id is not None
        case = of_claim(session, claim.id)
        if case is not None:
            found.append(case)
    return found


def open_texter_keys(session: Session) -> set[str]:
    """The pseudonyms of everyone with an open case."""
    return {found.case.texter_key for found in _open(session)}


def texter_number(case: SmsCase, vault: Vault) -> str | None:
    if case.texter_sealed is None or case.id is None:
        return None
    return vault.open(case.texter_sealed, place=texter_place(case.id))


def touch(session: Session, case: SmsCase, now: datetime) -> None:
    case.last_activity_at = now
    session.add(case)
    session.flush()
