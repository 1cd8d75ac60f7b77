"""Sending email through Flask-Mailman. In development and tests the `file` backend writes every
message to the outbox folder (instance/outbox); production sets MAIL_BACKEND=smtp and a server.

Every mail is written in its recipient's language (`User.locale`; Dutch for addresses without an
account). Pass the subject as a lazy string (`lazy_gettext`), so it is translated for the recipient
too, not for the person whose action sent the mail.

`send` renders the mail in the caller (its context holds database objects, which cannot travel to
another process) and queues the delivery of the finished text (stagematch/jobs.py): the worker
sends it, and a failing mail server is retried with growing pauses and finally logged. A mail never
undoes or breaks what the user did; in the tests (immediate mode) it is in the outbox at once."""

from __future__ import annotations

import email
import email.policy
import logging
from pathlib import Path

from flask import current_app, render_template
from flask_mailman import EmailMessage
from sqlalchemy import select

from stagematch.extensions import db
from stagematch.i18n import DEFAULT_LOCALE, LOCALES, in_locale
from stagematch.jobs import task

log = logging.getLogger(__name__)
SEPARATOR = b"\n" + b"-" * 79 + b"\n"
# Seconds to wait before each retry: a mail server that is down for an afternoon still gets the
# mail (1 min, 5 min, 30 min, 2 h, 6 h); after the last one the mail is logged as not sent.
RETRY_DELAYS = (60, 300, 1800, 7200, 21600)


def send(to: str | list[str], subject, template: str, **context) -> bool:
    """Render templates/email/<template>.txt, once per language among the recipients, and queue
    its delivery; returns whether it is on its way to everyone (False: no recipients, or the queue
    and the mail server were both unreachable). `subject` is a lazy string or a plain str."""
    recipients = [to] if isinstance(to, str) else [r for r in to if r]
    if not recipients:
        return False
    queued = True
    for locale, group in _by_locale(recipients).items():
        with in_locale(locale):
            subject_text = f"StageMatch: {subject}"
            body = render_template(f"email/{template}.txt", **context)
        queued = _queue(subject_text, body, group) and queued
    return queued


def _queue(subject: str, body: str, recipients: list[str]) -> bool:
    try:
        deliver(subject, body, recipients)
        return True
    except Exception:  # the queue itself is away (Redis down): try the mail server once, now
        log.exception("Could not queue mail %r to %s; sending it now", subject, recipients)
    try:
        _message(subject, body, recipients).send()
        return True
    except Exception:
        log.exception("Could not send mail %r to %s", subject, recipients)
        return False


def _message(subject: str, body: str, recipients: list[str]) -> EmailMessage:
    return EmailMessage(subject=subject, body=body, to=recipients)


@task(retries=len(RETRY_DELAYS), retry_delay=RETRY_DELAYS[0], context=True)
def deliver(subject: str, body: str, recipients: list[str], task=None) -> None:
    """Send one rendered mail. On failure the worker tries again after the next pause of
    RETRY_DELAYS; when none is left, the mail is logged as not sent (and the task ends)."""
    try:
        _message(subject, body, recipients).send()
    except Exception as error:
        attempt = len(RETRY_DELAYS) - task.retries + 1
        if task.retries <= 0:
            log.error("Mail %r to %s not sent after %s attempts: %r",
                      subject, recipients, attempt, error)  # fmt: skip
            return
        # Huey waits retry_delay before the next attempt; it grows with every failure.
        task.retry_delay = RETRY_DELAYS[attempt - 1]
        log.warning("Mail %r to %s failed (attempt %s), trying again in %s s: %r",
                    subject, recipients, attempt, task.retry_delay, error)  # fmt: skip
        raise


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
