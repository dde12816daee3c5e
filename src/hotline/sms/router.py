"""The SMS webhooks."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response

from hotline.deps import RuntimeDep, TwilioForm
from hotline.outbox.service import StatusReport
from hotline.sms import flow, twiml
from hotline.telephony.webhooks import first, parse_query

router = APIRouter(prefix="/twilio", tags=["twilio"])

STATUS_PATH = "/twilio/sms/status"


@router.post("/sms")
async def incoming_message(form: TwilioForm, runtime: RuntimeDep) -> Response:
    """Answer a text, in every enabled language, with how to reach help by phone."""
    del form  # verified, and nothing in it is kept
    catalogs = runtime.catalogs
    text = "\n\n".join(catalogs.translator(code)(flow.CALL_US) for code in catalogs.languages)
    return Response(content=twiml.reply(text), media_type="application/xml")


@router.post(STATUS_PATH.removeprefix("/twilio"), status_code=204)
async def message_status(request: Request, form: TwilioForm, runtime: RuntimeDep) -> Response:
    """Twilio's word on a message we sent; duplicates and late arrivals change nothing."""
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
