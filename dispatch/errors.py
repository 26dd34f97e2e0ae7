"""The one exception hierarchy of the product.

Every error a user can cause is a `DispatchError` carrying its HTTP status, so the web layer
turns it into `application/problem+json` in a single handler and the domain never imports Flask.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class DispatchError(Exception):
    status = 500
    title = "Internal error"
    slug = "internal-error"
    # Seconds a client should wait before retrying (sent as `Retry-After`); None: not said.
    retry_after: int | None = None

    def __init__(self, detail: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class BadRequest(DispatchError):
    status = 400
    title = "Bad request"
    slug = "bad-request"


class Unauthorized(DispatchError):
    status = 401
    title = "Unauthorized"
    slug = "unauthorized"


class Forbidden(DispatchError):
    status = 403
    title = "Forbidden"
    slug = "forbidden"


class NotFound(DispatchError):
    status = 404
    title = "Not found"
    slug = "not-found"


class Conflict(DispatchError):
    """The request is well formed but the case is not in a state that allows it."""

    status = 409
    title = "Conflict"
    slug = "conflict"


class PayloadTooLarge(DispatchError):
    status = 413
    title = "Payload too large"
    slug = "payload-too-large"


class ValidationFailed(DispatchError):
    status = 422
    title = "Validation failed"
    slug = "validation-failed"

    @classmethod
    def on(cls, field: str, message: str) -> ValidationFailed:
        return cls(f"{field}: {message}", [FieldError(field, message)])


class OutsideTerritory(ValidationFailed):
    title = "Location outside every territory"
    slug = "outside-territory"


class TooFarFromSite(ValidationFailed):
    title = "Check-in too far from the site"
    slug = "too-far-from-site"


class ImplausibleSpeed(ValidationFailed):
    """A fix that implies more than the speed limit from the officer's previous one."""

    title = "Position implies an impossible speed"
    slug = "implausible-speed"


class ServiceUnavailable(DispatchError):
    status = 503
    title = "Service unavailable"
    slug = "service-unavailable"
    retry_after = 1
