"""The gateway to Twilio's REST API (or to a stand-in at the same paths)."""

from __future__ import annotations

import threading
from typing import Any

from requests import RequestException
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from hotline.errors import TelephonyError
from hotline.telephony.gateway import Record, Sent, is_messaging_service

# Without a timeout the SDK waits for ever on a stuck connection.
REQUEST_TIMEOUT_SECONDS = 10
# Twilio's "The requested resource was not found": a record already deleted.
NOT_FOUND = 20404
LONGEST_RETRY_AFTER = 300.0


class _RememberingClient(TwilioHttpClient):  # type: ignore[misc]
    """The SDK's HTTP client, keeping each thread's last response: its Retry-After header
    is not in the exception the SDK raises."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._last = threading.local()

    def request(self, *args: Any, **kwargs: Any) -> Response:
        response = super().request(*args, **kwargs)
        self._last.response = response
        return response

    def retry_after(self) -> float | None:
        response = getattr(self._last, "response", None)
        value = (getattr(response, "headers", None) or {}).get("Retry-After")
        try:
            return min(max(float(value), 0.0), LONGEST_RETRY_AFTER) if value else None
        except ValueError:
            return None


class TwilioGateway:
    """Texts, calls and deletions through the Twilio SDK, pointed at `api_url`."""

    def __init__(self, *, account_sid: str, auth_token: str, api_url: str) -> None:
        self._http = _RememberingClient(timeout=REQUEST_TIMEOUT_SECONDS)
        self._client = Client(account_sid, auth_token, http_client=self._http)
        self._client.api.base_url = api_url

    def send_message(
        self, *, to: str, from_: str, body: str, status_callback: str | None = None
    ) -> Sent:
        sender = (
            {"messaging_service_sid": from_} if is_messaging_service(from_) else {"from_": from_}
        )
        try:
            message = self._client.messages.create(
                to=to, body=body, status_callback=status_callback, **sender
            )
        except TwilioRestException as error:
            raise self._refused(error) from None
        except RequestException as error:
            raise _unreachable(error) from None
        return Sent(sid=message.sid, status=message.status)

    def create_call(
        self, *, to: str, from_: str, url: str, status_callback: str | None = None
    ) -> Sent:
        try:
            call = self._client.calls.create(
                to=to, from_=from_, url=url, status_callback=status_callback
            )
        except TwilioRestException as error:
            raise self._refused(error) from None
        except RequestException as error:
            raise _unreachable(error) from None
        return Sent(sid=call.sid, status=call.status)

    def delete(self, *, kind: Record, sid: str) -> None:
        resource = self._client.messages(sid) if kind == "message" else self._client.calls(sid)
        try:
            resource.delete()
        except TwilioRestException as error:
            if error.code == NOT_FOUND or int(error.status) == 404:
                return
            raise self._refused(error) from None
        except RequestException as error:
            raise _unreachable(error) from None

    def _refused(self, error: TwilioRestException) -> TelephonyError:
        # Twilio's own message can quote the number it refused; keep only status and code.
        status = int(error.status)
        return TelephonyError(
            f"Twilio refused the request: HTTP {status}, error {error.code}",
            twilio_code=error.code,
            retryable=status >= 500 or status == 429 or error.code == 20009,
            retry_after=self._http.retry_after() if status in (429, 503) else None,
        )


def _unreachable(error: RequestException) -> TelephonyError:
    return TelephonyError(f"Twilio did not answer: {type(error).__name__}", retryable=True)
