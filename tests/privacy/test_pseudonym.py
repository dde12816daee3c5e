"""Pseudonyms: keyed, stable within an epoch, unlinkable once a key is gone."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hotline.privacy.pseudonym import Keyring, epoch_of, load_keyring

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def test_same_number_same_epoch_same_pseudonym_and_no_digits_leak() -> None:
    ring = Keyring(base_epoch=0, base_key=b"k" * 32, epoch_days=30)
    first = ring.pseudonym("+13125550188", epoch=700)
    assert first == ring.pseudonym(" +13125550188 ", epoch=700)
    assert first != ring.pseudonym("+13125550189", epoch=700)
    assert first != ring.pseudonym("+13125550188", epoch=701)
    assert "5550188" not in first


def test_a_different_key_gives_unrelated_pseudonyms() -> None:
    one = Keyring(base_epoch=0, base_key=b"a" * 32, epoch_days=30)
    two = Keyring(base_epoch=0, base_key=b"b" * 32, epoch_days=30)
    assert one.pseudonym("+13125550188", epoch=3) != two.pseudonym("+13125550188", epoch=3)


def test_purposes_do_not_collide() -> None:
    ring = Keyring(base_epoch=0, base_key=b"k" * 32, epoch_days=30)
    assert ring.pseudonym("x", epoch=1) != ring.pseudonym("x", epoch=1, purpose="call")


def test_the_key_file_is_private_and_ratchets_forward(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "pseudonym.json"
    ring = load_keyring(path, epoch_days=30, at=NOW, create=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    now = epoch_of(NOW, epoch_days=30)
    today = ring.pseudonym("+13125550188", epoch=now)

    again = load_keyring(path, epoch_days=30, at=NOW)
    assert again.pseudonym("+13125550188", epoch=now) == today

    later = load_keyring(path, epoch_days=30, at=NOW + timedelta(days=95))
    assert json.loads(path.read_text())["epoch"] == now + 2
    with pytest.raises(LookupError):
        later.key(now)
    # Keys still derive forward: every process agrees on the current epoch's key.
    assert later.key(now + 3) == ring.key(now + 3)


def test_live_epochs_are_the_current_and_previous() -> None:
    ring = Keyring(base_epoch=5, base_key=b"k" * 32, epoch_days=1)
    at = datetime.fromtimestamp(7 * 86400 + 10, UTC)
    assert ring.live_epochs(at) == [7, 6]
    assert Keyring(base_epoch=7, base_key=b"k" * 32, epoch_days=1).live_epochs(at) == [7]
