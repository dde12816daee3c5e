"""The raid-night baseline: the quickstarts' voice and SMS webhooks in one app.

Every voice request (a new call or a key) is answered with the quickstart's two-language
menu, whose <Gather> sends the next key back to /twilio/voice/next; every text with the
information text. Signatures are checked with the SDK; nothing is stored. Run two of
them the way bench/raid_night.py runs two service processes.
"""

from __future__ import annotations

from fastapi import Request, Response
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from bench.harness import FORM_PARSER, baseline_app, required_env, signature_guard
from bench.sms_baseline_app import INFO_TEXT

__all__ = ["FORM_PARSER", "app"]

TOKEN = required_env("BASELINE_TOKEN")
PUBLIC_URL = required_env("BASELINE_PUBLIC_URL").rstrip("/")

app = baseline_app()
reject_unsigned = signature_guard(TOKEN, PUBLIC_URL)


async def _menu(request: Request) -> Response:
    rejection = await reject_unsigned(request)
    if rejection is not None:
        return rejection
    response = VoiceResponse()
    gather = response.gather(
        action=PUBLIC_URL + "/twilio/voice/next",
        num_digits=1,
        timeout=5,
        action_on_empty_result=True,
    )
    gather.say("For English, press 1.", language="en-US")
    gather.say("Para español, oprima 2.", language="es-US")
    return Response(str(response), media_type="application/xml")


@app.post("/twilio/voice")
async def voice(request: Request) -> Response:
    """A new call: the menu."""
    return await _menu(request)


@app.post("/twilio/voice/next")
async def voice_next(request: Request) -> Response:
    """A key: the menu again."""
    return await _menu(request)


@app.post("/twilio/voice/status")
async def voice_status(request: Request) -> Response:
    """The call ended."""
    rejection = await reject_unsigned(request)
    return rejection or Response(status_code=204)


@app.post("/twilio/sms")
async def sms(request: Request) -> Response:
    """A text: the information text."""
    rejection = await reject_unsigned(request)
    if rejection is not None:
        return rejection
    response = MessagingResponse()
    response.message(INFO_TEXT)
    return Response(str(response), media_type="application/xml")
