"""Keyed pseudonyms for phone numbers and call ids, with keys that rotate by epoch.

The key of epoch n+1 is HMAC(key of epoch n, "next"): every process that holds the
key file derives the same later keys, and nobody can go back once an old key is
overwritten. The file keeps the previous and the current epoch's keys only, so a
pseudonym older than that can no longer be linked to a number, not even by us.
Running processes ratchet forward at each epoch boundary too (`Keyring.ratchet`).

The file is created only when asked for (a new deployment, or `hotline keys new`),
exclusively and under a lock, so two processes starting together end with one key.
A file that is not exactly one 32-byte key of a past or present epoch is refused.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from hotline.errors import ConfigError

log = logging.getLogger(__name__)

_NEXT = b"hotline pseudonym epoch: next"
_CHECK = b"hotline pseudonym key check"
_DIGEST_CHARS = 32
KEY_BYTES = 32


class KeyFileError(ConfigError):
    """The pseudonym key file is missing, malformed, or not the one expected."""

    code = "key_file_error"


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
    # The key file this keyring ratchets forward; None for a keyring held in memory only.
    path: Path | None = None
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

    def pseudonyms(self, value: str, *, at: datetime | None = None) -> list[str]:
        """`value`'s pseudonyms under every live key, the current epoch's first."""
        return [self.pseudonym(value, epoch=epoch) for epoch in self.live_epochs(at)]

    def check_value(self, epoch: int) -> str:
        """A value that shows which key this is for `epoch`, and reveals nothing of it."""
        return hmac.new(self.key(epoch), _CHECK, hashlib.sha256).hexdigest()

    def ratchet(self, at: datetime | None = None) -> bool:
        """Destroy the keys before the previous epoch, here and in the key file.
        True when the keyring moved."""
        keep_from = self.current_epoch(at) - 1
        if self.base_epoch >= keep_from:
            return False
        while self.base_epoch < keep_from:
            self.base_key, self.base_epoch = _advance(self.base_key), self.base_epoch + 1
        self._cache = {e: k for e, k in self._cache.items() if e >= self.base_epoch}
        if self.path is not None:
            with _locked(self.path):
                stored = _read(self.path, now=keep_from + 1) if self.path.exists() else None
                if stored is None or stored[0] < self.base_epoch:
                    _write_private(self.path, self.base_epoch, self.base_key)
        log.info("pseudonym keys ratcheted forward", extra={"epoch": self.base_epoch})
        return True


def load_keyring(
    path: Path, *, epoch_days: int, at: datetime | None = None, create: bool = False
) -> Keyring:
    """Read the key file and ratchet it forward to the previous epoch.

    A missing file is created only with `create`; otherwise KeyFileError names it.
    """
    now = epoch_of(at or datetime.now(UTC), epoch_days=epoch_days)
    with _locked(path):
        if path.exists():
            base_epoch, base_key = _read(path, now=now)
        elif create:
            base_epoch, base_key = now, secrets.token_bytes(KEY_BYTES)
            _write_private(path, base_epoch, base_key, exclusive=True)
            log.warning(
                "created a NEW pseudonym key file; whatever was remembered under an earlier "
                "key (languages, opt-outs) can no longer be matched",
                extra={"file": str(path)},
            )
        else:
            raise KeyFileError(
                f"the pseudonym key file {path} does not exist: restore it from where this "
                "deployment keeps it, or run 'hotline keys new' to start a new one "
                "(remembered languages and opt-outs are then forgotten)"
            )
        keep_from = now - 1
        moved = base_epoch < keep_from
        while base_epoch < keep_from:
            base_key, base_epoch = _advance(base_key), base_epoch + 1
        if moved:
            _write_private(path, base_epoch, base_key)
    return Keyring(base_epoch=base_epoch, base_key=base_key, epoch_days=epoch_days, path=path)


def key_file_matches(keyring: Keyring) -> bool:
    """Whether the key file still holds this keyring's key (a deleted or replaced file
    would make the next start refuse, or forget)."""
    if keyring.path is None:
        return True
    try:
        epoch, key = _read(keyring.path, now=keyring.base_epoch + 1)
    except KeyFileError:
        return False
    while epoch < keyring.base_epoch:
        key, epoch = _advance(key), epoch + 1
    return epoch == keyring.base_epoch and hmac.compare_digest(key, keyring.base_key)


def _read(path: Path, *, now: int) -> tuple[int, bytes]:
    """The (epoch, key) in the file; KeyFileError naming it when it is not exactly that."""
    try:
        stored = json.loads(path.read_text())
        if not isinstance(stored, dict) or set(stored) != {"epoch", "key"}:
            raise ValueError("not an epoch and a key")
        epoch, key = stored["epoch"], base64.b64decode(stored["key"], validate=True)
        if not isinstance(epoch, int) or isinstance(epoch, bool) or len(key) != KEY_BYTES:
            raise ValueError("not an epoch and a 32-byte key")
    except (OSError, ValueError, TypeError, binascii.Error):
        raise KeyFileError(
            f"the pseudonym key file {path} is not a key file this service wrote: "
            "restore the deployment's copy of it"
        ) from None
    if epoch > now:
        raise KeyFileError(
            f"the pseudonym key file {path} holds a key from the future: check the clock "
            "and restore the deployment's copy of it"
        )
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return epoch, key


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold the key folder's lock: one process at a time creates or rewrites the file."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path.parent / f".{path.name}.lock", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _write_private(path: Path, epoch: int, key: bytes, *, exclusive: bool = False) -> None:
    content = json.dumps({"epoch": epoch, "key": base64.b64encode(key).decode()})
    if exclusive:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
