"""Trying the hotline without a phone: a call, a text, the texts it sent."""

from __future__ import annotations

import os
import secrets
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hotline.cli.base import DEMO_AREAS, DEMO_HOTLINE, environment, fail, simulate_app

if TYPE_CHECKING:
    from hotline.config import Settings


def simulation_settings(url: str | None) -> Settings:
    """A staging server's settings when TWILIO_AUTH_TOKEN is set; else the demo's."""
    from hotline.config import demo_settings

    if os.environ.get("TWILIO_AUTH_TOKEN"):
        return environment()
    return demo_settings(local_url=url)


def fresh_caller() -> str:
    """A fictional number nobody has used to call the demo yet, most likely."""
    area = secrets.choice(DEMO_AREAS)
    return f"+1{area}55501{secrets.randbelow(100):02d}"


@simulate_app.command("call")
def simulate_call(
    from_: Annotated[
        str | None,
        typer.Option("--from", help="The caller's number (a fresh fictional one by default)."),
    ] = None,
    to: Annotated[str, typer.Option(help="The hotline number called.")] = DEMO_HOTLINE,
    press: Annotated[
        list[str] | None,
        typer.Option(help="Keys to press in order ('-' presses nothing). Repeat or list."),
    ] = None,
    answer: Annotated[
        str,
        typer.Option(
            help="What a rung phone does: accept (answers, presses 1 at the whisper), "
            "decline (presses 2), voicemail (answers, presses nothing), no-answer, busy."
        ),
    ] = "accept",
    url: Annotated[str | None, typer.Option(help="Where the service listens.")] = None,
) -> None:
    """Call the running service the way Twilio does, and print what the caller hears."""
    import httpx

    from hotline.simulator.call import (
        CallSimulator,
        DialAnswer,
        InteractiveKeys,
        ScriptedKeys,
        SimulationError,
    )

    settings = simulation_settings(url)
    token = settings.twilio_auth_token
    assert token is not None
    keys_pressed = [key for entry in press or [] for key in entry.split()]
    keys = ScriptedKeys(keys_pressed) if press else InteractiveKeys()
    outcomes = {
        "accept": DialAnswer(status="completed", keys=("1",)),
        "decline": DialAnswer(status="completed", keys=("2",)),
        "voicemail": DialAnswer(status="completed"),
        "no-answer": DialAnswer(status="no-answer"),
        "busy": DialAnswer(status="busy"),
    }
    if answer not in outcomes:
        raise typer.BadParameter(f"choose one of {', '.join(outcomes)}", param_hint="--answer")
    outcome = outcomes[answer]
    with httpx.Client(base_url=url or settings.public_url, timeout=10) as client:
        simulator = CallSimulator(
            client=client,
            public_url=settings.public_url,
            auth_token=token.get_secret_value(),
            caller=from_ or fresh_caller(),
            hotline=to,
            keys=keys,
            answer=lambda _number: outcome,
        )
        try:
            result = simulator.run()
        except httpx.ConnectError:
            typer.echo(
                f"hotline: nothing answers at {url or settings.public_url}; "
                "start it with 'make run'",
                err=True,
            )
            raise typer.Exit(code=2) from None
        except SimulationError as error:
            typer.echo(f"hotline: the call failed: {error}", err=True)
            raise typer.Exit(code=1) from None
    typer.echo(f"(call ended: {result.ended_by})")


@simulate_app.command("sms")
def simulate_sms(
    text: Annotated[str, typer.Argument(help="What the texter sends.")],
    from_: Annotated[
        str | None,
        typer.Option("--from", help="The texter's number (a fresh fictional one by default)."),
    ] = None,
    to: Annotated[str, typer.Option(help="The hotline number texted.")] = DEMO_HOTLINE,
    wait: Annotated[
        float, typer.Option(min=0, help="Seconds to wait for texts sent through the stand-in.")
    ] = 0.0,
    url: Annotated[str | None, typer.Option(help="Where the service listens.")] = None,
) -> None:
    """Text the running service the way Twilio does, and print what it answers."""
    import time
    import xml.etree.ElementTree as ET

    import httpx

    from hotline.sms.paths import SMS_PATH

    settings = simulation_settings(url)
    from_ = from_ or fresh_caller()
    token = settings.twilio_auth_token
    assert token is not None
    base = url or settings.public_url
    params = {
        "MessageSid": f"SM{secrets.token_hex(16)}",
        "AccountSid": settings.twilio_account_sid,
        "From": from_,
        "To": to,
        "Body": text,
        "NumMedia": "0",
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
    }
    signature = _twilio_signature(token.get_secret_value(), settings.public_url + SMS_PATH, params)
    try:
        before = _standin_texts(base, settings, to=from_) if settings.uses_local_standin else None
        answer = httpx.post(
            f"{base}{SMS_PATH}", data=params, headers={"X-Twilio-Signature": signature}, timeout=10
        )
    except httpx.ConnectError:
        raise fail(f"nothing answers at {base}; start it with 'make run'") from None
    if answer.status_code != 200:
        typer.echo(f"hotline: the service answered HTTP {answer.status_code}", err=True)
        raise typer.Exit(code=1)
    try:
        # Our own service's answer, from the address this command was given.
        root = ET.fromstring(answer.content)  # noqa: S314
    except ET.ParseError as error:
        typer.echo(f"hotline: the service answered broken XML: {error}", err=True)
        raise typer.Exit(code=1) from None
    replies = [message.text or "" for message in root.iter("Message")]
    if not replies:
        typer.echo("(no reply)")
    for reply in replies:
        typer.echo(f"--- reply to {mask(from_)}")
        typer.echo(reply)
    if before is None:
        return
    seen = {message["sid"] for message in before}
    deadline = time.monotonic() + wait
    while True:
        new = [m for m in _standin_texts(base, settings, to=from_) or [] if m["sid"] not in seen]
        if new or time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    for message in reversed(new):
        typer.echo(f"--- sent to {mask(message['to'])} through the stand-in, {message['status']}")
        typer.echo(message["body"])


def _twilio_signature(token: str, url: str, params: dict[str, str]) -> str:
    """X-Twilio-Signature as Twilio computes it for a form POST. The service checks it
    with Twilio's SDK, whose validator stays out of this module (tests/test_layers.py)."""
    import base64
    import hashlib
    import hmac

    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _standin_texts(base: str, settings: Settings, *, to: str) -> list[dict[str, Any]] | None:
    """The texts the local stand-in at `base` holds for `to`, newest first; None when it
    does not answer as the stand-in."""
    import httpx

    from hotline.config import LOCAL_STANDIN_PATH

    token = settings.twilio_auth_token
    assert token is not None
    path = f"{LOCAL_STANDIN_PATH}/2010-04-01/Accounts/{settings.twilio_account_sid}/Messages.json"
    answer = httpx.get(
        f"{base}{path}",
        params={"To": to, "PageSize": 1000},
        auth=(settings.twilio_account_sid, token.get_secret_value()),
        timeout=10,
    )
    if answer.status_code != 200:
        return None
    messages: list[dict[str, Any]] = answer.json()["messages"]
    return messages


@simulate_app.command("messages")
def simulate_messages(
    url: Annotated[str | None, typer.Option(help="Where the service listens.")] = None,
    last: Annotated[int, typer.Option(help="How many of the newest to show.")] = 10,
) -> None:
    """Show the texts the hotline sent through the local stand-in, newest last."""
    import httpx

    from hotline.config import LOCAL_STANDIN_PATH

    settings = simulation_settings(url)
    if not settings.uses_local_standin:
        raise fail("texts go to Twilio itself here, not to the local stand-in")
    token = settings.twilio_auth_token
    assert token is not None
    base = url or settings.public_url
    path = f"{LOCAL_STANDIN_PATH}/2010-04-01/Accounts/{settings.twilio_account_sid}/Messages.json"
    try:
        answer = httpx.get(
            f"{base}{path}",
            params={"PageSize": last},
            auth=(settings.twilio_account_sid, token.get_secret_value()),
            timeout=10,
        )
    except httpx.ConnectError:
        raise fail(f"nothing answers at {base}; start it with 'make run'") from None
    answer.raise_for_status()
    messages = answer.json()["messages"]
    if not messages:
        typer.echo("(no texts sent yet)")
    for message in reversed(messages):
        typer.echo(f"--- to {mask(message['to'])}, {message['status']}")
        typer.echo(message["body"])


def mask(number: str) -> str:
    """A phone number as people may see it here: country and area code, last two digits."""
    return f"{number[:5]}•••{number[-2:]}" if len(number) > 8 else "•••"
