"""The errors hotline raises on purpose.

    HotlineError                  (500) anything the service chose to refuse
    ├── ConfigError               (500) settings that must not start a service
    ├── CatalogError              (500) a missing or broken translation catalog
    ├── NotFound                  (404) an id or resource that does not exist
    ├── Forbidden                 (403) a request that is not allowed
    │   └── InvalidSignature      (403) a Twilio webhook without a valid signature
    └── TelephonyError            (502) the carrier refused or failed a request

Services raise these, never ``HTTPException``, so the CLI and the worker can call them.
No message may hold a phone number or a message body.
"""

from __future__ import annotations


class HotlineError(Exception):
    status_code = 500
    code = "hotline_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(HotlineError):
    code = "config_error"


class CatalogError(HotlineError):
    code = "catalog_error"


class NotFound(HotlineError):
    status_code = 404
    code = "not_found"


class Forbidden(HotlineError):
    status_code = 403
    code = "forbidden"


class InvalidSignature(Forbidden):
    code = "invalid_signature"


class TelephonyError(HotlineError):
    status_code = 502
    code = "telephony_error"

    def __init__(
        self,
        message: str,
        *,
        twilio_code: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.twilio_code = twilio_code
        # Worth trying again later: Twilio's 5xx and 429, timeouts, refused connections.
        self.retryable = retryable
        # Seconds Twilio asked us to wait (Retry-After), when it said.
        self.retry_after = retry_after
