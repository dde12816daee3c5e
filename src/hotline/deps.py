"""What the HTTP edge needs, as Annotated dependencies."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session

from hotline import db
from hotline.auth import service as auth_service
from hotline.callbacks.service import Callbacks
from hotline.callers.service import PreferenceCache
from hotline.claims.alerts import Alerts
from hotline.config import Settings
from hotline.events.recorder import Recorder
from hotline.events.spool import Spool
from hotline.i18n.catalogs import Catalogs
from hotline.models import User
from hotline.outbox.caps import RightsLedger
from hotline.privacy.pseudonym import Keyring
from hotline.privacy.vault import Vault
from hotline.rapid.service import RapidResponse
from hotline.routing.escalation import Tier
from hotline.routing.oncall import Person
from hotline.routing.service import RosterCache, volunteer_phone_place
from hotline.sms.flow import SmsHotline
from hotline.sms.service import SmsMemory
from hotline.sms.texting import Texting
from hotline.telephony.gateway import Gateway
from hotline.telephony.signature import SIGNATURE_HEADER, SignatureChecker
from hotline.telephony.webhooks import BODY, FORM_TYPE, parse_form
from hotline.voice.intents import Hotline
from hotline.voice.twiml import CallbackRenderer, Renderer


@dataclass
class Runtime:
    """Everything built once at start-up that requests share."""

    settings: Settings
    engine: Engine
    catalogs: Catalogs
    hotline: Hotline
    renderer: Renderer
    signatures: SignatureChecker
    keyring: Keyring
    recorder: Recorder
    gateway: Gateway
    vault: Vault
    preferences: PreferenceCache
    roster: RosterCache
    tiers: tuple[Tier, ...]
    callback_renderer: CallbackRenderer
    # Texts to volunteers and the backup number, and callbacks as configured.
    alerts: Alerts
    callbacks: Callbacks
    sms: SmsHotline
    sms_memory: SmsMemory
    # The rights script as text messages, per language, split and numbered at start-up.
    rights_texts: dict[str, tuple[str, ...]]
    # Rendered at start-up, so the last resort needs no catalog lookup at all.
    static_fallback: str
    # Reports, incidents and alerts.
    rapid: RapidResponse
    # When the rights went by text to each number lately, as this process knows it.
    rights_ledger: RightsLedger
    # What must be written, kept on disk until the database has it.
    spool: Spool
    # The text channel, built from the fields above once they exist.
    texting: Texting = field(init=False)

    def open_phone(self, person: Person) -> str:
        """A volunteer's number, opened from its seal for a dial or a text."""
        return self.vault.open(person.phone_sealed, place=volunteer_phone_place(person.phone_key))


def tick_claims(runtime: Runtime) -> int:
    """Expire, announce again or hand to the backup number the callbacks that are due;
    re-alert the text cases whose volunteer left; close the text cases that went quiet."""
    texting = runtime.texting
    texting.close_quiet_cases()
    now = datetime.now(UTC)
    on_call = runtime.roster.snapshot.on_call(now)
    with db.transaction(runtime.engine) as session:
        handled = runtime.callbacks.tick(session, now=now, on_call=on_call)
    return handled + texting.realert_cases()


def runtime_of(request: Request) -> Runtime:
    """The runtime of the app serving `request`."""
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_runtime(request: Request) -> Runtime:
    # async: a plain function would be run in the thread pool on every request.
    return runtime_of(request)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def verified_form(request: Request, runtime: RuntimeDep) -> dict[str, list[str]]:
    """The form of a Twilio webhook whose signature checks out; InvalidSignature otherwise.

    Webhook routes call it directly rather than through FastAPI's dependency
    injection: Twilio waits on every one of them, and the injection costs more than
    the work.
    """
    body = request.scope.get(BODY)
    if body is None:
        body = await request.body()
    content_type = request.headers.get("content-type", "")
    form = parse_form(body) if content_type.startswith(FORM_TYPE) else {}
    # The path and query as the server read them, not request.url (a URL rebuilt from
    # the Host header, which the signature check never uses).
    scope = request.scope
    runtime.signatures.check(
        path=scope["path"],
        query=scope["query_string"].decode("latin-1"),
        params=form,
        signature=request.headers.get(SIGNATURE_HEADER),
    )
    return form


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back if it raises.

    Function-scoped (below), so the commit happens before the response is sent: a client
    never reads a success for a change that then failed to commit.
    """
    with db.transaction(runtime.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]

bearer = HTTPBearer(
    auto_error=False,
    description="An API token, as printed once by `hotline users create`.",
)


def current_user(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    """The user whose bearer token came with the request; Unauthorized without one."""
    if credentials is None:
        raise auth_service.Unauthorized("an API token is required (Authorization: Bearer <token>)")
    return auth_service.authenticate(session=session, token=credentials.credentials)


CurrentUser = Annotated[User, Depends(current_user)]


def coordinator(user: CurrentUser) -> User:
    """The current user, who must be a coordinator; Forbidden otherwise."""
    auth_service.require_coordinator(user=user)
    return user


Coordinator = Annotated[User, Depends(coordinator)]
