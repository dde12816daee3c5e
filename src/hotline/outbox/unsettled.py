"""What a dispatcher could not write down about the rows it holds, written again until
the database takes it.

A row handed to Twilio whose fate the database did not take (it went down between
Twilio's answer and the commit) stayed `sending` until its lease ran out, then went out
a second time, though the dispatcher that sent it was alive and knew. So the note is
kept here, and written again at every round, before the dispatcher claims anything,
until it lands. Likewise a row claimed but never tried (the database went down before
its send) goes back to the queue as soon as the database answers, instead of waiting
out its lease.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError

Write = Callable[[], object]


class Unsettled:
    """Writes about held rows that the database did not take yet, oldest first."""

    def __init__(self) -> None:
        self._writes: deque[Write] = deque()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._writes)

    def attempt(self, write: Write) -> None:
        """Run `write`; if the database does not take it, keep it for `retry` and raise."""
        try:
            write()
        except SQLAlchemyError:
            with self._lock:
                self._writes.append(write)
            raise

    def retry(self) -> int:
        """Run the kept writes in order; how many landed. Stops at the first the database
        does not take (raising its error), keeping it and those behind it."""
        done = 0
        with self._lock:
            while self._writes:
                self._writes[0]()
                self._writes.popleft()
                done += 1
        return done
