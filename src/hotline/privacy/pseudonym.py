"""Keyed pseudonyms for phone numbers and call ids, with keys that rotate by epoch.

The key of epoch n+1 is HMAC(key of epoch n, "next"): every process that holds the
key file derives the same later keys, and nobody can go back once an old key is
overwritten. The file keeps the previous and the current epoch's keys only, so a
pseudonym older than that can no longer be linked to a number, not even by us.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

_NEXT = b"hotline pseudonym epoch: next"
_DIGEST_CHARS = 32


def epoch_of(at: datetime, *, epoch_days: int) -> int:
    """The epoch number that `at` falls in."""
    return int(at.timestamp()) // (epoch_days * 86400)


def _advance(key: bytes) -> bytes:
    return hmac.new(key, _NEXT, hashlib.sha256).digest()


@dataclass
class Keyring:
    """Pseudonym keys from `base_epoch` on; earlier ones cannot be derived."""

    base_epoch: int
    base_key: bytes
    epoch_days: int
    _cache: dict[int, bytes] = field(default_factory=dict, repr=False)

    def key(self, epoch: int) -> bytes:
        """The key of `epoch`, derived forward from the base key."""
        if epoch < self.base_epoch:
            raise LookupError("that epoch's key has been destroyed")
        cached = self._cache.get(epoch)
        if cached is not None:
            return cached
        key = self.base_key
        for _ in range(epoch - self.base_epoch):
            key = _advance(key)
        if len(self._cache) > 4:
            self._cache.clear()
        self._cache[epoch] = key
        return key

    def current_epoch(self, at: datetime | None = None) -> int:
        return epoch_of(at or datetime.now(UTC), epoch_days=self.epoch_days)

    def live_epochs(self, at: datetime | None = None) -> list[int]:
        """The current epoch and the one before, newest first, as far as keys exist."""
        now = self.current_epoch(at)
        return [e for e in (now, now - 1) if e >= self.base_epoch]

    def pseudonym(self, value: str, *, epoch: int, purpose: str = "phone") -> str:
        """The keyed pseudonym of `value` in `epoch`."""
        message = f"{purpose}:{value.strip()}".encode()
        digest = hmac.new(self.key(epoch), message, hashlib.sha256).hexdigest()
        return digest[:_DIGEST_CHARS]


def load_keyring(path: Path, *, epoch_days: int, at: datetime | None = None) -> Keyring:
    """Read the key file, ratchet it forward to the previous epoch, create it if absent."""
    now = epoch_of(at or datetime.now(UTC), epoch_days=epoch_days)
    if path.exists():
        stored = json.loads(path.read_text())
        base_epoch = int(stored["epoch"])
        base_key = base64.b64decode(stored["key"])
    else:
        base_epoch, base_key = now, secrets.token_bytes(32)
    keep_from = now - 1
    while base_epoch < keep_from:
        base_key, base_epoch = _advance(base_key), base_epoch + 1
    _write_private(path, {"epoch": base_epoch, "key": base64.b64encode(base_key).decode()})
    return Keyring(base_epoch=base_epoch, base_key=base_key, epoch_days=epoch_days)


def _write_private(path: Path, content: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(content, handle)
    os.replace(temporary, path)
