"""The roster API against its own OpenAPI document: schemathesis, as a coordinator.

Every /api/v1 operation gets a bounded, reproducible run of generated requests, valid
and invalid, each with a coordinator's token, on a fresh database with volunteers and
shifts for the ids to find. No answer may be a 5xx, and every answer must be one the
document describes. The Twilio webhooks and health routes are left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, create_engine, text
from starlette.types import Receive, Scope, Send

from hotline import db
from hotline.app import create_app
from hotline.auth import service as auth_service
from hotline.config import Settings
from hotline.deps import Runtime
from hotline.models import CallRecord, Shift, ShiftOverride, Volunteer
from hotline.privacy.pseudonym import Keyring
from hotline.roster import service
from hotline.roster.router import router as roster_router
from hotline.roster.schemas import OverrideCreate
from hotline.telephony.fake import FakeGateway
from tests.roster.factories import HOUR, add_shift, add_volunteer
from tests.support import PUBLIC_URL, TOKEN

MAX_EXAMPLES = 25

CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            # Valid in form is not always acceptable: the service refuses, with a 422, a
            # language the deployment has not enabled, a number outside its country, a
            # shift that ends before it starts. JSON Schema cannot say these.
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "422"],
            },
            # A 405 lists in `Allow` the methods of the first route matching the path only
            # (POST, not GET and POST): a limit of the framework's router, not the roster's.
            "allow_header_conformance": {"enabled": False},
        },
        "operations": [
            {
                # Bodies are read as pydantic reads them by default, leniently: `"active": 0`
                # is false and `"minutes": "5"` is 5. Accepted, where the document says
                # boolean and integer; refusing them is for the models to decide.
                "include-method-regex": "^(POST|PUT|PATCH)$",
                "checks": {"negative_data_rejection": {"enabled": False}},
            }
        ],
        # The token is the coordinator's, sent with every request: not generated, not
        # mutated. `ignored_auth` still checks that a request without it is refused.
        "generation": {"with-security-parameters": False},
    }
)


class AppUnderTest:
    """The ASGI app schemathesis calls: the app of the test that runs, set by `coordinator`.

    The document is loaded once, at collection, but each test has its own app and
    database. (`schemathesis.pytest.from_fixture`, which would load it per test, fails
    under pytest 9.2: it sets `Function._nodeid`, which pytest no longer has.)
    """

    def __init__(self) -> None:
        self.app: FastAPI | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "no test has set its app"
        await self.app(scope, receive, send)


APP_UNDER_TEST = AppUnderTest()


def _document() -> dict[str, Any]:
    """The OpenAPI document the app serves at /openapi.json; building it opens no database."""
    app = create_app(
        Settings(public_url=PUBLIC_URL, twilio_auth_token=TOKEN, secret_key="k" * 40),
        engine=create_engine("sqlite://"),
        gateway=FakeGateway(),
        keyring=Keyring(base_epoch=0, base_key=b"\x01" * 32, epoch_days=30),
    )
    return app.openapi()


_loaded = schemathesis.openapi.from_dict(_document(), config=CONFIG)
# As `from_asgi` does: requests, and the checks' own follow-up requests, go to the app.
_loaded.app = APP_UNDER_TEST
# Only the API: not the health routes (the webhooks are not in the document). An exclusion:
# schemathesis would take an inclusion as one more alternative to CONFIG's `operations`
# entry, which matches every operation, and so keep them all.
schema = _loaded.exclude(path_regex=f"^(?!{re.escape(roster_router.prefix)}/)")


def _restart_ids(engine: Engine) -> None:
    """Ids from 1 again, as on a fresh SQLite file: PostgreSQL's sequences outlive emptying."""
    if engine.dialect.name == "postgresql":
        tables = ", ".join(model.__tablename__ for model in (Volunteer, Shift, ShiftOverride))
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def coordinator(app: FastAPI, engine: Engine) -> Iterator[dict[str, str]]:
    """A coordinator's headers for `app`, whose roster has something for the ids to find.

    Volunteers 1 and 2, shifts 1 and 2, override 1 and a call: small ids, which the
    generated ones often are. Neither number is the one in the document's example, so
    the example creates a volunteer.
    """
    _restart_ids(engine)
    runtime: Runtime = app.state.runtime
    now = datetime.now(UTC)
    with db.transaction(engine) as session:
        vera = add_volunteer(session, runtime.vault, name="Vera", number="+13125550161")
        omar = add_volunteer(session, runtime.vault, name="Omar", number="+13125550173")
        shift = add_shift(session, volunteer_id=vera.id)
        add_shift(
            session,
            volunteer_id=omar.id,
            starts_at=now + timedelta(days=1),
            ends_at=now + timedelta(days=1, hours=4),
            weekly=True,
        )
        assert shift.id is not None
        assert omar.id is not None
        service.create_override(
            session=session,
            override_in=OverrideCreate(
                shift_id=shift.id, volunteer_id=omar.id, starts_at=now, ends_at=now + HOUR
            ),
            user=None,
        )
        session.add(
            CallRecord(
                call_ref="ref0",
                language="es",
                started_at=now - 2 * HOUR,
                urgent_at=now - 2 * HOUR,
                first_ring_at=now - 2 * HOUR + timedelta(seconds=8),
                answered_at=now - 2 * HOUR + timedelta(seconds=20),
                tier_reached=1,
                outcome="answered",
                accepted_by=omar.id,
            )
        )
        _, token = auth_service.create_user(session=session, name="Coordinator", role="coordinator")
    APP_UNDER_TEST.app = app
    yield {"Authorization": f"Bearer {token}"}
    APP_UNDER_TEST.app = None


def test_the_run_covers_the_api_and_nothing_else() -> None:
    document = _loaded.raw_schema["paths"]
    api = {
        f"{method.upper()} {path}"
        for path, operations in document.items()
        if path.startswith(f"{roster_router.prefix}/")
        for method in operations
    }
    selected = {result.ok().label for result in schema.get_all_operations()}
    assert api
    assert selected == api


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # One database per operation, shared by its examples: that is the point of the seed.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_roster_api_conforms_to_its_schema(
    case: schemathesis.Case, coordinator: dict[str, str]
) -> None:
    case.call_and_validate(headers=coordinator)
