"""Twilio request signatures, checked with the SDK against the configured public URL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from twilio.request_validator import RequestValidator

from hotline.errors import ConfigError, InvalidSignature

SIGNATURE_HEADER = "x-twilio-signature"


class SignatureChecker:
    """Fails closed: no token, no checker; no valid signature, no request."""

    def __init__(self, *, auth_token: str, public_url: str) -> None:
        if not auth_token:
            raise ConfigError("no Twilio auth token: webhooks cannot be verified")
        self._validator = RequestValidator(auth_token)
        self._public_url = public_url

    def url_for(self, path: str, query: str) -> str:
        """The URL Twilio requested, rebuilt from the public URL, never the Host header."""
        return f"{self._public_url}{path}?{query}" if query else f"{self._public_url}{path}"

    def check(
        self, *, path: str, query: str, params: Mapping[str, Sequence[str]], signature: str | None
    ) -> None:
        """Raise InvalidSignature unless `signature` signs this URL and these parameters."""
        if not signature:
            raise InvalidSignature("missing X-Twilio-Signature")
        if not self._validator.validate(self.url_for(path, query), _Params(params), signature):
            raise InvalidSignature("X-Twilio-Signature does not match")


class _Params:
    """Repeated form keys as the validator reads them (it asks for ``getlist``)."""

    def __init__(self, params: Mapping[str, Sequence[str]]) -> None:
        self._params = params

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._params)

    def getlist(self, key: str) -> list[str]:
        return list(self._params[key])
