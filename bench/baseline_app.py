"""The baseline: a new-call webhook written the way Twilio's quickstarts write one.

One async handler parses the form, checks the signature with the SDK's validator and
builds the language menu with the TwiML builders on every request. No database, no
event log, no caching. Run it with uvicorn the way `hotline serve` runs the service:

    BASELINE_TOKEN=... BASELINE_PUBLIC_URL=http://127.0.0.1:PORT \\
        .venv/bin/python -m uvicorn bench.baseline_app:app --host 127.0.0.1 --port PORT \\
        --no-access-log --log-level warning

Starlette's `request.form()` needs the python-multipart package, which the quickstarts
install and this project does not depend on. Without it the form is parsed with the
standard library into the same FormData; FORM_PARSER says which one is in use.
"""

from __future__ import annotations

from fastapi import Request, Response
from twilio.twiml.voice_response import VoiceResponse

from bench.harness import FORM_PARSER, baseline_app, required_env, signature_guard

VOICE_PATH = "/twilio/voice"
LANGUAGE_PATH = "/twilio/voice/language"

__all__ = ["FORM_PARSER", "app"]


TOKEN = required_env("BASELINE_TOKEN")
PUBLIC_URL = required_env("BASELINE_PUBLIC_URL").rstrip("/")

app = baseline_app()
reject_unsigned = signature_guard(TOKEN, PUBLIC_URL)


@app.post(VOICE_PATH)
async def voice(request: Request) -> Response:
    """Answer a new call with a two-language menu, if Twilio signed the request."""
    rejection = await reject_unsigned(request)
    if rejection is not None:
        return rejection

    response = VoiceResponse()
    gather = response.gather(
        action=PUBLIC_URL + LANGUAGE_PATH,
        num_digits=1,
        timeout=5,
        action_on_empty_result=True,
    )
    gather.say("For English, press 1.", language="en-US")
    gather.say("Para español, oprima 2.", language="es-US")
    return Response(str(response), media_type="application/xml")
