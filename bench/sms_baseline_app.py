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

import os
from importlib.util import find_spec
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request, Response
from starlette.datastructures import FormData, UploadFile
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

SMS_PATH = "/twilio/sms"

HAS_MULTIPART = find_spec("python_multipart") is not None
FORM_PARSER = "python-multipart" if HAS_MULTIPART else "urllib.parse.parse_qsl"

# About as long as the service's English answer to INFO.
INFO_TEXT = (
    "This hotline is run by volunteers for people facing immigration enforcement. "
    "For urgent help, call this number. Reply STOP to get no more texts."
)


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise RuntimeError(f"{name} must be set for the baseline app")
    return value


TOKEN = _required("BASELINE_TOKEN")
PUBLIC_URL = _required("BASELINE_PUBLIC_URL").rstrip("/")

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


async def _form(request: Request) -> FormData:
    if HAS_MULTIPART:
        return await request.form()
    body = (await request.body()).decode("utf-8", "replace")
    fields: list[tuple[str, str | UploadFile]] = list(parse_qsl(body, keep_blank_values=True))
    return FormData(fields)


@app.post(SMS_PATH)
async def sms(request: Request) -> Response:
    """Answer an inbound text with the information text, if Twilio signed the request."""
    form = await _form(request)
    url = PUBLIC_URL + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    signature = request.headers.get("X-Twilio-Signature", "")
    if not RequestValidator(TOKEN).validate(url, form, signature):
        return Response("invalid signature", status_code=403, media_type="text/plain")

    response = MessagingResponse()
    response.message(INFO_TEXT)
    return Response(str(response), media_type="application/xml")
