"""Shared form helpers."""
from flask import flash

from .errors import ServiceError


def apply_service_error(form, err: ServiceError) -> None:
    """Show a refused action on the form: field errors beside their fields, the rest flashed."""
    unplaced = []
    for name, message in err.details.items():
        if not isinstance(message, str):  # e.g. a list of seat ids, for the API
            continue
        field = getattr(form, name, None) if form is not None else None
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [message]
        else:
            unplaced.append(message)
    said = [err.message]
    for message in unplaced:  # details often repeat the message: say each thing once
        if not any(message in earlier for earlier in said):
            said.append(message)
    flash(" ".join(said), "error")
