"""Claims by code, as an insider trying to take what is not theirs would use them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from hotline import db
from hotline.claims import lockout
from hotline.claims import service as claims
from hotline.claims.service import Result
from hotline.models import (
    AuditEntry,
    Claim,
    ClaimFailure,
    ClaimHolder,
    ClaimKind,
    ClaimStatus,
    OutboxMessage,
    Volunteer,
)
from hotline.outbox import service as outbox
from hotline.privacy.pseudonym import Keyring
from hotline.privacy.vault import Vault
from tests.roster.factories import add_volunteer

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with db.transaction(engine) as session:
        yield session


def people(session: Session, count: int) -> list[int]:
    vault = Vault(b"k" * 32)
    found = []
    for n in range(count):
        volunteer = add_volunteer(session, vault, name=f"V{n}", number=f"+1312555{201 + n:04d}")
        assert volunteer.id is not None
        found.append(volunteer.id)
    return found


def test_codes_are_six_digits_and_unique_among_open_claims_of_every_kind(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = claims.open_claim(session=session, kind=ClaimKind.CALLBACK, alerted=[], now=NOW)
    assert len(first.code) == 6
    assert first.code.isdigit()
    # The generator draws the same number first: the second claim gets another.
    draws = iter([int(first.code), int(first.code), 123457])
    monkeypatch.setattr(claims.secrets, "randbelow", lambda _n: next(draws))
    second = claims.open_claim(session=session, kind=ClaimKind.SMS_CASE, alerted=[], now=NOW)
    assert second.code == "123457"
    # A closed claim's code may come back.
    claims.close(session=session, claim=first, status=ClaimStatus.DONE, now=NOW)
    draws = iter([int(first.code)])
    third = claims.open_claim(session=session, kind=ClaimKind.INCIDENT, alerted=[], now=NOW)
    assert third.code == first.code


def test_only_the_alerted_may_take_it_and_refusals_all_look_alike(session: Session) -> None:
    alerted, stranger = people(session, 2)
    claim = claims.open_claim(session=session, kind=ClaimKind.CALLBACK, alerted=[alerted], now=NOW)
    not_alerted = claims.claim(session=session, code=claim.code, volunteer_id=stranger, now=NOW)
    unknown = claims.claim(session=session, code="000000", volunteer_id=stranger, now=NOW)
    assert not_alerted.result == unknown.result == Result.REFUSED
    assert not_alerted.claim is None  # nothing about the claim leaks back to the caller
    won = claims.claim(session=session, code=claim.code, volunteer_id=alerted, now=NOW)
    assert won.result == Result.WON
    again = claims.claim(session=session, code=claim.code, volunteer_id=alerted, now=NOW)
    assert again.result == Result.YOURS
    assert claim.status == ClaimStatus.HELD
    holders = claims.holders(session=session, claim_id=claim.id or 0)
    assert [h.volunteer_id for h in holders] == [alerted]


def test_a_claim_for_two_takes_two_and_refuses_the_third(session: Session) -> None:
    a, b, c = people(session, 3)
    claim = claims.open_claim(
        session=session, kind=ClaimKind.INCIDENT, alerted=[a, b, c], now=NOW, capacity=2
    )
    results = [
        claims.claim(session=session, code=claim.code, volunteer_id=v, now=NOW).result
        for v in (a, b, c)
    ]
    assert results == [Result.WON, Result.WON, Result.REFUSED]
    assert claim.held == 2
    # A taken claim is not a wrong code: nobody is locked out for coming late.
    assert session.exec(select(ClaimFailure)).all() == []


def test_guessing_codes_locks_out_for_an_hour_and_is_audited_without_codes(
    session: Session,
) -> None:
    (guesser,) = people(session, 1)
    claim = claims.open_claim(session=session, kind=ClaimKind.SMS_CASE, alerted=[guesser], now=NOW)
    guesses = [f"{n:06d}" for n in range(100000, 100005)]
    outcomes = [
        claims.claim(
            session=session, code=code, volunteer_id=guesser, now=NOW + timedelta(minutes=i)
        )
        for i, code in enumerate(guesses)
    ]
    assert [o.locked_now for o in outcomes] == [False, False, False, False, True]
    # Locked: even the right code is refused, and refused like a wrong one.
    later = NOW + timedelta(minutes=30)
    right = claims.claim(session=session, code=claim.code, volunteer_id=guesser, now=later)
    assert (right.result, right.claim, right.locked_now) == (Result.REFUSED, None, False)
    entries = session.exec(select(AuditEntry).where(AuditEntry.action == "lockout")).all()
    assert [(e.entity, e.entity_id) for e in entries] == [("volunteer", guesser)]
    assert not any(code in e.fields for e in entries for code in [*guesses, claim.code])
    # An hour after the fifth guess it works again.
    after = NOW + timedelta(minutes=4) + lockout.LOCKED_FOR + timedelta(seconds=1)
    assert claims.claim(
        session=session, code=claim.code, volunteer_id=guesser, now=after
    ).result == (Result.WON)


def test_wrong_codes_older_than_an_hour_do_not_count(session: Session) -> None:
    (volunteer,) = people(session, 1)
    for hour in range(8):
        moment = NOW + timedelta(hours=hour, minutes=hour + 1)
        for _ in range(lockout.MAX_WRONG - 1):
            outcome = claims.claim(
                session=session, code="999999", volunteer_id=volunteer, now=moment
            )
            assert not outcome.locked_now
    assert not lockout.locked_out(
        session=session, volunteer_id=volunteer, now=NOW + timedelta(hours=8)
    )


def test_a_volunteer_who_leaves_lets_go_of_everything_and_their_queued_texts_are_canceled(
    session: Session, keyring: Keyring
) -> None:
    leaver, other = people(session, 2)
    claim = claims.open_claim(
        session=session, kind=ClaimKind.SMS_CASE, alerted=[leaver, other], now=NOW
    )
    claims.claim(session=session, code=claim.code, volunteer_id=leaver, now=NOW)
    vault = Vault(b"k" * 32)
    for volunteer_id, number in ((leaver, "+13125550201"), (other, "+13125550202")):
        outbox.texts(
            vault=vault,
            keyring=keyring,
            sender="+13125550100",
            recipient=number,
            parts=["[123456] words"],
            purpose="relay",
            language=None,
            key=claims.text_key(volunteer_id, "relay:SM1"),
            now=NOW,
            expires_in=timedelta(hours=1),
        ).apply(session)
    released = claims.release_volunteer(session=session, volunteer_id=leaver, now=NOW)
    assert [c.id for c in released] == [claim.id]
    assert (claim.status, claim.held, claim.returned) == (ClaimStatus.WAITING, 0, True)
    assert claims.due(session=session, kind=ClaimKind.SMS_CASE, now=NOW) == [claim]
    assert claims.alerted(session=session, claim_id=claim.id or 0) == [other]
    rows = {m.idempotency_key: m for m in session.exec(select(OutboxMessage)).all()}
    canceled = rows[f"v{leaver}:relay:SM1:1/1"]
    assert (canceled.status, canceled.recipient_sealed, canceled.body_sealed) == (
        "canceled",
        None,
        None,
    )
    assert rows[f"v{other}:relay:SM1:1/1"].status == "pending"


def test_deleting_a_volunteer_keeps_the_claim_and_never_reuses_the_id(
    engine: Engine,
) -> None:
    with db.transaction(engine) as session:
        (gone,) = people(session, 1)
        claim = claims.open_claim(session=session, kind=ClaimKind.CALLBACK, alerted=[gone], now=NOW)
        claims.claim(session=session, code=claim.code, volunteer_id=gone, now=NOW)
        claims.release_volunteer(session=session, volunteer_id=gone, now=NOW)
        volunteer = session.get(Volunteer, gone)
        session.delete(volunteer)
    with db.transaction(engine) as session:
        (new,) = people(session, 1)
        assert new > gone
        assert session.exec(select(ClaimHolder)).all() == []
        assert session.get(Claim, claim.id) is not None
