"""A flood on a raid night, against the real server on a loopback port: 300 connections
trickling bodies and 8 posting 1 MiB forged forms in a loop, while a genuine signed
call webhook still gets its answer (bench/floods.py measures the figure)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from twilio.request_validator import RequestValidator

from tests.test_production_start import GOOD, environment, free_port, serving

TRICKLERS = 300
FORGERS = 8
MIB = 1024 * 1024
# Generous: the benchmark measures well under a second on this machine.
BOUND_SECONDS = 3.0


def trickle(port: int, stop: threading.Event, sockets: list[socket.socket]) -> None:
    head = (
        b"POST /twilio/voice HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Twilio-Signature: forged\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\n"
    )
    for _ in range(TRICKLERS):
        connection = socket.create_connection(("127.0.0.1", port))
        connection.sendall(head)
        sockets.append(connection)
    while not stop.wait(1.0):
        for connection in sockets:
            try:
                connection.send(b"a")
            except OSError:
                continue


def forge(port: int, stop: threading.Event, chunked: bool) -> None:
    body = b"Body=" + b"x" * MIB
    headers = {"X-Twilio-Signature": "forged", "Content-Type": "application/x-www-form-urlencoded"}

    def stream() -> Iterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    with httpx.Client(timeout=5) as client:
        while not stop.is_set():
            try:
                client.post(
                    f"http://127.0.0.1:{port}/twilio/sms",
                    content=stream() if chunked else body,
                    headers=headers,
                )
            except httpx.HTTPError:
                continue


def test_a_genuine_call_is_answered_through_trickles_and_forged_floods(tmp_path: Path) -> None:
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    env = environment(tmp_path, **{**GOOD, "HOTLINE_PUBLIC_URL": public})
    stop = threading.Event()
    sockets: list[socket.socket] = []
    with serving(env, port):
        attackers = [threading.Thread(target=trickle, args=(port, stop, sockets), daemon=True)]
        attackers += [
            threading.Thread(target=forge, args=(port, stop, n % 2 == 0), daemon=True)
            for n in range(FORGERS)
        ]
        for attacker in attackers:
            attacker.start()
        try:
            time.sleep(2)  # the flood is on
            assert len(sockets) == TRICKLERS
            signer = RequestValidator(GOOD["TWILIO_AUTH_TOKEN"])
            url = f"{public}/twilio/voice"
            latencies = []
            with httpx.Client(timeout=15) as client:
                for n in range(20):
                    params = {
                        "CallSid": f"CA{n:032d}",
                        "From": "+13125550188",
                        "To": "+13125550100",
                    }
                    started = time.monotonic()
                    answer = client.post(
                        url,
                        data=params,
                        headers={"X-Twilio-Signature": signer.compute_signature(url, params)},
                    )
                    latencies.append(time.monotonic() - started)
                    assert answer.status_code == 200
                    assert "<Gather" in answer.text
            assert max(latencies) < BOUND_SECONDS, latencies
            # A body that has not arrived in ten seconds closes its connection.
            time.sleep(max(0.0, 11.5 - 2 - sum(latencies)))
            closed = 0
            for connection in sockets:
                connection.settimeout(0.5)
                try:
                    answer_bytes = connection.recv(4096)
                except OSError:
                    closed += 1
                    continue
                if not answer_bytes or b" 408 " in answer_bytes:
                    closed += 1
            assert closed == TRICKLERS
        finally:
            stop.set()
            for attacker in attackers:
                attacker.join(timeout=10)
            for connection in sockets:
                connection.close()
