"""The one place that tells users something: every message about a state change goes through
`notify`, which stores a `Notification` (the user's list in the site, /meldingen) and,
depending on the user's choice for that kind, mails it at once, keeps it for the daily digest, or
only shows it in the site.

Sent once: a notification is unique per (user, kind, subject_key); `notify` inserts it with
INSERT … ON CONFLICT DO NOTHING, so of two simultaneous calls (or a nightly job that runs twice)
exactly one row is made and one mail sent, the other call returns None.

Call `notify` after the state change is committed: it commits its own row. Account mails (password
reset, confirmation, invitations) are not notifications and go through `mailer.send` directly, from
services. The message is a phrase (`matching.text.Phrase`, or its data) stored untranslated, so the
list shows it in the reader's language; the mail is rendered in the recipient's language."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError

from stagematch.extensions import db
from stagematch.i18n import in_locale, user_locale
from stagematch.matching.text import Phrase, to_data
from stagematch.models import Notification, User
from stagematch.models.enums import Role
from stagematch.timeutil import utcnow
from stagematch.urls import external_url

log = logging.getLogger(__name__)

MAIL, DIGEST, SITE = "mail", "digest", "site"
CHANNELS = {
    MAIL: _l("meteen een mail"),
    DIGEST: _l("dagelijks overzicht"),
    SITE: _l("alleen op de site"),
}


@dataclass(frozen=True)
class Kind:
    label: object  # lazy Dutch label, for the preferences form
    default: str  # 'mail', 'digest' or 'site'
    audience: tuple[str, ...]  # roles that receive it


STUDENT, COMPANY, COORDINATOR = Role.STUDENT.value, Role.COMPANY.value, Role.COORDINATOR.value
JOB_COACH = Role.JOB_COACH.value

KINDS: dict[str, Kind] = {
    "application_received": Kind(_l("Nieuwe sollicitatie"), MAIL, (COMPANY,)),
    "application_reminder": Kind(_l("Herinnering: sollicitatie beantwoorden"), MAIL, (COMPANY,)),
    "application_expired": Kind(
        _l("Sollicitatie verlopen zonder antwoord"), MAIL, (STUDENT, COMPANY)
    ),  # fmt: skip
    "application_shortlisted": Kind(_l("Uitgenodigd voor een gesprek"), MAIL, (STUDENT,)),
    "application_rejected": Kind(_l("Sollicitatie afgewezen"), MAIL, (STUDENT,)),
    "place_invitation": Kind(_l("Uitnodiging om te solliciteren"), MAIL, (STUDENT,)),
    # A coordinator applied for the student with their consent (services/acting.py).
    "application_on_behalf": Kind(_l("Sollicitatie namens jou ingediend"), MAIL, (STUDENT,)),
    "offer_made": Kind(_l("Aanbod voor een stageplek"), MAIL, (STUDENT, COMPANY)),
    "offer_minor": Kind(_l("Aanbod aan een minderjarige student"), MAIL, (COORDINATOR,)),
    "offer_expiring": Kind(_l("Aanbod verloopt bijna"), MAIL, (STUDENT,)),
    "offer_expired": Kind(_l("Aanbod verlopen"), MAIL, (STUDENT, COMPANY)),
    "offer_accepted": Kind(_l("Aanbod aangenomen"), MAIL, (STUDENT, COMPANY)),
    "offer_declined": Kind(_l("Aanbod afgeslagen"), MAIL, (COMPANY,)),
    "round_opened": Kind(_l("Verdeelronde geopend"), MAIL, (STUDENT,)),
    "round_closing": Kind(_l("Verdeelronde sluit bijna"), MAIL, (STUDENT,)),
    "round_result": Kind(_l("Uitslag van een verdeelronde"), MAIL, (STUDENT,)),
    "round_computed": Kind(_l("Verdeling berekend"), MAIL, (COORDINATOR,)),
    "evaluation_due": Kind(_l("Evaluatie invullen"), MAIL, (STUDENT, COMPANY)),
    "help_requested": Kind(_l("Een leerling vraagt je hulp"), MAIL, (COORDINATOR, JOB_COACH)),
    "report_raised": Kind(_l("Melding van discriminatie door een student"), MAIL, (COORDINATOR,)),
    "case_answer": Kind(_l("Antwoord van je stagecoördinator op je melding"), MAIL, (STUDENT,)),
    "flag_raised": Kind(
        _l("Nieuw signaal (capaciteit, evaluaties, erkenningen …)"), DIGEST, (COORDINATOR,)
    ),  # fmt: skip
    "ad_review": Kind(_l("Tekst van een stageplek controleren"), MAIL, (COORDINATOR,)),
    "ad_decided": Kind(_l("Besluit over de tekst van je plek"), MAIL, (COMPANY,)),
    # An administrator gets it when the student's school has no active coordinator.
    "objection_raised": Kind(
        _l("Bezwaar tegen een voorstel van StageMatch"), MAIL, (COORDINATOR, Role.ADMIN.value)
    ),  # fmt: skip
    "objection_answered": Kind(_l("Antwoord op je bezwaar"), MAIL, (STUDENT, COMPANY)),
    # A start, midway or final meeting of a placement planned or moved (services/meetings.py).
    "meeting_planned": Kind(
        _l("Gesprek over een stage gepland of verzet"), MAIL, (STUDENT, COMPANY, COORDINATOR)
    ),  # fmt: skip
    # Ending a placement early: asked, withdrawn, decided by the school (services/early_ending.py).
    "end_requested": Kind(
        _l("Verzoek om een stage eerder te beëindigen"), MAIL, (STUDENT, COMPANY, COORDINATOR)
    ),  # fmt: skip
    "end_withdrawn": Kind(
        _l("Verzoek om te beëindigen ingetrokken"), MAIL, (STUDENT, COMPANY, COORDINATOR)
    ),  # fmt: skip
    "end_decided": Kind(
        _l("Besluit over eerder stoppen van een stage"), MAIL, (STUDENT, COMPANY, COORDINATOR)
    ),  # fmt: skip
    # Weekly hours (services/hours.py): hours wait for the meester (at most once per placement a
    # week, fit for the daily overview); the meester corrected a week.
    "hours_waiting": Kind(_l("Uren wachten op goedkeuring"), DIGEST, (COMPANY,)),
    "hours_corrected": Kind(_l("Je uren zijn aangepast door de meester"), MAIL, (STUDENT,)),
    # The praktijkovereenkomst waits for this party's signature (services/agreements.py).
    "agreement_turn": Kind(
        _l("Praktijkovereenkomst wacht op je handtekening"), MAIL, (STUDENT, COMPANY, COORDINATOR)
    ),  # fmt: skip
    # The final assessment (services/assessments.py): the meester submitted it (the school
    # decides next; the other firm of a network placement is told too); the school recorded
    # its decision.
    "assessment_submitted": Kind(
        _l("Eindbeoordeling verstuurd door het leerbedrijf"), MAIL, (COMPANY, COORDINATOR)
    ),  # fmt: skip
    "assessment_decided": Kind(_l("Besluit over de eindbeoordeling"), MAIL, (STUDENT, COMPANY)),
    "monitoring_disparity": Kind(
        _l("Monitoring: een groep blijft achter (vier-vijfderegel)"), MAIL, (Role.ADMIN.value,)
    ),  # fmt: skip
    # Leerbedrijf networks (services/networks.py): a firm is invited; the inviting firm hears
    # whether it was accepted or declined.
    "network_invitation": Kind(_l("Uitnodiging voor een leerbedrijfnetwerk"), MAIL, (COMPANY,)),
    "network_answered": Kind(_l("Antwoord op je uitnodiging voor een netwerk"), MAIL, (COMPANY,)),
}


def kinds_for(role: str | None) -> dict[str, Kind]:
    """The kinds a user with `role` can receive (for the preferences form)."""
    return {name: kind for name, kind in KINDS.items() if role in kind.audience}


def channel_for(user: User, kind: str) -> str:
    chosen = (user.notification_settings or {}).get(kind)
    return chosen if chosen in CHANNELS else KINDS[kind].default


def can_receive(user: User | None) -> bool:
    """Deactivated and anonymised accounts (and users of a deactivated company) get nothing."""
    if user is None or not user.is_active_account:
        return False
    company = user.company if user.company_id is not None else None
    return company is None or company.deactivated_at is None


# --- links ----------------------------------------------------------------------------------------


def site_path(endpoint: str, *, _anchor: str | None = None, **values) -> str:
    """The path in the site of `endpoint` (what a notification stores as its url)."""
    parts = urlsplit(external_url(endpoint, _anchor=_anchor, **values))
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path + (f"#{parts.fragment}" if parts.fragment else "")


def flag_path(flag) -> str:
    """Where a coordinator handles a flag: its case page."""
    return site_path("coordinators.case", flag_id=flag.id)


def absolute(path: str) -> str:
    """A site path as a link for a mail, on BASE_URL (never the request's host)."""
    base = urlsplit(current_app.config["BASE_URL"])
    return f"{base.scheme}://{base.netloc}{path}"


def is_site_path(url: str | None) -> bool:
    return bool(url) and url.startswith("/") and not url.startswith("//") and "\\" not in url


# --- sending --------------------------------------------------------------------------------------


def _insert_once(user_id: int, kind: str, subject_key: str, data: dict, url: str,
                 channel: str) -> int | None:  # fmt: skip
    """Insert the row unless (user, kind, subject_key) exists; the new id, or None."""
    now = utcnow()
    # A mail is handed to the queue right after this commit: marked mailed now (one commit less
    # per notification), unmarked in the rare case the queue and the mail server are both away.
    values = dict(user_id=user_id, kind=kind, subject_key=subject_key[:80], message_data=data,
                  url=url, channel=channel, created_at=now,
                  mailed_at=now if channel == MAIL else None)  # fmt: skip
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert

        stmt = (
            insert(Notification)
            .values(**values)
            .on_conflict_do_nothing(constraint="uq_notification_once")
        )
    else:
        from sqlalchemy.dialects.sqlite import insert

        stmt = insert(Notification).values(**values).on_conflict_do_nothing()
    return db.session.execute(stmt.returning(Notification.id)).scalar_one_or_none()


def notify(user: User | None, kind: str, subject_key: str, message: dict | str, url: str, *,
           template: str | None = None, subject=None, **context) -> Notification | None:  # fmt: skip
    """Tell `user` about `subject_key` (e.g. "application:12"), once per kind.

    `message`: a phrase (`Phrase` or its `to_data` dict: msgid and values) — the text of the
    in-site list, translated for the reader. `url`: a site path ("/student/sollicitaties#…"); the
    mail links to it on BASE_URL. The mail (channel 'mail') uses templates/email/<template>.txt
    (else the generic `notification.txt`) with `context`, `user`, `message`, `notification` and
    `link`; `subject` is a lazy string (default: the kind's label). Returns the new notification,
    or None when it was sent before or the user cannot receive it. Commits."""
    if kind not in KINDS:
        raise ValueError(f"Unknown notification kind {kind!r}")
    if not can_receive(user):
        return None
    if user.role not in KINDS[kind].audience:
        log.warning("Notification %s not meant for role %s (user %s)", kind, user.role, user.id)
        return None
    if not is_site_path(url):
        raise ValueError(f"Notification url must be a site path, not {url!r}")
    data = message if isinstance(message, dict) else to_data(message)
    channel = channel_for(user, kind)
    user_id = user.id
    try:
        notification_id = _insert_once(user_id, kind, subject_key, data, url, channel)
        db.session.commit()
    except SQLAlchemyError:  # telling someone never breaks what was done (committed before)
        db.session.rollback()
        log.exception("Notification %s %s for user %s not stored", kind, subject_key, user_id)
        return None
    if notification_id is None:
        return None
    notification = db.session.get(Notification, notification_id)
    if channel == MAIL and not _mail(
        user, notification, template=template, subject=subject, **context
    ):
        notification.mailed_at = None
        db.session.commit()
    return notification


def _mail(user: User, notification: Notification, *, template: str | None, subject,
          **context) -> bool:  # fmt: skip
    from stagematch import mailer

    subject = subject if subject is not None else KINDS[notification.kind].label
    return mailer.send(user.email, subject, template or "notification", user=user,
                       notification=notification, message=notification.text,
                       link=absolute(notification.url), **context)  # fmt: skip


def phrase(msgid: str, **values) -> Phrase:
    """A notification message: `msgid` (marked with N_) with its values."""
    return Phrase(msgid, **values)


def format_date_for(user: User, value) -> str:
    """A date in `user`'s language, for a message value (stored as text)."""
    from stagematch.templating import format_date

    with in_locale(user_locale(user)):
        return str(format_date(value))


# --- the daily digest -----------------------------------------------------------------------------


def send_digests() -> int:
    """One mail per user with every digest notification not mailed yet (the daily job). Each
    notification is claimed (mailed_at set) before the mail goes out, so a second run sends
    nothing twice. Returns the number of mails."""
    user_ids = db.session.scalars(
        select(Notification.user_id)
        .where(Notification.channel == DIGEST, Notification.mailed_at.is_(None))
        .distinct()
        .order_by(Notification.user_id)
    ).all()
    sent = 0
    for user_id in user_ids:
        user = db.session.get(User, user_id)
        ids = db.session.scalars(
            select(Notification.id)
            .where(Notification.user_id == user_id, Notification.channel == DIGEST,
                   Notification.mailed_at.is_(None))
            .order_by(Notification.created_at, Notification.id)
        ).all()  # fmt: skip
        now = utcnow()
        claimed = db.session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.mailed_at.is_(None))
            .values(mailed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if not claimed or not can_receive(user):
            continue
        items = db.session.scalars(
            select(Notification)
            .where(Notification.id.in_(ids), Notification.mailed_at == now)
            .order_by(Notification.created_at, Notification.id)
        ).all()
        from stagematch import mailer

        if mailer.send(user.email, _l("je dagelijkse overzicht"), "notification_digest",
                       user=user, items=[(n.text, absolute(n.url)) for n in items],
                       link=absolute(site_path("notifications.index"))):  # fmt: skip
            sent += 1
        else:  # nothing queued: leave them for tomorrow
            db.session.execute(
                update(Notification)
                .where(Notification.id.in_([n.id for n in items]))
                .values(mailed_at=None)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
    return sent


# --- the in-site list -----------------------------------------------------------------------------


def unread_count_statement(user_id: int):
    """The count of the user's unread notifications, as a statement (pages that need other
    counts too ask for them together: issue #20)."""
    return select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )


def unread_count(user_id: int) -> int:
    return db.session.scalar(unread_count_statement(user_id))


def list_for(user_id: int):
    """The user's notifications, newest first (a statement, for pagination)."""
    return (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


def open_notification(*, user: User, notification_id: int) -> str | None:
    """Mark the user's own notification read; its url (a site path), or None when it is not
    theirs or its url is not a site path."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        return None
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()
    return notification.url if is_site_path(notification.url) else ""


def mark_all_read(*, user: User) -> int:
    count = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return count


@dataclass
class SettingRow:
    kind: str
    label: object
    channel: str
    error: str = ""


def settings_rows(user: User, posted=None) -> list[SettingRow]:
    """One row per kind the user can receive, with the chosen channel: from `posted` (a form,
    fields `kind-<kind>`) when given, with an error for a value that is not a channel."""
    rows = []
    for kind, spec in kinds_for(user.role).items():
        channel = channel_for(user, kind)
        error = ""
        if posted is not None:
            value = posted.get(f"kind-{kind}", channel)
            if value in CHANNELS:
                channel = value
            else:
                error = _("Kies meteen een mail, dagelijks overzicht of alleen op de site.")
        rows.append(SettingRow(kind, spec.label, channel, error))
    return rows


def save_settings(*, user: User, choices: dict[str, str]) -> None:
    """The user's channel per kind (only kinds of their role, only known channels)."""
    allowed = kinds_for(user.role)
    settings = {k: v for k, v in (user.notification_settings or {}).items() if k in KINDS}
    for kind, channel in choices.items():
        if kind in allowed and channel in CHANNELS:
            settings[kind] = channel
    user.notification_settings = settings
    db.session.commit()
