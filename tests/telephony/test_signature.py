"""Signatures are checked with the SDK against the public URL, and fail closed."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from hotline.errors import ConfigError, InvalidSignature
from hotline.telephony.signature import SignatureChecker
from hotline.telephony.webhooks import parse_form

# Twilio's published test vectors (see shared reference notes, section 1.1).
VECTOR_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
VECTOR_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675310",
    "Digits": "1234",
    "From": "+14158675310",
    "To": "+18005551212",
}


def checker(public_url: str = "https://mycompany.com", token: str = "12345") -> SignatureChecker:
    return SignatureChecker(auth_token=token, public_url=public_url)


def lists(params: dict[str, str]) -> dict[str, list[str]]:
    return {key: [value] for key, value in params.items()}


def test_twilio_published_vectors_pass() -> None:
    check = checker()
    query = "foo=1&bar=2"
    check.check(
        path="/myapp.php",
        query=query,
        params=lists(VECTOR_PARAMS),
        signature="GvWf1cFY/Q7PnoempGyD5oXAezc=",
    )
    other = dict(VECTOR_PARAMS, Caller="+14158675309", From="+14158675309")
    check.check(
        path="/myapp.php",
        query=query,
        params=lists(other),
        signature="RSOYDt4T1cUTdK1PDd93/VVr8B8=",
    )


@pytest.mark.parametrize(
    "change",
    [
        {"Digits": "1235"},  # a tampered parameter
        {"Extra": "1"},  # an added parameter
    ],
)
def test_a_changed_form_fails(change: dict[str, str]) -> None:
    params = dict(VECTOR_PARAMS, **change)
    with pytest.raises(InvalidSignature):
        checker().check(
            path="/myapp.php",
            query="foo=1&bar=2",
            params=lists(params),
            signature="GvWf1cFY/Q7PnoempGyD5oXAezc=",
        )


def test_a_removed_parameter_fails() -> None:
    params = {k: v for k, v in VECTOR_PARAMS.items() if k != "Digits"}
    with pytest.raises(InvalidSignature):
        checker().check(
            path="/myapp.php",
            query="foo=1&bar=2",
            params=lists(params),
            signature="GvWf1cFY/Q7PnoempGyD5oXAezc=",
        )


def test_a_changed_query_fails() -> None:
    with pytest.raises(InvalidSignature):
        checker().check(
            path="/myapp.php",
            query="foo=1&bar=3",
            params=lists(VECTOR_PARAMS),
            signature="GvWf1cFY/Q7PnoempGyD5oXAezc=",
        )


def test_the_wrong_scheme_fails() -> None:
    with pytest.raises(InvalidSignature):
        checker("http://mycompany.com").check(
            path="/myapp.php",
            query="foo=1&bar=2",
            params=lists(VECTOR_PARAMS),
            signature="GvWf1cFY/Q7PnoempGyD5oXAezc=",
        )


@pytest.mark.parametrize("public_url", ["https://mycompany.com:443", "https://mycompany.com"])
def test_a_default_port_added_or_removed_still_passes(public_url: str) -> None:
    # Twilio drops the port from https URLs before signing, inconsistently; the SDK
    # accepts the URL with and without it, and so do we.
    checker(public_url).check(
        path="/myapp.php",
        query="foo=1&bar=2",
        params=lists(VECTOR_PARAMS),
        signature="GvWf1cFY/Q7PnoempGyD5oXAezc=",
    )


def test_another_host_fails() -> None:
    # The public URL decides; a request reaching us under another name is not signed for us.
    with pytest.raises(InvalidSignature):
        checker("https://othercompany.com").check(
            path="/myapp.php",
            query="foo=1&bar=2",
            params=lists(VECTOR_PARAMS),
            signature="GvWf1cFY/Q7PnoempGyD5oXAezc=",
        )


@pytest.mark.parametrize("signature", [None, "", "GvWf1cFY/Q7PnoempGyD5oXAezc"])
def test_a_missing_or_broken_signature_fails(signature: str | None) -> None:
    with pytest.raises(InvalidSignature):
        checker().check(
            path="/myapp.php", query="foo=1&bar=2", params=lists(VECTOR_PARAMS), signature=signature
        )


def test_the_wrong_token_fails() -> None:
    with pytest.raises(InvalidSignature):
        checker(token="54321").check(
            path="/myapp.php",
            query="foo=1&bar=2",
            params=lists(VECTOR_PARAMS),
            signature="GvWf1cFY/Q7PnoempGyD5oXAezc=",
        )


def test_no_token_no_checker() -> None:
    with pytest.raises(ConfigError):
        SignatureChecker(auth_token="", public_url="https://mycompany.com")


def test_blank_and_repeated_fields_are_signed_as_twilio_signs_them() -> None:
    form = parse_form(b"ForwardedFrom=&CalledCity=&Digits=1&Digits=1&Digits=2")
    assert form == {"ForwardedFrom": [""], "CalledCity": [""], "Digits": ["1", "1", "2"]}


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=12),
        st.lists(st.text(max_size=30), min_size=1, max_size=3),
        max_size=8,
    )
)
def test_the_form_parser_reads_what_parse_qs_reads(fields: dict[str, list[str]]) -> None:
    body = urlencode([(key, value) for key, values in fields.items() for value in values])
    assert parse_form(body.encode()) == parse_qs(body, keep_blank_values=True)


@given(
    st.text(max_size=40),
    st.dictionaries(st.text(max_size=12), st.lists(st.text(max_size=12), min_size=1, max_size=3)),
    st.text(min_size=1, max_size=20),
)
def test_the_signature_is_the_sdks_for_any_url_and_form(
    url: str, params: dict[str, list[str]], token: str
) -> None:
    class MultiDict(dict[str, list[str]]):
        def getall(self, key: str) -> list[str]:
            return self[key]

    sdk = RequestValidator(token).compute_signature(url, MultiDict(params))
    assert checker(token=token).signature(url, params) == sdk
