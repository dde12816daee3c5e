"""Twilio's form posts, parsed into typed values at the edge."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote_plus

FORM_TYPE = "application/x-www-form-urlencoded"
# Where the request limits leave a body they read whole, in the request's scope.
BODY = "hotline.body"
# STIR/SHAKEN: the originating carrier vouches that the caller may use this number.
FULL_ATTESTATION = "TN-Validation-Passed-A"


def parse_form(body: bytes) -> dict[str, list[str]]:
    """Every field of a form post, blank ones included (they are signed too).

    What parse_qs(keep_blank_values=True) gives, without its per-field regular
    expressions and unquoting of fields that need none: a webhook carries twenty.
    """
    form: dict[str, list[str]] = {}
    for pair in body.decode("utf-8", "replace").split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        if "%" in key or "+" in key:
            key = unquote_plus(key)
        if "%" in value or "+" in value:
            value = unquote_plus(value)
        form.setdefault(key, []).append(value)
    return form


def parse_query(query: str) -> dict[str, str]:
    """The action URL's state parameters; a repeated key keeps its last value."""
    return {key: values[-1] for key, values in parse_qs(query).items()}


def first(form: Mapping[str, Sequence[str]], key: str) -> str | None:
    values = form.get(key)
    return values[0] if values else None


@dataclass(frozen=True, slots=True)
class VoiceWebhook:
    """The parts of a voice request the flow may see. The caller's number is not one."""

    call_sid: str
    hotline_number: str | None
    digits: str | None
    dial_status: str | None
    # The carrier vouches for the caller's number (A-level attestation).
    attested: bool = False

    @classmethod
    def from_form(cls, form: Mapping[str, Sequence[str]]) -> VoiceWebhook:
        digits = first(form, "Digits")
        return cls(
            call_sid=first(form, "CallSid") or "",
            hotline_number=first(form, "To"),
            digits=digits.strip() if digits is not None else None,
            dial_status=first(form, "DialCallStatus"),
            attested=first(form, "StirVerstat") == FULL_ATTESTATION,
        )


@dataclass(frozen=True, slots=True)
class CallStatus:
    """A call status callback."""

    call_sid: str
    status: str
    duration: str | None

    @classmethod
    def from_form(cls, form: Mapping[str, Sequence[str]]) -> CallStatus:
        return cls(
            call_sid=first(form, "CallSid") or "",
            status=first(form, "CallStatus") or "",
            duration=first(form, "CallDuration"),
        )
