"""The SMS webhooks."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from anyio import to_thread
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hotline.callbacks import service as callbacks
from hotline.callbacks.messages import TAKEN, UNKNOWN, YOURS
from hotline.callers.service import Remember
from hotline.db import aware, transaction
from hotline.deps import Runtime, runtime_of, verified_form
from hotline.dispositions import service as dispositions
from hotline.events.recorder import Write
from hotline.i18n.languages import first_spoken, language_name
from hotline.i18n.translator import Translator
from hotline.models import SmsCase, Volunteer
from hotline.outbox.service import StatusReport
from hotline.routing.service import person
from hotline.sms import flow, messages, relay, twiml
from hotline.sms import service as sms_service
from hotline.telephony.numbers import region, textable
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
    answered = _from_memory(runtime, form)
    if answered is not None:
        return _xml(twiml.replies(answered))
    answer = await to_thread.run_sync(_from_volunteer, runtime, form)
    if answer is not None:
        return _xml(twiml.replies(answer))
    texts = await to_thread.run_sync(_converse, runtime, form)
    return _xml(twiml.replies(texts))


def _from_memory(runtime: Runtime, form: dict[str, list[str]]) -> list[str] | None:
    """Most texts (a menu, a keyword's answer) are answered from memory and their notes
    spooled, so a texter never waits on the database. None: take the database path."""
    memory = runtime.sms_memory
    sender, sid = first(form, "From"), first(form, "MessageSid") or first(form, "SmsSid")
    if not memory.ready or not sender or not sid or not MESSAGE_SID.fullmatch(sid):
        return None
    if not textable(sender):
        return None
    if runtime.vault.fingerprint(sender, purpose="volunteer") in runtime.roster.snapshot.phone_keys:
        return None
    keyring, now = runtime.keyring, datetime.now(UTC)
    epochs = keyring.live_epochs(now)
    keys = [keyring.pseudonym(sender, epoch=epoch) for epoch in epochs]
    if any(key in memory.opted_out or key in memory.open_cases for key in keys):
        return None
    known = runtime.preferences.language(keys, now=now)
    texter = flow.Texter(language=known if known in runtime.catalogs.languages else None)
    inbound = flow.Inbound(first(form, "Body") or "", _count(first(form, "NumMedia")))
    reply = flow.respond(texter, inbound, runtime.sms)
    if reply.opt_out or reply.opt_in or reply.delete or reply.note == "sms.urgent":
        return None
    texts = [_render(runtime, text) for text in reply.texts]
    if not memory.first_time(sid):
        # A retried webhook: answered again, acted on once.
        return texts if _may_answer(runtime, sender) else []
    writes: list[Write] = [sms_service.ReceivedText(sid, keys[0], epochs[0], now)]
    if reply.set_language is not None:
        writes.append(Remember(keys[0], epochs[0], reply.set_language, now))
        runtime.preferences.remember(keys[0], reply.set_language, now)
    runtime.recorder.record(writes)
    if not _may_answer(runtime, sender):
        return []
    if memory.count(keys[0], now) > runtime.settings.sms_reply_cap:
        return []
    return texts


def _may_answer(runtime: Runtime, sender: str) -> bool:
    """Numbers from outside the configured countries get no answer."""
    return region(sender) in runtime.settings.sms_countries


def _xml(document: str) -> Response:
    return Response(content=document, media_type="application/xml")


def _converse(runtime: Runtime, form: dict[str, list[str]]) -> list[str]:
    """One step of the conversation; the texts to answer with (none for some)."""
    sender, sid = first(form, "From"), first(form, "MessageSid") or first(form, "SmsSid")
    if not sender or not sid or not MESSAGE_SID.fullmatch(sid) or not textable(sender):
        return []
    keyring, now = runtime.keyring, datetime.now(UTC)
    epochs = keyring.live_epochs(now)
    keys = [keyring.pseudonym(sender, epoch=epoch) for epoch in epochs]
    inbound = flow.Inbound(first(form, "Body") or "", _count(first(form, "NumMedia")))
    parties = (sender, first(form, "To") or "")
    try:
        reply, flooded = _step(runtime, sid, keys, epochs, inbound, now, parties, act=True)
    except IntegrityError:
        # The same text at the same moment from a retried webhook: answer, do nothing.
        reply, flooded = _step(runtime, sid, keys, epochs, inbound, now, parties, act=False)
    if not _may_answer(runtime, sender):
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
    parties: tuple[str, str],
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
            reply = _act(runtime, session, reply, keys, epochs, sid, now, inbound, parties)
    return reply, flooded


def _act(
    runtime: Runtime,
    session: Session,
    reply: flow.Reply,
    keys: list[str],
    epochs: list[int],
    sid: str,
    now: datetime,
    inbound: flow.Inbound,
    parties: tuple[str, str],
) -> flow.Reply:
    """Remember or forget what the reply says to, once per text; relay to a volunteer.
    Returns the reply to send, which a relayed conversation may replace."""
    case = relay.open_case_of(session, keys=keys)
    memory = runtime.sms_memory
    memory.first_time(sid)
    if reply.opt_out:
        sms_service.opt_out(session, keys=keys, epochs=epochs, at=now)
        memory.opted_out.update(keys)
    if reply.opt_in:
        sms_service.opt_in(session, keys=keys)
        memory.opted_out.difference_update(keys)
    if reply.delete:
        if case is not None:
            _end_case(runtime, session, case, now, tell_texter=False)
        sms_service.erase(session, keys=keys, keep_sid=sid)
        runtime.preferences.forget(keys)
        return reply
    if reply.set_language is not None:
        Remember(keys[0], epochs[0], reply.set_language, now).apply(session)
        runtime.preferences.remember(keys[0], reply.set_language, now)
    if reply.opt_out or reply.opt_in or reply.note == "sms.ignored":
        return reply
    lang = reply.set_language or sms_service.language(session, keys=keys) or ""
    if case is not None and case.status == "claimed" and case.volunteer_id is not None:
        number = callbacks.volunteer_number(session, runtime.vault, case.volunteer_id)
        if number is not None and inbound.body.strip():
            relay.touch(session, case=case, now=now)
            relay.send(
                session,
                vault=runtime.vault,
                keyring=runtime.keyring,
                sender=case.sender,
                recipient=number,
                body=f"[{case.code}] {inbound.body.strip()}",
                key=f"relay:{sid}",
                now=now,
                expires_in=timedelta(minutes=runtime.settings.sms_expiry_minutes),
            )
        return flow.Reply(note="sms.relayed")
    if case is not None or reply.note == "sms.urgent":
        if case is None and lang in runtime.catalogs.languages and parties[1]:
            _open_case(runtime, session, keys[0], lang, inbound.body, now, parties)
            memory.open_cases.add(keys[0])
        language = lang if lang in runtime.catalogs.languages else runtime.settings.default_language
        return flow.Reply((flow.Text(messages.CASE_OPENED, language),), note="sms.case")
    return reply


def _open_case(
    runtime: Runtime,
    session: Session,
    texter_key: str,
    lang: str,
    first_text: str,
    now: datetime,
    parties: tuple[str, str],
) -> None:
    """A case for this texter, and a text to each on-call volunteer who reads `lang`."""
    texter, sender_number = parties
    alerts = callbacks.alert_list(
        runtime.roster.snapshot.on_call(now),
        language=lang,
        enabled=runtime.catalogs.languages,
        phone=runtime.open_phone,
    )
    if not alerts and runtime.settings.backup_number:
        alerts = [callbacks.Alert(callbacks.BACKUP_VOLUNTEER, runtime.settings.backup_number, lang)]
    case = relay.open_case(
        session,
        texter=texter,
        texter_key=texter_key,
        sender=sender_number,
        language=lang,
        vault=runtime.vault,
        alerts=alerts,
        now=now,
    )
    catalogs = runtime.catalogs
    for alert in alerts:
        name = language_name(lang, catalogs.registry, in_language=alert.lang)
        body = catalogs.translator(alert.lang)(
            messages.CASE_ALERT, language=name, first=first_text.strip()[:200], code=case.code
        )
        relay.send(
            session,
            vault=runtime.vault,
            keyring=runtime.keyring,
            sender=sender_number,
            recipient=alert.number,
            body=body,
            key=f"case:{case.id}:alert:{alert.volunteer_id}",
            now=now,
            expires_in=timedelta(minutes=runtime.settings.sms_expiry_minutes),
            purpose="case",
        )


def _end_case(
    runtime: Runtime, session: Session, case: SmsCase, now: datetime, *, tell_texter: bool
) -> None:
    """Close a case; tell the texter, in their language, unless they asked to be forgotten."""
    texter = relay.texter_number(case, runtime.vault)
    if tell_texter and texter is not None:
        body = runtime.catalogs.translator(case.language)(messages.CASE_ENDED)
        relay.send(
            session,
            vault=runtime.vault,
            keyring=runtime.keyring,
            sender=case.sender,
            recipient=texter,
            body=body,
            key=f"case:{case.id}:ended",
            now=now,
            expires_in=timedelta(minutes=runtime.settings.sms_expiry_minutes),
        )
    relay.close(session, case=case, now=now)
    runtime.sms_memory.open_cases.discard(case.texter_key)


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


CASE_CODE = re.compile(r"(\d{4})\s+(.+)", re.DOTALL)
DONE = re.compile(r"\s*done\s*(\d{4})\s*", re.IGNORECASE)
BREAK = re.compile(r"\s*break\s*(\d{1,3})\s*", re.IGNORECASE)
MAX_BREAK_MINUTES = 720


def _from_volunteer(runtime: Runtime, form: dict[str, list[str]]) -> list[str] | None:
    """A registered volunteer's text: a command, or their words for the texter they help.
    None when the sender is not an active volunteer."""
    sender, sid = first(form, "From"), first(form, "MessageSid") or first(form, "SmsSid")
    body = (first(form, "Body") or "").strip()
    if not sender or not sid or not MESSAGE_SID.fullmatch(sid) or not textable(sender):
        return None
    now = datetime.now(UTC)
    key = runtime.vault.fingerprint(sender, purpose="volunteer")
    try:
        with transaction(runtime.engine) as session:
            volunteer = session.exec(select(Volunteer).where(Volunteer.phone_key == key)).first()
            if volunteer is None or volunteer.id is None or not volunteer.active:
                return None
            if sms_service.seen(session, message_sid=sid):
                return []
            epoch = runtime.keyring.current_epoch(now)
            sms_service.receive(
                session,
                message_sid=sid,
                contact_key=runtime.keyring.pseudonym(sender, epoch=epoch),
                key_epoch=epoch,
                at=now,
            )
            lang = _first_language(runtime, tuple(volunteer.languages.split(",")))
            answer = _command(runtime, session, volunteer, sender, body, lang, sid, now)
    except IntegrityError:
        return []
    if answer:
        runtime.roster.refresh()
    return answer


def _command(
    runtime: Runtime,
    session: Session,
    volunteer: Volunteer,
    sender: str,
    body: str,
    lang: str,
    sid: str,
    now: datetime,
) -> list[str]:
    t = runtime.catalogs.translator(lang)
    assert volunteer.id is not None
    word = flow.normalize(body)
    accept = ACCEPT.fullmatch(body)
    if accept:
        return [_accept_callback(runtime, session, volunteer, sender, accept.group(1), t, now)]
    noted = dispositions.answer_text(
        session=session, volunteer_id=volunteer.id, body=body, t=t, now=now
    )
    if noted is not None:
        return [noted]
    case_accept = re.fullmatch(r"\s*accept\s*(\d{4})\s*", body, re.IGNORECASE)
    if case_accept:
        return [_accept_case(runtime, session, volunteer.id, case_accept.group(1), t, now)]
    done = DONE.fullmatch(body)
    if done:
        for case in relay.cases_of(session, volunteer_id=volunteer.id):
            if case.code == done.group(1):
                _end_case(runtime, session, case, now, tell_texter=True)
                return [t(messages.CASE_CLOSED, code=case.code)]
        return [t(UNKNOWN, code=done.group(1))]
    pause = BREAK.fullmatch(body)
    if word in ("ON", "OFF") or pause:
        minutes = min(int(pause.group(1)), MAX_BREAK_MINUTES) if pause else 0
        volunteer.availability = "break" if pause else word.lower()
        volunteer.break_until = now + timedelta(minutes=minutes) if pause else None
        volunteer.updated_at = now
        session.add(volunteer)
        session.flush()
        return [_status(runtime, volunteer, t, now)]
    if word == "STATUS":
        return [_status(runtime, volunteer, t, now)]
    cases = relay.cases_of(session, volunteer_id=volunteer.id)
    coded = CASE_CODE.fullmatch(body)
    target = next((c for c in cases if coded and c.code == coded.group(1)), None)
    text = coded.group(2).strip() if target is not None and coded else body
    if target is None and len(cases) == 1 and word not in ("HELP", "COMMANDS"):
        target = cases[0]
    if target is not None and text:
        texter = relay.texter_number(target, runtime.vault)
        if texter is not None:
            relay.touch(session, case=target, now=now)
            relay.send(
                session,
                vault=runtime.vault,
                keyring=runtime.keyring,
                sender=target.sender,
                recipient=texter,
                body=text,
                key=f"relay:{sid}",
                now=now,
                expires_in=timedelta(minutes=runtime.settings.sms_expiry_minutes),
            )
            return []
    return [t(messages.COMMANDS)]


def _status(runtime: Runtime, volunteer: Volunteer, t: Translator, now: datetime) -> str:
    # The snapshot may not know yet what this very text changed: judge by the row.
    on_call = volunteer.id in runtime.roster.snapshot.scheduled(now) and person(
        volunteer
    ).available(now)
    available = volunteer.availability
    if available == "break" and volunteer.break_until is not None:
        until = aware(volunteer.break_until).astimezone(runtime.settings.zone)
        available = f"break {until:%H:%M}"
    message = messages.ON_CALL_NOW if on_call else messages.OFF_CALL_NOW
    return t(message, availability=available)


def _accept_case(
    runtime: Runtime, session: Session, volunteer_id: int, code: str, t: Translator, now: datetime
) -> str:
    result, case = relay.claim(session, code=code, volunteer_id=volunteer_id, now=now)
    if case is None:
        return t(UNKNOWN, code=code)
    if result == "won":
        others = [
            person
            for person in runtime.roster.snapshot.people.values()
            if str(person.id) in case.alerted.split(",") and person.id != volunteer_id
        ]
        for person in others:
            other_t = runtime.catalogs.translator(_first_language(runtime, person.languages))
            relay.send(
                session,
                vault=runtime.vault,
                keyring=runtime.keyring,
                sender=case.sender,
                recipient=runtime.open_phone(person),
                body=other_t(messages.CASE_TAKEN, code=code),
                key=f"case:{case.id}:taken:{person.id}",
                now=now,
                expires_in=timedelta(minutes=runtime.settings.sms_expiry_minutes),
                purpose="case",
            )
    if result in ("won", "yours"):
        return t(messages.CASE_YOURS, code=code)
    return t(messages.CASE_TAKEN, code=code)


def _accept_callback(
    runtime: Runtime,
    session: Session,
    volunteer: Volunteer,
    sender: str,
    code: str,
    t: Translator,
    now: datetime,
) -> str:
    """A volunteer claims callback `code`; the hotline will call them, then the caller."""
    assert volunteer.id is not None
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
    message = {"won": YOURS, "yours": YOURS, "taken": TAKEN, "unknown": UNKNOWN}[result]
    return t(message, code=code)


def _first_language(runtime: Runtime, languages: tuple[str, ...]) -> str:
    return first_spoken(
        languages, runtime.catalogs.languages, fallback=runtime.settings.default_language
    )


def close_quiet_cases(runtime: Runtime) -> int:
    """Close the text cases nobody wrote in for a while; their sealed numbers go too."""
    now = datetime.now(UTC)
    idle = timedelta(minutes=runtime.settings.sms_case_idle_minutes)
    with transaction(runtime.engine) as session:
        quiet = relay.quiet(session, now=now, idle=idle)
        for case in quiet:
            _end_case(runtime, session, case, now, tell_texter=True)
    return len(quiet)
