"""Recorded prompts for languages Twilio cannot speak, named by message id."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from hotline.i18n.translator import Msg

AUDIO_SUFFIXES = (".wav", ".mp3")


def message_id(message: Msg) -> str:
    """A short, stable name for a message: the recording's file name without suffix."""
    digest = hashlib.sha256(f"{message.context}\x04{message.text}".encode())
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class Recordings:
    """Which prompts are recorded, and where Twilio fetches them."""

    base_url: str = ""
    files: dict[tuple[str, str], str] = field(default_factory=dict)
    directory: Path | None = None

    def url(self, code: str, message: Msg) -> str | None:
        """The recording of `message` in `code`, or None when there is none."""
        name = self.files.get((code, message_id(message)))
        return f"{self.base_url}/{code}/{name}" if name else None

    def has(self, code: str, message: Msg) -> bool:
        return (code, message_id(message)) in self.files

    def file(self, code: str, name: str) -> Path | None:
        """The file a request for /audio/<code>/<name> may be given: only one the scan
        found, so no other path under (or outside) the folder is ever served."""
        stem = name.rpartition(".")[0]
        if self.directory is None or self.files.get((code, stem)) != name:
            return None
        return self.directory / code / name


def scan(directory: Path | None, *, base_url: str) -> Recordings:
    """The recordings under `directory` (<code>/<message id>.wav or .mp3)."""
    if directory is None or not directory.is_dir():
        return Recordings(base_url=base_url)
    files = {
        (path.parent.name, path.stem): path.name
        for path in sorted(directory.glob("*/*"))
        if path.suffix in AUDIO_SUFFIXES
    }
    return Recordings(base_url=base_url.rstrip("/"), files=files, directory=directory)
