"""The console in a real Chromium (Debian's, driven by Playwright), against a real server.

Sign in (an incident waits for verification on Now); add a volunteer and a weekly shift
and see the red gap turn into cover; import
a CSV with one bad row; watch an urgent call placed through the simulator appear on Now
and disappear when it is answered; note it; open Indicators and download the CSV; and
check every page with axe-core (no serious or critical violation). Screenshots go to
docs/console/ when HOTLINE_SCREENSHOTS=1 (`make screenshots`), elsewhere to a temp dir.

The tests follow one another (a volunteer added, then a call placed, then noted), on one
server and one browser: `make test` runs pytest with `--dist loadfile`, which keeps a
file's tests on one worker. Every wait is bounded by Playwright's timeouts.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from hotline import db, migrate
from hotline.app import create_app
from hotline.auth import console as console_auth
from hotline.auth import service as auth_service
from hotline.config import Settings
from hotline.deps import Runtime
from hotline.privacy.pseudonym import Keyring
from hotline.rapid import reports
from hotline.rapid.kinds import Channel, ReportKind
from hotline.rapid.sighting import Sighting
from hotline.roster import service as roster
from hotline.roster.schemas import ShiftCreate, VolunteerCreate
from hotline.simulator.call import DialAnswer
from hotline.telephony.fake import FakeGateway
from tests.support import PUBLIC_URL, TOKEN, place_call, served

CHROMIUM = os.environ.get("HOTLINE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
VENDOR = Path(__file__).parent / "vendor"
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "browsers sign in too"
ANA = "+13125550151"
WAIT_MS = 10_000


@dataclass
class Served:
    url: str
    runtime: Runtime
    shots: Path
    axe: str


def _volunteer(session: object, runtime: Runtime, name: str, number: str, codes: list[str]) -> int:
    volunteer = roster.create_volunteer(
        session=session,  # type: ignore[arg-type]
        vault=runtime.vault,
        country="US",
        enabled=runtime.catalogs.languages,
        volunteer_in=VolunteerCreate(name=name, phone=number, languages=codes),
        user=None,
    )
    assert volunteer.id is not None
    # On call all week: one weekly shift of seven days from this morning's midnight.
    midnight = datetime.combine(
        datetime.now(UTC).astimezone(runtime.settings.zone).date(),
        datetime.min.time(),
        tzinfo=runtime.settings.zone,
    )
    roster.create_shift(
        session=session,  # type: ignore[arg-type]
        shift_in=ShiftCreate(
            volunteer_id=volunteer.id, weekly=True, starts_at=midnight,
            ends_at=midnight + timedelta(days=7),
        ),
        user=None,
    )  # fmt: skip
    return volunteer.id


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: apt-get install chromium (or set HOTLINE_CHROMIUM)"
        )
    axe = (VENDOR / "axe.min.js").read_text(encoding="utf-8")
    pinned = (VENDOR / "axe.min.js.sha256").read_text().strip()
    assert hashlib.sha256(axe.encode()).hexdigest() == pinned, "axe.min.js is not the pinned file"
    home = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{home / 'hotline.db'}"
    migrate.upgrade(url)
    settings = Settings(
        data_dir=home, public_url=PUBLIC_URL, twilio_auth_token=TOKEN, secret_key="b" * 40,
        backup_number="+13125550111", twilio_api_url="http://127.0.0.1:9/unused",
        dispatch_in_web=False, console_refresh_seconds=1, roster_refresh_seconds=1,
        languages=["en", "es", "pl"], voice_menu=["en", "es", "pl"],
    )  # fmt: skip
    engine = db.make_engine(url)
    app = create_app(
        settings, engine=engine, gateway=FakeGateway(),
        keyring=Keyring(base_epoch=0, base_key=b"\x02" * 32, epoch_days=30),
    )  # fmt: skip
    runtime: Runtime = app.state.runtime
    with db.transaction(engine) as session:
        _volunteer(session, runtime, "Ana", ANA, ["es", "en"])
        user, _ = auth_service.create_user(session=session, name="Dana", role="coordinator")
        console_auth.set_password(session=session, user=user, password=PASSWORD)
        # An incident waiting for verification, so that Now shows (and axe checks) its table.
        seen = Sighting(ReportKind.STREET, "60608", True, "es", Channel.VOICE)
        reports.submit_report(session, rapid=runtime.rapid, sighting=seen, now=datetime.now(UTC))
    shots = ROOT / "docs" / "console" if os.environ.get("HOTLINE_SCREENSHOTS") else home
    shots.mkdir(parents=True, exist_ok=True)
    with served(app, lifespan="on") as base:
        yield Served(base, runtime, shots, axe)
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def page(browser: Browser, server: Served) -> Iterator[Page]:
    # CSP is bypassed only so that the test can inject axe-core; the pages' own scripts
    # are files the service serves, which the policy allows.
    context = browser.new_context(
        base_url=server.url, bypass_csp=True, accept_downloads=True,
        viewport={"width": 1280, "height": 900}, locale="en-US",
    )  # fmt: skip
    context.set_default_timeout(WAIT_MS)
    found = context.new_page()
    yield found
    context.close()


def accessible(page: Page, server: Served, name: str) -> None:
    """No serious or critical axe-core violation on the page; a screenshot of it."""
    page.add_script_tag(content=server.axe)
    violations = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
        }"""
    )
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{name}: {serious}"
    page.screenshot(path=str(server.shots / f"{name}.png"), full_page=True)


def test_sign_in_lands_on_now(page: Page, server: Served) -> None:
    page.goto("/console/now")
    expect(page).to_have_url(f"{server.url}/console/login?next=/console/now")
    accessible(page, server, "login")
    page.get_by_label("Name").fill("Dana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{server.url}/console/now")
    expect(page.get_by_role("heading", name="On call, by language")).to_be_visible()
    incidents = page.get_by_role("table").filter(has_text="Responders dispatched")
    expect(incidents.get_by_role("cell", name="Waiting for a responder")).to_be_visible()
    accessible(page, server, "now")


def _today_cell(page: Page, language: str) -> Locator:
    column = datetime.now(UTC).astimezone(ZoneInfo("America/Chicago")).weekday() + 2
    table = page.locator("table.week").first
    row = table.locator("tr", has=page.get_by_role("rowheader", name=language))
    return row.locator(f"td:nth-child({column})")


def test_a_new_volunteer_and_weekly_shift_turn_the_red_gap_into_cover(
    page: Page, server: Served
) -> None:
    page.goto("/console/roster")
    cell = _today_cell(page, "Polish")
    expect(cell).to_have_class("has-gap")
    expect(cell.locator("rect[fill='#b3261e']")).to_have_count(1)
    form = page.locator("form[action='/console/roster/volunteers']")
    form.get_by_label("Name").fill("Marta")
    form.get_by_label("Phone number").fill("+13125550190")
    form.get_by_label("Polish").check()
    form.get_by_role("button", name="Add the volunteer").click()
    expect(page.get_by_role("heading", name="Marta")).to_be_visible()
    accessible(page, server, "volunteer")
    shift = page.locator("form[action='/console/roster/shifts']")
    shift.get_by_label("Starts at").fill("00:00")
    shift.get_by_label("Ends at (earlier than the start: the next day)").fill("00:00")
    shift.get_by_label("Every week").check()
    shift.get_by_role("button", name="Add the shift").click()
    expect(page.get_by_role("link", name="Every")).to_be_visible()
    page.goto("/console/roster")
    cell = _today_cell(page, "Polish")
    expect(cell).to_have_class("covered")
    marta = page.locator("tr", has=page.get_by_role("link", name="Marta"))
    expect(marta.get_by_role("link", name="00:00–24:00")).to_have_count(1)
    accessible(page, server, "roster")
    marta.get_by_role("link", name="00:00–24:00").click()
    expect(page.get_by_role("heading", name="Shift of Marta")).to_be_visible()
    accessible(page, server, "shift")
    # Now follows within a refresh: Marta is on call for Polish.
    page.goto("/console/now")
    row = page.locator("tr", has=page.get_by_role("rowheader", name="Polish"))
    expect(row).to_contain_text("Marta")


def test_a_csv_with_one_bad_row_imports_nothing_and_says_which_line(
    page: Page, server: Served, tmp_path: Path
) -> None:
    sheet = tmp_path / "roster.csv"
    sheet.write_text(
        "name,phone,languages,role,active,shift_weekday,shift_start,shift_end\n"
        "Lena,+13125550181,pl,,,Monday,18:00,24:00\n"
        "Kofi,+13125550182,es,,,Funday,18:00,22:00\n"
    )
    page.goto("/console/roster")
    page.get_by_label("CSV file").set_input_files(str(sheet))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was imported: 1 problem.")
    expect(page.locator(".problems")).to_contain_text("Line 3, shift_weekday")
    accessible(page, server, "roster-import")
    expect(page.get_by_role("link", name="Lena")).to_have_count(0)


def test_an_urgent_call_appears_on_now_and_disappears_when_answered(
    page: Page, server: Served
) -> None:
    page.goto("/console/now")
    expect(page.get_by_text("No urgent call is ringing.")).to_be_visible()
    ringing, go = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def answer(number: str) -> DialAnswer:
        if number != ANA:
            return DialAnswer(status="no-answer")
        ringing.set()
        go.wait(timeout=30)
        return DialAnswer(status="completed", keys=("1",))

    def call() -> None:
        try:
            with httpx.Client(base_url=server.url, timeout=10) as client:
                place_call(client, ["2", "1"], answer=answer)
        except BaseException as error:  # surfaced below
            failures.append(error)

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    try:
        assert ringing.wait(timeout=10), "Ana's phone never rang"
        row = page.locator("table.urgent tr.ringing")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Spanish")
        accessible(page, server, "now-ringing")
    finally:
        go.set()
        caller.join(timeout=20)
    assert not failures, failures
    expect(page.get_by_text("No urgent call is ringing.")).to_be_visible()


def test_the_call_is_on_the_calls_page_and_can_be_noted(page: Page, server: Served) -> None:
    page.goto("/console/calls")
    row = page.locator("section[aria-labelledby='calls-title'] tbody tr").first
    expect(row).to_contain_text("Answered")
    expect(row).to_contain_text("Ana")
    row.get_by_label("What it was about").select_option("detention")
    row.get_by_role("button", name="Note").click()
    row = page.locator("section[aria-labelledby='calls-title'] tbody tr").first
    expect(row.get_by_label("What it was about")).to_have_value("detention")
    accessible(page, server, "calls")


def test_indicators_show_charts_and_download_as_csv(page: Page, server: Served) -> None:
    page.goto("/console/indicators")
    expect(page.locator("figure svg")).to_have_count(3)
    expect(page.get_by_role("rowheader", name="Urgent calls answered")).to_be_visible()
    accessible(page, server, "indicators")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the table (CSV)").click()
    assert download.value.suggested_filename == "indicators.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    this_month = datetime.now(UTC).strftime("%Y-%m")
    answered = next(r for r in rows if r["month"] == this_month and r["metric"] == "answered")
    assert answered["value"] == "<5"


def test_languages_and_spanish(page: Page, server: Served) -> None:
    page.goto("/console/languages")
    expect(page.get_by_role("rowheader", name="Polski (pl)")).to_be_visible()
    accessible(page, server, "languages")
    page.get_by_label("Console language").select_option("es")
    page.get_by_role("button", name="Change").click()
    expect(page.get_by_role("heading", name="Idiomas")).to_be_visible()
    page.goto("/console/now")
    accessible(page, server, "now-es")
