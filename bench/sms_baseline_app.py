"""The baseline: an inbound-SMS webhook written the way Twilio's quickstarts write one.

One async handler parses the form, checks the signature with the SDK's validator and
answers with `MessagingResponse().message(...)`, built on every request. No database,
no dedupe, no flood cap, no languages. Run it with uvicorn the way `hotline serve` runs
the service:

    BASELINE_TOKEN=... BASELINE_PUBLIC_URL=http://127.0.0.1:PORT \\
        .venv/bin/python -m uvicorn bench.sms_baseline_app:app --host 127.0.0.1 \\
        --port PORT --no-access-log --log-level warning

Starlette's `request.form()` needs the python-multipart package, which the quickstarts
install and this project does not depend on. Without it the form is parsed with the
standard library into the same FormData; FORM_PARSER says which one is in use.
"""

from __future__ import annotations

from fastapi import Request, Response
from twilio.twiml.messaging_response import MessagingResponse

from bench.harness import FORM_PARSER, baseline_app, required_env, signature_guard

SMS_PATH = "/twilio/sms"

__all__ = ["FORM_PARSER", "app"]

# About as long as the service's English answer to INFO.
INFO_TEXT = (
    "This hotline is run by volunteers for people facing immigration enforcement. "
    "For urgent help, call this number. Reply STOP to get no more texts."
)


TOKEN = required_env("BASELINE_TOKEN")
PUBLIC_URL = required_env("BASELINE_PUBLIC_URL").rstrip("/")

app = baseline_app()
reject_unsigned = signature_guard(TOKEN, PUBLIC_URL)


@app.post(SMS_PATH)
async def sms(request: Request) -> Response:
    """Answer an inbound text with the information text, if Twilio signed the request."""
    rejection = await reject_unsigned(request)
    if rejection is not None:
        return rejection

    response = MessagingResponse()
    response.message(INFO_TEXT)
    return Response(str(response), media_type="application/xml")
