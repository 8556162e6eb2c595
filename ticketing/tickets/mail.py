"""Sending the phone-ticket link by e-mail: SMTP when MAIL_SERVER is set, otherwise (the demo) the
message is written as an .eml file into the outbox folder under instance/."""
import smtplib
from email.message import EmailMessage
from pathlib import Path
from uuid import uuid4

from flask import current_app

from ..timeutil import utcnow


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
