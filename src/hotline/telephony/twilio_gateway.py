"""The gateway to Twilio's REST API (or to a stand-in at the same paths)."""

from __future__ import annotations

from requests import RequestException
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from hotline.errors import TelephonyError
from hotline.telephony.gateway import Sent, is_messaging_service

# Without a timeout the SDK waits for ever on a stuck connection.
REQUEST_TIMEOUT_SECONDS = 10


class TwilioGateway:
    """Texts and calls through the Twilio SDK, pointed at `api_url`."""

    def __init__(self, *, account_sid: str, auth_token: str, api_url: str) -> None:
        self._client = Client(
            account_sid, auth_token, http_client=TwilioHttpClient(timeout=REQUEST_TIMEOUT_SECONDS)
        )
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
            raise _refused(error) from None
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
            raise _refused(error) from None
        except RequestException as error:
            raise _unreachable(error) from None
        return Sent(sid=call.sid, status=call.status)


def _refused(error: TwilioRestException) -> TelephonyError:
    # Twilio's own message can quote the number it refused; keep only status and code.
    status = int(error.status)
    return TelephonyError(
        f"Twilio refused the request: HTTP {status}, error {error.code}",
        twilio_code=error.code,
        retryable=status >= 500 or status == 429,
    )


def _unreachable(error: RequestException) -> TelephonyError:
    return TelephonyError(f"Twilio did not answer: {type(error).__name__}", retryable=True)
