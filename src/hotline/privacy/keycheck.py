"""Proof, kept in the database, of which keys wrote its data; checked at start-up.

A deployment that lost its pseudonym key file would otherwise make a new one and
silently stop matching opt-outs (a number that texted STOP would be texted again); one
started with the wrong secret key could not open volunteers' numbers, and every urgent
call would end in the apology.
"""

from __future__ import annotations

import hmac
from datetime import datetime

from sqlalchemy import exists
from sqlmodel import Session, select

from hotline.errors import ConfigError
from hotline.models import (
    CallerPreference,
    KeyCheck,
    OptOut,
    OutboxMessage,
    SmsCase,
    SmsInbound,
    Volunteer,
)
from hotline.privacy.pseudonym import Keyring
from hotline.privacy.vault import SealError, Vault

VAULT_PLACE = "key_check|vault"
VAULT_TEXT = "hotline vault check"
# Rows that hold pseudonyms: worthless, and worse, under another key.
PSEUDONYMOUS = (CallerPreference, OptOut, SmsInbound, OutboxMessage, SmsCase)


def holds_pseudonyms(session: Session) -> bool:
    """True when the database holds something written under a pseudonym key."""
    return any(session.exec(select(exists().select_from(t))).one() for t in PSEUDONYMOUS)


def problems(session: Session, *, keyring: Keyring, vault: Vault) -> list[str]:
    """Why these keys are not the ones the database was written with; empty if they are."""
    found = []
    if not _same_pseudonym_key(session.get(KeyCheck, "pseudonym"), keyring):
        found.append(
            f"the pseudonym key file {keyring.path} is not the one this database was "
            "written with: restore the deployment's copy of it"
        )
    sealed = session.get(KeyCheck, "vault")
    if not _opens(session, vault, sealed):
        found.append(
            "HOTLINE_SECRET_KEY does not open what this database holds (volunteers' numbers, "
            "callbacks): start with the secret key the data was written with"
        )
    return found


def _same_pseudonym_key(stored: KeyCheck | None, keyring: Keyring) -> bool:
    # A database from before key checks adopts the key file it is started with; a proof
    # older than the oldest key left cannot be compared (and its data is unlinkable).
    if stored is None or stored.epoch is None or stored.epoch < keyring.base_epoch:
        return True
    return hmac.compare_digest(stored.value.decode(), keyring.check_value(stored.epoch))


def _opens(session: Session, vault: Vault, sealed: KeyCheck | None) -> bool:
    try:
        if sealed is not None:
            return vault.open(sealed.value, place=VAULT_PLACE) == VAULT_TEXT
        # A database from before key checks: one volunteer's number tells.
        volunteer = session.exec(select(Volunteer).limit(1)).first()
        if volunteer is None:
            return True
        vault.open(volunteer.phone_sealed, place=f"volunteer|phone|{volunteer.phone_key}")
    except SealError:
        return False
    return True


def record(session: Session, *, keyring: Keyring, vault: Vault, now: datetime) -> None:
    """Write the proofs for these keys (the current epoch's pseudonym key)."""
    epoch = keyring.current_epoch(now)
    pseudonym = session.get(KeyCheck, "pseudonym") or KeyCheck(
        name="pseudonym", value=b"", updated_at=now
    )
    pseudonym.epoch, pseudonym.value = epoch, keyring.check_value(epoch).encode()
    pseudonym.updated_at = now
    session.add(pseudonym)
    if session.get(KeyCheck, "vault") is None:
        session.add(
            KeyCheck(name="vault", value=vault.seal(VAULT_TEXT, place=VAULT_PLACE), updated_at=now)
        )
    session.flush()


def require(session: Session, *, keyring: Keyring, vault: Vault, now: datetime) -> None:
    """ConfigError unless the keys match the data; then the proofs are brought up to date."""
    found = problems(session, keyring=keyring, vault=vault)
    if found:
        raise ConfigError("\n".join(found))
    record(session, keyring=keyring, vault=vault, now=now)
