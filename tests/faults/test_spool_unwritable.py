"""The database down and the spool unwritable (a full or broken disk): no promise is
made that cannot be kept. A caller who asks for the rights by text or a callback is
told it cannot be done now and put through to the backup number; a texter asking for
help is given the number to call; and nothing is sent later that they were told would
not be."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from hotline.simulator.call import DialAnswer
from hotline.sms import messages as sms_messages
from hotline.voice import flow
from tests.faults.calls import DIGIT, SAY, said
from tests.faults.conftest import Deployment, count
from tests.faults.traffic import BACKUP, fresh_number

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(90)]


@contextmanager
def unwritable(folder: Path) -> Iterator[None]:
    """No file can be made in `folder`, for root as well (the tests run as root in CI)."""
    folder.chmod(0o500)
    immutable = os.geteuid() == 0
    if immutable:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
    try:
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o700)


def told(transcript: list[str], *sentences: str) -> bool:
    """Whether `sentences` were said one after the other."""
    n = len(sentences)
    return any(transcript[i : i + n] == list(sentences) for i in range(len(transcript)))


def test_with_neither_database_nor_spool_callers_are_told_and_put_through_to_a_person(
    deployment: Deployment,
) -> None:
    web = deployment.serve()
    phone = deployment.phone(web)
    dialled: list[str] = []

    def nobody_answers(number: str) -> DialAnswer:
        dialled.append(number)
        return DialAnswer(status="no-answer")

    rights_caller, callback_caller, texter = fresh_number(), fresh_number(), fresh_number()
    with unwritable(deployment.root / "web" / "spool"):
        deployment.cluster.stop("immediate")
        assert httpx.get(f"{web.url}/readyz").json()["checks"]["spool"] is False
        rights = said(phone.call(rights_caller, [DIGIT, "2", "3"], answer=nobody_answers))
        callback = said(phone.call(callback_caller, [DIGIT, "1", "1"], answer=nobody_answers))
        texted = phone.text(texter, "AYUDA")
        deployment.cluster.start()
    assert phone.failures() == []
    assert SAY(flow.TEXT_SENDING) not in rights
    assert told(rights, SAY(flow.TEXT_CANNOT_NOW), SAY(flow.TO_A_PERSON))
    assert SAY(flow.CALLBACK_CONFIRMED) not in callback
    assert told(callback, SAY(flow.CALLBACK_CANNOT_NOW), SAY(flow.TO_A_PERSON))
    # The rights caller reached the backup number; the callback caller rang it for the
    # urgent tier (nobody on call) and again when the callback could not be taken.
    assert dialled == [BACKUP, BACKUP, BACKUP]
    assert texted == [SAY(sms_messages.FALLBACK, number=BACKUP)]
    # Nothing told "not now" is done later behind the caller's back.
    deployment.wait_for(
        "the database answers the web process", lambda: deployment.ready(web), seconds=30
    )
    assert count(deployment, "SELECT count(*) FROM outbox_message") == 0
    assert count(deployment, "SELECT count(*) FROM callback") == 0
    assert count(deployment, "SELECT count(*) FROM sms_case") == 0
