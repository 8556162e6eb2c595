"""What each check-in result says to the person at the gate (one place for the page and the API)."""
from flask_babel import gettext as _

#: green, amber or red on the gate's screen
COLOURS = {"ok": "green", "already_used": "amber"}


def result_message(result: str, mode: str = "entry") -> str:
    if result == "ok":
        return _("Goodbye: marked as gone out.") if mode == "exit" else _("Admitted.")
    messages = {
        "already_used": _("Already used: this ticket has been admitted."),
        "wrong_session": _("Wrong session: this ticket is for another day or show."),
        "wrong_entrance": _("Wrong entrance: this ticket's stand uses another entrance."),
        "void": _("Void: this ticket was cancelled or refunded."),
        "revoked": _("Revoked: this code was replaced by a reissued ticket."),
        "invalid": _("Not a valid ticket: the code is not one of ours or was altered."),
        "not_yet": _("Too early: the gates for this session are not open yet."),
        "not_inside": _("This guest is not inside (no entry scanned)."),
    }
    return messages.get(result, result)


def colour(result: str) -> str:
    return COLOURS.get(result, "red")
