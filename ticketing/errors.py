"""Errors raised by services; views turn them into flashed messages or JSON answers."""


class ServiceError(Exception):
    """A refused action. ``code`` is stable (for the API), ``message`` is already translated."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}


class Invalid(ServiceError):
    status = 422
    code = "invalid"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"
