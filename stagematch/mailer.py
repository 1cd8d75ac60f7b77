"""Sending email through Flask-Mailman. In development and tests the `file` backend writes every
message to the outbox folder (instance/outbox); production sets MAIL_BACKEND=smtp and a server.

Every mail is written in its recipient's language (`User.locale`; Dutch for addresses without an
account). Pass the subject as a lazy string (`lazy_gettext`), so it is translated for the recipient
too, not for the person whose action sent the mail.

`send` renders the mail in the caller (its context holds database objects, which cannot travel to
another process) and queues the delivery of the finished text (stagematch/jobs.py): the worker
sends it, and a failing mail server is retried with growing pauses and finally logged. A mail never
undoes or breaks what the user did; in the tests (immediate mode) it is in the outbox at once.

Every queued mail is a `MailLog` row (the administrator's mail log, /beheer/mail): `queued` when it
is handed to the queue, then `sent` or, after the last attempt, `failed`, with the number of
attempts and the last error. Writing the log never stops or delays a mail (see `_write_log`)."""

from __future__ import annotations

import email
import email.policy
import logging
from datetime import timedelta
from pathlib import Path

from flask import current_app, render_template
from flask_mailman import EmailMessage
from sqlalchemy import delete, insert, select, update

from stagematch.extensions import db
from stagematch.i18n import DEFAULT_LOCALE, LOCALES, in_locale
from stagematch.jobs import task
from stagematch.models import MailLog
from stagematch.timeutil import utcnow

log = logging.getLogger(__name__)
SEPARATOR = b"\n" + b"-" * 79 + b"\n"
# Seconds to wait before each retry: a mail server that is down for an afternoon still gets the
# mail (1 min, 5 min, 30 min, 2 h, 6 h); after the last one the mail is logged as not sent.
RETRY_DELAYS = (60, 300, 1800, 7200, 21600)


def send(to: str | list[str], subject, template: str, *, headers: dict[str, str] | None = None,
         **context) -> bool:  # fmt: skip
    """Render templates/email/<template>.txt, once per language among the recipients, and queue
    its delivery; returns whether it is on its way to everyone (False: no recipients, or the queue
    and the mail server were both unreachable). `subject` is a lazy string or a plain str;
    `headers`: extra mail headers (e.g. List-Unsubscribe)."""
    recipients = [to] if isinstance(to, str) else [r for r in to if r]
    if not recipients:
        return False
    queued = True
    for locale, group in _by_locale(recipients).items():
        with in_locale(locale):
            subject_text = f"StageMatch: {subject}"
            body = render_template(f"email/{template}.txt", **context)
        queued = _queue(subject_text, body, group, template, headers) and queued
    return queued


def _queue(subject: str, body: str, recipients: list[str], template: str = "",
           headers: dict[str, str] | None = None) -> bool:  # fmt: skip
    log_id = _log_queued(subject, recipients, template)
    try:
        deliver(subject, body, recipients, log_id=log_id, headers=headers)
        return True
    except Exception:  # the queue itself is away (Redis down): try the mail server once, now
        log.exception("Could not queue mail %r to %s; sending it now", subject, recipients)
    try:
        _message(subject, body, recipients, headers).send()
    except Exception as error:
        log.exception("Could not send mail %r to %s", subject, recipients)
        _log_attempt(log_id, 1, error=error, final=True)
        return False
    _log_attempt(log_id, 1)
    return True


def _message(subject: str, body: str, recipients: list[str],
             headers: dict[str, str] | None = None) -> EmailMessage:  # fmt: skip
    return EmailMessage(subject=subject, body=body, to=recipients, headers=headers or None)


@task(retries=len(RETRY_DELAYS), retry_delay=RETRY_DELAYS[0], context=True)
def deliver(
    subject: str, body: str, recipients: list[str], log_id: int | None = None,
    headers: dict[str, str] | None = None, task=None,
) -> None:  # fmt: skip
    """Send one rendered mail. On failure the worker tries again after the next pause of
    RETRY_DELAYS; when none is left, the mail is logged as not sent (and the task ends). Each
    attempt is written to the mail log row `log_id` (None: there is none)."""
    attempt = len(RETRY_DELAYS) - task.retries + 1
    try:
        _message(subject, body, recipients, headers).send()
    except Exception as error:
        if task.retries <= 0:
            log.error("Mail %r to %s not sent after %s attempts: %r",
                      subject, recipients, attempt, error)  # fmt: skip
            _log_attempt(log_id, attempt, error=error, final=True)
            return
        # Huey waits retry_delay before the next attempt; it grows with every failure.
        task.retry_delay = RETRY_DELAYS[attempt - 1]
        log.warning("Mail %r to %s failed (attempt %s), trying again in %s s: %r",
                    subject, recipients, attempt, task.retry_delay, error)  # fmt: skip
        _log_attempt(log_id, attempt, error=error)
        raise
    _log_attempt(log_id, attempt)


# --- the mail log -------------------------------------------------------------------------------

QUEUED, SENT, FAILED = "queued", "sent", "failed"
KEEP_LOG = timedelta(days=90)


def _holds_sqlite_write_lock() -> bool:
    """Whether this request's (or task's) own transaction has written to an SQLite database,
    which allows one writer at a time: a second connection would wait for it to commit."""
    session = db.session()
    if session.get_bind().dialect.name != "sqlite" or not session.in_transaction():
        return False
    return bool(session.connection().connection.dbapi_connection.in_transaction)


def _write_log(statement, *, returning: bool = False) -> int | None:
    """Run one write to the mail log apart from the caller's work: on a connection and in a
    transaction of its own, committed at once, so a caller that rolls back (or never commits)
    keeps the row and the caller's transaction is untouched. Only when the caller's transaction
    holds SQLite's one write lock does the row go with that transaction, in a savepoint (it is
    kept when the caller commits; waiting for the lock would stall the mail). `returning`: the
    statement returns one value (the new id), read before the transaction ends."""
    if _holds_sqlite_write_lock():
        with db.session.begin_nested():
            result = db.session.execute(statement)
            return result.scalar_one() if returning else None
    with db.engine.begin() as connection:
        result = connection.execute(statement)
        return result.scalar_one() if returning else None


def _log_queued(subject: str, recipients: list[str], template: str) -> int | None:
    """The log row of a mail handed to the queue; None when it could not be written."""
    statement = (
        insert(MailLog)
        .values(
            recipients=", ".join(recipients),
            subject=subject[:300],
            template=template[:80],
            status=QUEUED,
            attempts=0,
            error="",
            created_at=utcnow(),
        )
        .returning(MailLog.id)
    )
    try:
        return _write_log(statement, returning=True)
    except Exception:  # the mail goes out all the same
        log.exception("Could not write the mail log for %r to %s", subject, recipients)
        return None


def _log_attempt(log_id: int | None, attempt: int, *, error: Exception | None = None,
                 final: bool = False) -> None:  # fmt: skip
    """Record an attempt: sent, or the error (and `failed` when it was the last one)."""
    if log_id is None:
        return
    if error is None:
        values = {"status": SENT, "attempts": attempt, "error": "", "sent_at": utcnow()}
    else:
        values = {"status": FAILED if final else QUEUED, "attempts": attempt,
                  "error": repr(error)[:2000]}  # fmt: skip
    try:
        _write_log(update(MailLog).where(MailLog.id == log_id).values(**values))
    except Exception:
        log.exception("Could not update mail log %s", log_id)


def remove_old_log(older_than: timedelta = KEEP_LOG) -> int:
    """Mail log rows older than 90 days are deleted (they hold addresses); returns how many."""
    result = db.session.execute(delete(MailLog).where(MailLog.created_at < utcnow() - older_than))
    db.session.commit()
    return result.rowcount


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
