"""Real `hotline serve` and `hotline worker` processes, on loopback ports of their own.

Ports come from below the kernel's ephemeral range, reserved with a lock file, so a
port a test gives back for a moment (a server stopped to be started again) is not
handed to somebody else's outgoing connection or another test meanwhile.
"""

from __future__ import annotations

import fcntl
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

HOTLINE = str(Path(sys.executable).with_name("hotline"))
# Shared by every test process of this user on the machine (xdist workers, engineers).
RESERVATIONS = Path(tempfile.gettempdir()) / f"hotline-faults-ports-{os.getuid()}"
START_SECONDS = 40.0


class Ports:
    """Loopback ports held by this test until `release`."""

    def __init__(self) -> None:
        self._held: dict[int, int] = {}

    def take(self) -> int:
        RESERVATIONS.mkdir(mode=0o700, exist_ok=True)
        low = _ephemeral_low()
        for _ in range(500):
            port = random.randrange(max(low - 12_000, 10_000), low)
            fd = os.open(RESERVATIONS / str(port), os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            if _free(port):
                self._held[port] = fd
                return port
            os.close(fd)
        raise RuntimeError("no free loopback port below the ephemeral range")

    def release(self) -> None:
        for fd in self._held.values():
            os.close(fd)
        self._held.clear()


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Service:
    """One `hotline` process (serve or worker) that can be killed and started again."""

    def __init__(
        self, name: str, command: list[str], env: Mapping[str, str], logs: Path, port: int | None
    ) -> None:
        self.name = name
        self.command = command
        self.env = dict(env)
        self.port = port
        self.logs = logs
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.logs / f"{self.name}.{self.starts}.log"

    def start(self) -> Service:
        """Start it and wait until it answers (serve) or sends (worker)."""
        self.starts += 1
        self.logs.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("wb") as out:
            self.process = subprocess.Popen(
                [HOTLINE, *self.command], env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited at start:\n{self.output()[-3000:]}")
            if self._ready():
                return self
            time.sleep(0.05)
        raise AssertionError(f"{self.name} did not start in time:\n{self.output()[-3000:]}")

    def _ready(self) -> bool:
        if self.port is None:
            return b"sending the outbox" in self.log_file.read_bytes()
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def kill(self) -> None:
        """SIGKILL: nothing is flushed, nothing let go of but by the kernel."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM, as a service manager stops it, and wait for it to finish."""
        self._signal(signal.SIGTERM)

    def _signal(self, signum: int) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signum)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            raise AssertionError(f"{self.name} ignored signal {signum} for 20 s") from None

    def dump_threads(self) -> None:
        """SIGABRT: with PYTHONFAULTHANDLER set, every thread's stack goes to the log."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGABRT)
            self.process.wait(timeout=10)

    def restart(self) -> Service:
        self.stop()
        return self.start()

    def output(self) -> str:
        """Everything every start of it printed."""
        parts = [
            (self.logs / f"{self.name}.{n}.log").read_text(errors="replace")
            for n in range(1, self.starts + 1)
        ]
        return "\n".join(parts)
