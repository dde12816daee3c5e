"""Benchmark: the console's Now page and Roster week against the API's JSON, same data.

Seeds a SQLite roster of 500 volunteers and 5,000 weekly shifts (random languages, times
and lengths, a fixed seed), then, in one process and one run, renders each console page
server-side and fetches the API's JSON for the same data, alternating, and prints the
median and 90th percentile of each, their ratio, and each page's weight (HTML plus the
stylesheet and script it loads; the console has no images). The Roster week shows its
first page of 50 volunteers with every language's gaps; the API's JSON has all of them.

    .venv/bin/python bench/console_pages.py [--volunteers 500] [--shifts 5000] [--rounds 30]

It is a report, not a test: it exits 1 only when a page weighs 100 KB or more.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from hotline import db, migrate
from hotline.app import create_app
from hotline.auth import console as console_auth
from hotline.auth import service as auth_service
from hotline.config import ALL_LANGUAGES, Settings
from hotline.console.service import monday
from hotline.deps import Runtime
from hotline.privacy.pseudonym import Keyring
from hotline.roster import service as roster
from hotline.roster.schemas import ShiftCreate, VolunteerCreate
from hotline.telephony.fake import FakeGateway

WEIGHT_LIMIT = 100 * 1024
PASSWORD = "benchmarks sign in too"
AREAS = ("312", "773", "872", "630", "708", "847", "224", "331", "815", "779")
ASSETS = re.compile(r'(?:href|src)="(/console/static/[^"]+)"')


def seed(runtime: Runtime, volunteers: int, shifts: int, rng: random.Random) -> str:
    """`volunteers` people and `shifts` weekly shifts, through the roster service; the
    API token of a coordinator who signs in to the console too."""
    now = datetime.now(UTC)
    week = datetime.combine(monday(now, runtime.settings.zone), datetime.min.time())
    start = week.replace(tzinfo=runtime.settings.zone)
    with db.transaction(runtime.engine) as session:
        ids = []
        for n in range(volunteers):
            languages = rng.sample(ALL_LANGUAGES, rng.choice((1, 2, 2, 3)))
            person = roster.create_volunteer(
                session=session, vault=runtime.vault, country="US",
                enabled=runtime.catalogs.languages,
                volunteer_in=VolunteerCreate(
                    name=f"Volunteer {n:03d}",
                    # North America keeps 555-0100 to 555-0199 for fiction.
                    phone=f"+1{AREAS[n // 100 % len(AREAS)]}55501{n % 100:02d}",
                    languages=languages,
                ),
                user=None,
            )  # fmt: skip
            assert person.id is not None
            ids.append(person.id)
        for n in range(shifts):
            begins = start + timedelta(days=rng.randrange(7), hours=rng.randrange(24))
            roster.create_shift(
                session=session,
                shift_in=ShiftCreate(
                    volunteer_id=ids[n % len(ids)], weekly=True, starts_at=begins,
                    ends_at=begins + timedelta(hours=rng.choice((2, 4, 6, 8, 12))),
                ),
                user=None,
            )  # fmt: skip
        user, token = auth_service.create_user(session=session, name="Bench", role="coordinator")
        console_auth.set_password(session=session, user=user, password=PASSWORD)
    runtime.roster.refresh()
    return token


def timed(fetch: Callable[[], int], rounds: int) -> tuple[list[float], int]:
    """Seconds per call over `rounds` calls after two warm-ups, and the bytes of the last."""
    fetch()
    fetch()
    seconds, size = [], 0
    for _ in range(rounds):
        began = time.perf_counter()
        size = fetch()
        seconds.append(time.perf_counter() - began)
    return seconds, size


def p90(values: list[float]) -> float:
    return sorted(values)[int(0.9 * (len(values) - 1))]


def get(client: TestClient, path: str, **kwargs: object) -> Callable[[], int]:
    def fetch() -> int:
        answer = client.get(path, **kwargs)  # type: ignore[arg-type]
        assert answer.status_code == 200, (path, answer.status_code)
        return len(answer.content)

    return fetch


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=500)
    parser.add_argument("--shifts", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="hotline-bench-console-"))
    url = f"sqlite:///{home / 'hotline.db'}"
    migrate.upgrade(url)
    settings = Settings(
        data_dir=home, public_url="https://hotline.example.org", twilio_auth_token="b" * 32,
        secret_key="s" * 40, twilio_api_url="http://127.0.0.1:9/unused", dispatch_in_web=False,
    )  # fmt: skip
    app = create_app(
        settings, engine=db.make_engine(url), gateway=FakeGateway(),
        keyring=Keyring(base_epoch=0, base_key=b"\x03" * 32, epoch_days=30),
    )  # fmt: skip
    runtime: Runtime = app.state.runtime
    began = time.perf_counter()
    token = seed(runtime, args.volunteers, args.shifts, random.Random(args.seed))
    print(f"seeded {args.volunteers} volunteers, {args.shifts} weekly shifts "
          f"in {time.perf_counter() - began:.1f} s")  # fmt: skip
    bearer = {"Authorization": f"Bearer {token}"}
    zone = settings.zone
    week = monday(datetime.now(UTC), zone)
    start = datetime.combine(week, datetime.min.time(), tzinfo=zone)
    span = f"from={start.isoformat()}&to={(start + timedelta(days=7)).isoformat()}"
    with TestClient(app, base_url="https://testserver") as client:
        login = client.get("/console/login")
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', login.text)
        assert csrf is not None
        signed = client.post(
            "/console/login", data={"name": "Bench", "password": PASSWORD, "csrf": csrf.group(1)}
        )
        assert signed.status_code == 200
        pairs = {
            "Now page": (
                [get(client, "/console/now")],
                [get(client, "/api/v1/on-call", headers=bearer),
                 get(client, "/api/v1/coverage?days=1", headers=bearer)],
            ),
            "Roster week": (
                [get(client, f"/console/roster?week={week.isoformat()}")],
                [get(client, "/api/v1/volunteers", headers=bearer),
                 get(client, f"/api/v1/shifts?{span.replace('+', '%2B')}", headers=bearer),
                 get(client, "/api/v1/coverage?days=7", headers=bearer)],
            ),
        }  # fmt: skip
        assets = sum(len(client.get(path).content) for path in set(ASSETS.findall(login.text)))
        assets += len(client.get("/console/static/console.js").content)
        heavy = False
        print(f"\n{'':12} {'console median':>15} {'p90':>8} {'API JSON median':>16} {'p90':>8} "
              f"{'ratio':>6} {'page KB':>8} {'JSON KB':>8}")  # fmt: skip
        for name, (page, api) in pairs.items():
            page_s, page_b = timed(lambda page=page: sum(f() for f in page), args.rounds)
            api_s, api_b = timed(lambda api=api: sum(f() for f in api), args.rounds)
            weight = page_b + assets
            heavy |= weight >= WEIGHT_LIMIT
            page_ms, api_ms = statistics.median(page_s) * 1000, statistics.median(api_s) * 1000
            print(
                f"{name:12} {page_ms:12.1f} ms {p90(page_s) * 1000:5.1f} ms"
                f" {api_ms:13.1f} ms {p90(api_s) * 1000:5.1f} ms {page_ms / api_ms:6.2f}"
                f" {weight / 1024:8.1f} {api_b / 1024:8.1f}"
            )
    print(f"\npage KB: the HTML plus the stylesheet and script ({assets / 1024:.1f} KB); "
          f"limit {WEIGHT_LIMIT // 1024} KB: {'EXCEEDED' if heavy else 'met'}")  # fmt: skip
    return 1 if heavy else 0


if __name__ == "__main__":
    sys.exit(main())
