"""Sending email through Flask-Mailman. In development and tests the `file` backend writes every
message to the outbox folder (instance/outbox); production sets MAIL_BACKEND=smtp and a server.

Mail goes out after the use case committed; a failing mail server is logged and never undoes or
breaks what the user did."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from flask import current_app, render_template
from flask_mailman import EmailMessage

SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def send(to: str | list[str], subject: str, template: str, **context) -> bool:
    """Render templates/email/<template>.txt and send it; returns whether it went out."""
    recipients = [to] if isinstance(to, str) else [r for r in to if r]
    if not recipients:
        return False
    body = render_template(f"email/{template}.txt", **context)
    message = EmailMessage(subject=f"StageMatch: {subject}", body=body, to=recipients)
    try:
        message.send()
    except Exception:  # the mail server is not ours to crash on
        current_app.logger.exception("Could not send mail %r to %s", subject, recipients)
        return False
    return True


def read_outbox(folder: str | Path | None = None) -> list[email.message.EmailMessage]:
    """Every message the file backend wrote, oldest first (for the outbox page and for tests)."""
    folder = Path(folder or current_app.config["MAIL_FILE_PATH"])
    messages = []
    for path in sorted(folder.glob("*.log")):
        for chunk in path.read_bytes().split(SEPARATOR):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk, policy=email.policy.default))
    return messages
