"""Sending email through Flask-Mailman. In development and tests the `file` backend writes every
message to the outbox folder (instance/outbox); production sets MAIL_BACKEND=smtp and a server.

Every mail is written in its recipient's language (`User.locale`; Dutch for addresses without an
account). Pass the subject as a lazy string (`lazy_gettext`), so it is translated for the recipient
too, not for the person whose action sent the mail.

Mail goes out after the use case committed; a failing mail server is logged and never undoes or
breaks what the user did."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from flask import current_app, render_template
from flask_mailman import EmailMessage
from sqlalchemy import select

from stagematch.extensions import db
from stagematch.i18n import DEFAULT_LOCALE, LOCALES, in_locale

SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def send(to: str | list[str], subject, template: str, **context) -> bool:
    """Render templates/email/<template>.txt and send it, once per language among the recipients;
    returns whether it went out (to everyone). `subject` is a lazy string or a plain str."""
    recipients = [to] if isinstance(to, str) else [r for r in to if r]
    if not recipients:
        return False
    sent = True
    for locale, group in _by_locale(recipients).items():
        with in_locale(locale):
            subject_text = str(subject)
            body = render_template(f"email/{template}.txt", **context)
        message = EmailMessage(subject=f"StageMatch: {subject_text}", body=body, to=group)
        try:
            message.send()
        except Exception:  # the mail server is not ours to crash on
            current_app.logger.exception("Could not send mail %r to %s", subject_text, group)
            sent = False
    return sent


def _by_locale(recipients: list[str]) -> dict[str, list[str]]:
    """Recipients grouped by the language of their account (Dutch when there is none)."""
    from stagematch.models import User

    rows = db.session.execute(select(User.email, User.locale).where(User.email.in_(recipients)))
    known = {email_address: locale for email_address, locale in rows}
    groups: dict[str, list[str]] = {}
    for address in recipients:
        locale = known.get(address)
        groups.setdefault(locale if locale in LOCALES else DEFAULT_LOCALE, []).append(address)
    return groups


def read_outbox(folder: str | Path | None = None) -> list[email.message.EmailMessage]:
    """Every message the file backend wrote, oldest first (for the outbox page and for tests)."""
    folder = Path(folder or current_app.config["MAIL_FILE_PATH"])
    messages = []
    for path in sorted(folder.glob("*.log")):
        for chunk in path.read_bytes().split(SEPARATOR):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk, policy=email.policy.default))
    return messages
