"""Console passwords: argon2id hashes (RFC 9106), checked in constant-ish time.

A name that matches no user is still checked against a hash, so the answer's timing
does not tell which names exist.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from hotline.auth.service import InvalidField

MIN_LENGTH = 12
MAX_LENGTH = 1024


class Hasher:
    """argon2id with the library's RFC 9106 low-memory profile; tests may use cheaper costs."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()

    def hash(self, password: str) -> str:
        """The encoded hash of `password`, with its parameters and salt."""
        return self._hasher.hash(password)

    def verify(self, encoded: str | None, password: str) -> bool:
        """True when `password` matches `encoded`; a missing hash costs as much as a wrong one."""
        try:
            return self._hasher.verify(encoded or _decoy(self._hasher), password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, encoded: str) -> bool:
        return self._hasher.check_needs_rehash(encoded)


@lru_cache(maxsize=4)
def _decoy(hasher: PasswordHasher) -> str:
    return hasher.hash("no user has this password, it only costs time")


HASHER = Hasher()


def check_new(password: str) -> str:
    """`password` if it may be used; InvalidField (never echoing it) otherwise."""
    if len(password) < MIN_LENGTH:
        raise InvalidField(
            f"a console password has at least {MIN_LENGTH} characters", loc=("password",)
        )
    if len(password) > MAX_LENGTH:
        raise InvalidField(
            f"a console password has at most {MAX_LENGTH} characters", loc=("password",)
        )
    return password
