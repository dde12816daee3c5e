"""The raid night's load, each kind in a process of its own (asyncio, aiohttp, signed requests).

- `run_callers`: callers walking the IVR at once, each following the action URLs of the
  TwiML it gets back, pausing a moment before each key. A third report what they see
  (3, a kind, the ZIP code, 1 to confirm it, 1 for happening now), the others hear their
  rights (2, 1, 1, 0) or the resources (4, 0); then the call ends with a status callback,
  and the caller calls again until the time is up.
- `run_texts`: texts at a fixed rate, each with its own MessageSid, an open loop (a text
  is sent on time whether or not the earlier ones were answered), alternating servers.

Every request is signed for the server it goes to. Latency is the time to the whole answer.
The client is aiohttp, not httpx: with hundreds of connections httpx's pool spent one and
a half of this machine's two cores on itself, and the figures measured the load, not
the servers.
"""

from __future__ import annotations

import asyncio
import html
import random
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from twilio.request_validator import RequestValidator

ACTION = re.compile(r'<Gather [^>]*action="([^"]+)"')
HOTLINE = "+13125550100"
ZIP = "60623"
# Callers +1312555xxxx (outside 555-01xx, where the volunteers are); texters +1224555xxxx.
CALLERS = [f"+1312555{n:04d}" for n in range(1000, 10000)]
TEXTERS = [f"+1224555{n:04d}" for n in range(1000, 10000)]
LANGUAGE_KEYS = ["2"] * 9 + ["1"] * 5 + ["3", "4", "5", "6", "7", "8", "9"]
TEXTS = ["INFO", "DERECHOS", "hola", "2", "ALERTAS 60623", "REPORTE migra en 26 y Pulaski"]
MAX_IN_FLIGHT = 400


@dataclass(frozen=True, slots=True)
class LoadJob:
    """Where to send the load, and how much: `amount` callers, or texts a second."""

    servers: tuple[str, ...]
    token: str
    seconds: float
    amount: int
    seed: int = 1


@dataclass(slots=True)
class LoadResult:
    """What one load process sent and got back."""

    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: int = 0
    calls: int = 0
    reports: int = 0
    texts: int = 0
    # Texts that are a report in themselves (REPORTE with a place): each one a report kept.
    text_reports: int = 0
    # How long the texts took to send: more than the load's seconds when it fell behind.
    seconds: float = 0.0

    def merge(self, other: LoadResult) -> None:
        self.latencies_ms += other.latencies_ms
        for status, count in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count
        self.failures += other.failures
        self.calls += other.calls
        self.reports += other.reports
        self.texts += other.texts
        self.text_reports += other.text_reports


class Poster:
    """Signed form posts, timed."""

    def __init__(self, client: aiohttp.ClientSession, token: str, result: LoadResult) -> None:
        self.client = client
        self.validator = RequestValidator(token)
        self.result = result

    async def post(self, url: str, params: dict[str, str]) -> str | None:
        signature = self.validator.compute_signature(url, params)
        started = time.perf_counter()
        try:
            async with self.client.post(
                url, data=params, headers={"X-Twilio-Signature": signature}
            ) as reply:
                text = await reply.text()
        except (aiohttp.ClientError, TimeoutError):
            self.result.failures += 1
            return None
        self.result.latencies_ms.append((time.perf_counter() - started) * 1000)
        self.result.statuses[reply.status] = self.result.statuses.get(reply.status, 0) + 1
        return text if reply.status == 200 else None


def call_params(call_sid: str, caller: str, **extra: str) -> dict[str, str]:
    return {
        "CallSid": call_sid,
        "AccountSid": "AC" + "0" * 32,
        "From": caller,
        "To": HOTLINE,
        "Caller": caller,
        "Called": HOTLINE,
        "CallStatus": "in-progress",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def keys_for(rng: random.Random) -> tuple[list[str], bool]:
    """The keys of one call after the language menu, and whether it is a report."""
    if rng.random() < 1 / 3:
        return ["3", str(rng.randint(1, 5)), ZIP, "1", "1"], True
    return (["2", "1", "1", "0"], False) if rng.random() < 0.7 else (["4", "0"], False)


async def one_call(poster: Poster, server: str, caller: str, rng: random.Random) -> None:
    """A whole call: the language, the keys, the status callback."""
    call_sid = f"CA{rng.getrandbits(128):032x}"
    answer = await poster.post(f"{server}/twilio/voice", call_params(call_sid, caller))
    keys, reporting = keys_for(rng)
    # A caller whose language is remembered starts at the main menu: no language key.
    remembered = "step=main" in (answer or "")
    for key in keys if remembered else [rng.choice(LANGUAGE_KEYS), *keys]:
        found = ACTION.search(answer or "")
        if found is None:
            break
        await asyncio.sleep(rng.uniform(0.3, 1.2))
        action = html.unescape(found.group(1))
        url = server + action[len(f"{urlsplit(action).scheme}://{urlsplit(action).netloc}") :]
        answer = await poster.post(url, call_params(call_sid, caller, Digits=key))
    else:
        poster.result.reports += 1 if reporting else 0
    status = call_params(call_sid, caller, CallStatus="completed")
    await poster.post(f"{server}/twilio/voice/status", status)
    poster.result.calls += 1


def _client(connections: int) -> aiohttp.ClientSession:
    """Kept-alive connections, at most `connections`, 30 s for a whole answer."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections),
        timeout=aiohttp.ClientTimeout(total=30),
    )


async def _callers(job: LoadJob) -> LoadResult:
    result = LoadResult()
    rng = random.Random(job.seed)
    end = time.monotonic() + job.seconds
    async with _client(job.amount + 10) as client:
        poster = Poster(client, job.token, result)

        async def caller(index: int) -> None:
            own = random.Random(rng.getrandbits(64))
            await asyncio.sleep(own.uniform(0, 2))
            while time.monotonic() < end:
                server = job.servers[index % len(job.servers)]
                await one_call(poster, server, CALLERS[index % len(CALLERS)], own)

        await asyncio.gather(*(caller(i) for i in range(job.amount)))
    return result


async def _texts(job: LoadJob) -> LoadResult:
    result = LoadResult()
    rng = random.Random(job.seed)
    prefix = f"SM{rng.getrandbits(64):016x}"
    async with _client(MAX_IN_FLIGHT) as client:
        poster = Poster(client, job.token, result)
        pending: set[asyncio.Task[Any]] = set()
        # Never more in flight than the pool has connections: a server that falls behind
        # makes the texts late (the achieved rate shows it), not a pile of waiting tasks.
        slots = asyncio.Semaphore(MAX_IN_FLIGHT)

        async def send(url: str, params: dict[str, str]) -> None:
            try:
                await poster.post(url, params)
            finally:
                slots.release()

        start = time.monotonic()
        total = int(job.amount * job.seconds)
        for n in range(total):
            delay = start + n / job.amount - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            sid = f"{prefix}{n:016x}"
            params = {
                "MessageSid": sid,
                "SmsSid": sid,
                "AccountSid": "AC" + "0" * 32,
                "From": TEXTERS[n % len(TEXTERS)],
                "To": HOTLINE,
                "Body": (body := rng.choice(TEXTS)),
                "NumMedia": "0",
                "NumSegments": "1",
                "ApiVersion": "2010-04-01",
            }
            server = job.servers[n % len(job.servers)]
            await slots.acquire()
            task = asyncio.create_task(send(f"{server}/twilio/sms", params))
            pending.add(task)
            task.add_done_callback(pending.discard)
            result.texts += 1
            result.text_reports += body.startswith("REPORTE")
        await asyncio.gather(*pending)
        result.seconds = time.monotonic() - start
    return result


def run_callers(job: LoadJob, out: Any) -> None:
    """Process entry point: callers walking the IVR; the result goes to `out`."""
    out.put(("callers", asyncio.run(_callers(job))))


def run_texts(job: LoadJob, out: Any) -> None:
    """Process entry point: texts at `job.amount` a second; the result goes to `out`."""
    out.put(("texts", asyncio.run(_texts(job))))
