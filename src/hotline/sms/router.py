"""The SMS webhook."""

from __future__ import annotations

from fastapi import APIRouter, Response

from hotline.deps import RuntimeDep, TwilioForm
from hotline.sms import flow, twiml

router = APIRouter(prefix="/twilio", tags=["twilio"])


@router.post("/sms")
async def incoming_message(form: TwilioForm, runtime: RuntimeDep) -> Response:
    """Answer a text, in every enabled language, with how to reach help by phone."""
    del form  # verified, and nothing in it is kept
    catalogs = runtime.catalogs
    text = "\n\n".join(catalogs.translator(code)(flow.CALL_US) for code in catalogs.languages)
    return Response(content=twiml.reply(text), media_type="application/xml")
