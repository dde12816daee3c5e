"""What the HTTP edge needs, as Annotated dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from hotline.callers.service import PreferenceCache
from hotline.config import Settings
from hotline.events.recorder import Recorder
from hotline.i18n.catalogs import Catalogs
from hotline.privacy.pseudonym import Keyring
from hotline.privacy.vault import Vault
from hotline.telephony.gateway import Gateway
from hotline.telephony.signature import SIGNATURE_HEADER, SignatureChecker
from hotline.telephony.webhooks import FORM_TYPE, parse_form
from hotline.voice.flow import Hotline
from hotline.voice.twiml import Renderer


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
    # The rights script as text messages, per language, split and numbered at start-up.
    rights_texts: dict[str, tuple[str, ...]]
    # Rendered at start-up, so the last resort needs no catalog lookup at all.
    static_fallback: str


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
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    form = parse_form(body) if content_type.startswith(FORM_TYPE) else {}
    runtime.signatures.check(
        path=request.url.path,
        query=request.url.query,
        params=form,
        signature=request.headers.get(SIGNATURE_HEADER),
    )
    return form
