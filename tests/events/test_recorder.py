"""The recorder: what webhooks queue reaches the database, or the spool, and is never
dropped while the two are busy with each other."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from hotline import db
from hotline.events.recorder import Recorder, apply_writes
from hotline.events.spool import Spool
from hotline.models import SmsInbound
from hotline.privacy.vault import Vault
from hotline.sms.service import ReceivedText
from hotline.wiring import spool_codec


def received(sid: str) -> ReceivedText:
    return ReceivedText(sid, "k" * 32, 1, datetime.now(UTC))


def spool_for(engine: Engine, tmp_path: Path) -> Spool:
    return Spool(
        directory=tmp_path / "spool",
        vault=Vault(b"s" * 40),
        engine=engine,
        codec=spool_codec(),
        apply=apply_writes,
    )


def test_a_text_noted_while_the_queue_goes_to_the_spool_is_not_lost(
    engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "not-a-folder").write_text("")
    down = db.make_engine(f"sqlite:///{tmp_path / 'not-a-folder' / 'hotline.db'}")
    spool = spool_for(down, tmp_path)
    recorder = Recorder(down, spool)
    spill = spool.append

    def append_while_a_text_arrives(writes: object) -> str:
        # A webhook answers a text from memory while the queue is being written out.
        recorder.record([received("SMlate")])
        return spill(writes)  # type: ignore[arg-type]

    spool.append = append_while_a_text_arrives  # type: ignore[method-assign]
    recorder.record([received("SMfirst")])
    assert recorder.flush() == 0
    assert recorder.pending == 1, "the text noted meanwhile waits for the next flush"
    spool.append = spill  # type: ignore[method-assign]
    recorder.flush()
    assert recorder.pending == 0
    spool.close()
    # The next process finds the database answering: both texts are noted, once.
    Recorder(engine, spool_for(engine, tmp_path)).flush()
    with Session(engine) as session:
        sids = sorted(session.exec(select(SmsInbound.message_sid)).all())
    assert sids == ["SMfirst", "SMlate"]
