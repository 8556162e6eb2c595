"""Sending the phone-ticket link by e-mail: SMTP when MAIL_SERVER is set, otherwise (the demo) the
message is written as an .eml file into the outbox folder under instance/."""
import smtplib
from email.message import EmailMessage
from pathlib import Path
from uuid import uuid4

from flask import current_app, flash, render_template
from flask_babel import gettext as _

from ..timeutil import utcnow
from .views import phone_url


def send(to: str, subject: str, body: str) -> str:
    """Send (or file) one plain-text message; return where it went."""
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = cfg["MAIL_FROM"], to, subject
    msg.set_content(body)
    if not cfg["MAIL_SERVER"]:
        outbox = Path(cfg["MAIL_OUTBOX"])
        outbox.mkdir(parents=True, exist_ok=True)
        path = outbox / f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid4().hex[:8]}.eml"  # two senders at one instant
        path.write_bytes(bytes(msg))
        return str(path)
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=20) as smtp:
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls()
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        smtp.send_message(msg)
    return cfg["MAIL_SERVER"]


def ticket_message(order) -> tuple[str, str]:
    """The subject and text of an order's ticket e-mail: its phone-ticket link, in the current language."""
    festival = order.session.festival
    return (f"{festival.name_th} · {festival.name_en}",
            render_template("tickets/email.txt", order=order, link=phone_url(order)))


def send_tickets(order, to: str) -> bool:
    """Send an order's ticket e-mail now; False, with a warning in the log, when the mail server refused
    it or did not answer."""
    try:
        send(to, *ticket_message(order))
    except OSError as err:
        current_app.logger.warning("ticket e-mail for order %s not sent: %s", order.id, err)
        return False
    return True


def say_sent(sent: bool, to: str) -> None:
    """Tell the staff member whether the ticket e-mail just recorded went out."""
    if sent:
        flash(_("The ticket link was sent to %(email)s.", email=to), "success")
    else:
        flash(_("The e-mail to %(email)s could not be sent just now (the mail server did not answer). "
                "Please try again later.", email=to), "error")
