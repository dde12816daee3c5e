"""Sealed values: AES-GCM with a key derived from the service's secret key.

A value is sealed to one place (table, column, row key) through the associated data,
so a ciphertext copied to another row does not open. The first byte names the key
version, so the secret can be rotated without losing what is still sealed.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = 1
NONCE_BYTES = 12


class SealError(Exception):
    """A sealed value that does not open: wrong key, wrong place, or tampered."""


def _derive(secret: bytes, *, info: bytes = b"hotline vault v1") -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


# The purpose of the fingerprints that find volunteers by number.
VOLUNTEER_PURPOSE = "volunteer"


class Vault:
    """Seals and opens short values such as a phone number or a message."""

    def __init__(self, secret: bytes) -> None:
        self._aead = AESGCM(_derive(secret))
        self._fingerprints = _derive(secret, info=b"hotline fingerprint v1")

    def fingerprint(self, value: str, *, purpose: str) -> str:
        """A keyed hash of `value` that never rotates: to find a volunteer by number.

        Callers' numbers get epoch pseudonyms instead, which do rotate.
        """
        message = f"{purpose}:{value.strip()}".encode()
        return hmac.new(self._fingerprints, message, hashlib.sha256).hexdigest()[:32]

    def volunteer_key(self, number: str) -> str:
        """The fingerprint that finds a volunteer by their E.164 `number` (the roster keeps
        it; texts and the outbox look volunteers up by it)."""
        return self.fingerprint(number, purpose=VOLUNTEER_PURPOSE)

    def seal(self, value: str, *, place: str) -> bytes:
        """`value` encrypted for `place`."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, value.encode(), place.encode())
        return bytes([VERSION]) + nonce + sealed

    def open(self, sealed: bytes, *, place: str) -> str:
        """The value sealed for `place`; SealError if it was sealed for another."""
        if not sealed or sealed[0] != VERSION:
            raise SealError("unknown vault version")
        nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, place.encode()).decode()
        except InvalidTag:
            raise SealError("the sealed value does not open here") from None
