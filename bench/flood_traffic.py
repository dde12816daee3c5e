"""The flood of bench/floods.py, sent from a process of its own so that its threads never
hold the interpreter lock of the process that times the genuine calls.

Two kinds of traffic, as tests/test_floods.py sends them: connections that send a
webhook's head, then its body a byte a second (each one the service cuts is reopened at
once), and connections that post 1 MiB forged forms to /twilio/sms in a loop, half with a
Content-Length and half chunked.
"""

from __future__ import annotations

import http.client
import multiprocessing
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

HOST = "127.0.0.1"
MIB = 1024 * 1024
TRICKLE_HEAD = (
    b"POST /twilio/voice HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Twilio-Signature: forged\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\n"
)
FORGED_HEADERS = {
    "Content-Type": "application/x-www-form-urlencoded",
    "X-Twilio-Signature": "forged",
}
FORGED_BODY = b"Body=" + b"x" * MIB
CHUNK = 64 * 1024
# What the flood counts, in a shared array, in this order.
COUNTS = ("trickles_open", "trickles_cut", "forms_refused", "forms_cut", "other")
OPEN, CUT, REFUSED, FORMS_CUT, OTHER = range(len(COUNTS))


def bump(counts: Any, index: int) -> None:
    """Add one to a shared counter; the flood's threads share them."""
    with counts.get_lock():
        counts[index] += 1


def open_trickle(port: int) -> socket.socket:
    connection = socket.create_connection((HOST, port), timeout=5)
    connection.sendall(TRICKLE_HEAD)
    connection.setblocking(False)
    return connection


def trickle(port: int, count: int, stop: Any, counts: Any) -> None:
    """`count` connections sending a body a byte a second; each one cut is reopened."""
    sockets = [open_trickle(port) for _ in range(count)]
    counts[OPEN] = count
    while not stop.wait(1.0):
        for index, connection in enumerate(sockets):
            try:
                connection.send(b"a")
                connection.recv(4096)  # an answer (408) or b"": the service cut it
            except BlockingIOError:
                continue  # still open, nothing said
            except OSError:
                pass
            connection.close()
            bump(counts, CUT)
            try:
                sockets[index] = open_trickle(port)
            except OSError:
                bump(counts, OTHER)
    for connection in sockets:
        connection.close()


def forge(port: int, chunked: bool, stop: Any, counts: Any) -> None:
    """1 MiB forged forms to /twilio/sms, one after another on new connections."""
    while not stop.is_set():
        connection = http.client.HTTPConnection(HOST, port, timeout=10)
        try:
            if chunked:
                parts = (FORGED_BODY[i : i + CHUNK] for i in range(0, len(FORGED_BODY), CHUNK))
                connection.request(
                    "POST", "/twilio/sms", parts, FORGED_HEADERS, encode_chunked=True
                )
            else:
                connection.request("POST", "/twilio/sms", FORGED_BODY, FORGED_HEADERS)
            answer = connection.getresponse()
            answer.read()
            bump(counts, REFUSED if answer.status in (403, 413) else OTHER)
        except OSError:
            bump(counts, FORMS_CUT)  # refused before the whole form was sent
        finally:
            connection.close()


def attack(port: int, trickles: int, forgers: int, stop: Any, counts: Any) -> None:
    """The whole flood, until `stop` is set."""
    workers = [threading.Thread(target=trickle, args=(port, trickles, stop, counts))]
    workers += [
        threading.Thread(target=forge, args=(port, n % 2 == 1, stop, counts))
        for n in range(forgers)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


@dataclass
class Flood:
    """A flood under way, and the seconds it has lasted once stopped."""

    process: Any
    stop: Any
    started: float = field(default_factory=time.monotonic)


def new_counts() -> Any:
    """Counters the flood processes add to, one for each of COUNTS."""
    return multiprocessing.get_context("spawn").Array("q", len(COUNTS))


def start_flood(port: int, trickles: int, forgers: int, counts: Any) -> Flood:
    """Start the flood; return once every trickle is open and a forged form has gone."""
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    counts[OPEN] = 0
    process = context.Process(
        target=attack, args=(port, trickles, forgers, stop, counts), daemon=True
    )
    process.start()
    before = counts[REFUSED] + counts[FORMS_CUT]
    deadline = time.monotonic() + 30
    while counts[OPEN] < trickles or (forgers and counts[REFUSED] + counts[FORMS_CUT] == before):
        if not process.is_alive() or time.monotonic() > deadline:
            stop_flood(Flood(process=process, stop=stop))
            raise RuntimeError("the flood did not start: trickles not open or no form sent")
        time.sleep(0.05)
    return Flood(process=process, stop=stop)


def stop_flood(flood: Flood) -> float:
    """Stop the flood (its connections close with its process); the seconds it lasted."""
    flood.stop.set()
    flood.process.join(timeout=15)
    if flood.process.is_alive():
        flood.process.terminate()
        flood.process.join(timeout=5)
    return time.monotonic() - flood.started
