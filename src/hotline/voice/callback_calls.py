"""The calls the hotline places for a callback: the volunteer screened first, then the
caller rung from the hotline's number; only for the very call the hotline placed."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from anyio import to_thread
from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hotline.callbacks import service as callbacks
from hotline.db import transaction
from hotline.deps import Runtime, runtime_of, verified_form
from hotline.i18n.languages import first_spoken
from hotline.models import ClaimStatus, OutboxMessage
from hotline.outbox import service as outbox_service
from hotline.telephony.webhooks import first, parse_query

log = logging.getLogger(__name__)


async def callback_call(request: Request) -> Response:
    """The hotline called a volunteer back for a caller: screen them first."""
    runtime = runtime_of(request)
    form = await verified_form(request, runtime)
    found = await to_thread.run_sync(_open_callback_row, runtime, request, form)
    renderer = runtime.callback_renderer
    if found is None:
        return _twiml(renderer.goodbye())
    held, lang = found
    callback = held.callback
    assert callback.id is not None
    return _twiml(
        renderer.screen(lang=lang, caller_lang=callback.language, callback_id=callback.id)
    )


async def callback_connect(request: Request) -> Response:
    """The volunteer pressed a key: on 1, ring the caller from the hotline's number."""
    runtime = runtime_of(request)
    form = await verified_form(request, runtime)
    found = await to_thread.run_sync(_open_callback_row, runtime, request, form)
    renderer = runtime.callback_renderer
    if found is None or first(form, "Digits") != "1":
        return _twiml(renderer.goodbye())
    held, lang = found
    callback = held.callback
    caller = callbacks.caller_number(callback, runtime.vault)
    if caller is None or callback.id is None:
        return _twiml(renderer.goodbye())
    return _twiml(
        renderer.connect(
            lang=lang,
            caller_lang=callback.language,
            caller=caller,
            sender=callback.sender,
            callback_id=callback.id,
        )
    )


async def callback_done(request: Request) -> Response:
    """The dial to the caller ended: done if they spoke, open again if they did not."""
    runtime = runtime_of(request)
    form = await verified_form(request, runtime)
    status = first(form, "DialCallStatus") or ""
    spoke = status == "completed"
    lang = await to_thread.run_sync(_close_callback, runtime, request, form, spoke)
    return _twiml(runtime.callback_renderer.goodbye(lang=lang))


def _callback_id(request: Request) -> int | None:
    value = parse_query(request.url.query).get("cb", "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def _placed_by_us(
    session: Session, runtime: Runtime, form: dict[str, list[str]], callback_id: int
) -> bool:
    """Whether this request is about the very call the hotline placed for the callback:
    a signed request about any other call (a replayed one, say) is not."""
    call_sid = first(form, "CallSid") or ""
    ref = outbox_service.carrier_ref(runtime.vault, call_sid)
    placed = session.exec(
        select(OutboxMessage.idempotency_key)
        .where(OutboxMessage.carrier_ref == ref)
        .where(OutboxMessage.kind == "call")
    ).first()
    return bool(call_sid) and placed is not None and f":callback:{callback_id}:call:" in placed


def _open_callback_row(
    runtime: Runtime, request: Request, form: dict[str, list[str]]
) -> tuple[callbacks.Held, str] | None:
    """The claimed callback a callback call is about, and the language to speak to the
    volunteer (their first; the default for the backup)."""
    callback_id = _callback_id(request)
    if callback_id is None:
        return None
    with Session(runtime.engine, expire_on_commit=False) as session:
        if not _placed_by_us(session, runtime, form, callback_id):
            return None
        held = callbacks.held(session, callback_id)
    if held is None:
        return None
    return held, _volunteer_language(runtime, held.holder.volunteer_id)


def _close_callback(
    runtime: Runtime, request: Request, form: dict[str, list[str]], spoke: bool
) -> str | None:
    """End the callback (the sealed number with it) or open it again; the volunteer's
    language when they should hear that the caller did not answer."""
    callback_id = _callback_id(request)
    if callback_id is None:
        return None
    now = datetime.now(UTC)
    with transaction(runtime.engine) as session:
        if not _placed_by_us(session, runtime, form, callback_id):
            return None
        held = callbacks.held(session, callback_id)
        if held is None:
            return None
        lang = _volunteer_language(runtime, held.holder.volunteer_id)
        if spoke:
            callbacks.finish(session, held=held, status=ClaimStatus.DONE, now=now)
            return None
        callbacks.release(session, held=held, now=now)
        return lang


def _volunteer_language(runtime: Runtime, volunteer_id: int | None) -> str:
    person = runtime.roster.snapshot.people.get(volunteer_id or 0)
    return first_spoken(
        person.languages if person else (),
        runtime.catalogs.languages,
        fallback=runtime.settings.default_language,
    )


routes = [
    Route(callbacks.CALLBACK_PATH, callback_call, methods=["POST"]),
    Route(callbacks.CALLBACK_CONNECT_PATH, callback_connect, methods=["POST"]),
    Route(callbacks.CALLBACK_DONE_PATH, callback_done, methods=["POST"]),
]


def _twiml(xml: str) -> Response:
    return Response(content=xml, media_type="application/xml")
