"""The SMS webhooks."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import phonenumbers
from anyio import to_thread
from phonenumbers import region_code_for_number
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hotline.callbacks import service as callbacks
from hotline.callbacks.messages import TAKEN, UNKNOWN, YOURS
from hotline.callers.service import Remember
from hotline.db import transaction
from hotline.deps import Runtime, runtime_of, verified_form
from hotline.models import Volunteer
from hotline.outbox.service import StatusReport
from hotline.sms import flow, twiml
from hotline.sms import service as sms_service
from hotline.telephony.numbers import textable
from hotline.telephony.webhooks import first, parse_query

SMS_PATH = "/twilio/sms"
STATUS_PATH = "/twilio/sms/status"


ACCEPT = re.compile(r"\s*accept\s*(\d{6})\s*", re.IGNORECASE)
# Twilio's ids ("SM" and 32 hex digits); anything else would not fit sms_inbound.
MESSAGE_SID = re.compile(r"[A-Za-z0-9]{1,40}")


async def incoming_message(request: Request) -> Response:
    """Answer a text: a volunteer's ACCEPT claims a callback; anyone else is in a
    conversation in their language, keywords first."""
    runtime = runtime_of(request)
    form = await verified_form(request, runtime)
    sender, body = first(form, "From"), first(form, "Body") or ""
    accept = ACCEPT.fullmatch(body)
    if accept and sender:
        answer = await to_thread.run_sync(_accept, runtime, sender, accept.group(1))
        if answer is not None:
            return _xml(twiml.reply(answer))
    texts = await to_thread.run_sync(_converse, runtime, form)
    return _xml(twiml.replies(texts))


def _xml(document: str) -> Response:
    return Response(content=document, media_type="application/xml")


def _converse(runtime: Runtime, form: dict[str, list[str]]) -> list[str]:
    """One step of the conversation; the texts to answer with (none for some)."""
    sender, sid = first(form, "From"), first(form, "MessageSid") or first(form, "SmsSid")
    if not sender or not sid or not MESSAGE_SID.fullmatch(sid) or not textable(sender):
        return []
    settings = runtime.settings
    keyring, now = runtime.keyring, datetime.now(UTC)
    epochs = keyring.live_epochs(now)
    keys = [keyring.pseudonym(sender, epoch=epoch) for epoch in epochs]
    inbound = flow.Inbound(first(form, "Body") or "", _count(first(form, "NumMedia")))
    try:
        reply, flooded = _step(runtime, sid, keys, epochs, inbound, now, act=True)
    except IntegrityError:
        # The same text at the same moment from a retried webhook: answer, do nothing.
        reply, flooded = _step(runtime, sid, keys, epochs, inbound, now, act=False)
    if region_code_for_number(phonenumbers.parse(sender)) not in settings.sms_countries:
        return []
    if flooded and not (reply.opt_out or reply.opt_in):
        return []
    return [_render(runtime, text) for text in reply.texts]


def _step(
    runtime: Runtime,
    sid: str,
    keys: list[str],
    epochs: list[int],
    inbound: flow.Inbound,
    now: datetime,
    *,
    act: bool,
) -> tuple[flow.Reply, bool]:
    with transaction(runtime.engine) as session:
        first_time = act and not sms_service.seen(session, message_sid=sid)
        if first_time:
            sms_service.receive(
                session, message_sid=sid, contact_key=keys[0], key_epoch=epochs[0], at=now
            )
        known = sms_service.language(session, keys=keys)
        texter = flow.Texter(
            language=known if known in runtime.catalogs.languages else None,
            opted_out=sms_service.opted_out(session, keys=keys),
        )
        reply = flow.respond(texter, inbound, runtime.sms)
        flooded = (
            sms_service.recent(session, keys=keys, since=now - sms_service.FLOOD_WINDOW)
            > runtime.settings.sms_reply_cap
        )
        if first_time:
            _act(runtime, session, reply, keys, epochs, sid, now)
    return reply, flooded


def _act(
    runtime: Runtime,
    session: Session,
    reply: flow.Reply,
    keys: list[str],
    epochs: list[int],
    sid: str,
    now: datetime,
) -> None:
    """Remember or forget what the reply says to, once per text."""
    if reply.opt_out:
        sms_service.opt_out(session, keys=keys, epochs=epochs, at=now)
    if reply.opt_in:
        sms_service.opt_in(session, keys=keys)
    if reply.delete:
        sms_service.erase(session, keys=keys, keep_sid=sid)
        runtime.preferences.forget(keys)
    if reply.set_language is not None:
        Remember(keys[0], epochs[0], reply.set_language, now).apply(session)
        runtime.preferences.remember(keys[0], reply.set_language, now)


def _render(runtime: Runtime, text: flow.Text) -> str:
    if text.message is None or text.lang is None:
        return text.raw
    return runtime.catalogs.translator(text.lang)(text.message, **dict(text.params))


def _count(value: str | None) -> int:
    # isdigit() admits "²", which int() refuses; a few ASCII digits are all Twilio sends.
    return int(value) if value and len(value) <= 3 and value.isascii() and value.isdigit() else 0


async def message_status(request: Request) -> Response:
    """Twilio's word on a message we sent; duplicates and late arrivals change nothing."""
    runtime = runtime_of(request)
    form = await verified_form(request, runtime)
    message = parse_query(request.url.query).get("message", "")
    status = first(form, "MessageStatus") or first(form, "SmsStatus")
    error = first(form, "ErrorCode")
    if status:
        runtime.recorder.record(
            [
                StatusReport(
                    message_id=int(message) if message.isdigit() else None,
                    sid=first(form, "MessageSid") or "",
                    status=status,
                    error_code=int(error) if error and error.isdigit() else None,
                    at=datetime.now(UTC),
                )
            ]
        )
    return Response(status_code=204)


routes = [
    Route(SMS_PATH, incoming_message, methods=["POST"]),
    Route(STATUS_PATH, message_status, methods=["POST"]),
]


def _accept(runtime: Runtime, sender: str, code: str) -> str | None:
    """A volunteer claims callback `code`; None when the sender is no volunteer."""
    now = datetime.now(UTC)
    key = runtime.vault.fingerprint(sender, purpose="volunteer")
    with transaction(runtime.engine) as session:
        volunteer = session.exec(select(Volunteer).where(Volunteer.phone_key == key)).first()
        if volunteer is None or volunteer.id is None or not volunteer.active:
            return None
        result, callback = callbacks.claim(session, code=code, volunteer_id=volunteer.id, now=now)
        if result == "won" and callback is not None and callback.id is not None:
            callbacks.call_volunteer(
                session,
                callback=callback,
                number=sender,
                volunteer_id=volunteer.id,
                url=runtime.callback_renderer.url(callbacks.CALLBACK_PATH, callback.id),
                vault=runtime.vault,
                keyring=runtime.keyring,
                now=now,
                expires_in=timedelta(minutes=10),
            )
            others = [
                person
                for person in runtime.roster.snapshot.people.values()
                if str(person.id) in callback.alerted.split(",") and person.id != volunteer.id
            ]
            alerts = [
                callbacks.Alert(p.id, runtime.open_phone(p), _first_language(runtime, p.languages))
                for p in others
            ]
            runtime.callback_texts(TAKEN).enqueue(
                session, callback=callback, alerts=alerts, round_="taken", now=now
            )
        language = _first_language(runtime, tuple(volunteer.languages.split(",")))
    message = {"won": YOURS, "yours": YOURS, "taken": TAKEN, "unknown": UNKNOWN}[result]
    return runtime.catalogs.translator(language)(message, code=code)


def _first_language(runtime: Runtime, languages: tuple[str, ...]) -> str:
    spoken = [code for code in languages if code in runtime.catalogs.languages]
    return spoken[0] if spoken else runtime.settings.default_language
