"""The administrator's use cases: finding users and companies, switching them off and on, removing
them, sending invitations again, and the lists of the mail log and of jobs.

Switching off keeps everything and can be undone; the sessions of the people concerned end at
once. Removing a student goes through the AVG erase path (`services.privacy`), which decides what
the school keeps; other accounts are erased the same way (name, address and password gone, the
audit log without their name). A company is removed only when no internship ever ran there (the
school's records refer to it): with its places, mentors and users. Every action is audited."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import Select, case, delete, func, or_, select, update

from stagematch import mailer
from stagematch.extensions import db
from stagematch.models import (
    ApiToken,
    Application,
    AuditEvent,
    Company,
    CompanyInvitation,
    DiscriminationReport,
    Internship,
    Job,
    MailLog,
    Mentor,
    Notification,
    Placement,
    SavedSearch,
    User,
)
from stagematch.models.enums import ApplicationStatus, PlacementStatus, Role
from stagematch.models.job import JobStatus
from stagematch.services import DomainError
from stagematch.services.accounts import password_token, send_confirmation
from stagematch.services.audit import record
from stagematch.services.fair_ads import AdCounts, counts_by_company
from stagematch.services.privacy import DELETED_NAME, anonymise_student
from stagematch.timeutil import utcnow
from stagematch.urls import external_url

REMOVED_DOMAIN = "@stagematch.invalid"  # the address of an erased account (privacy.py)
MAX_QUERY = 100  # characters of a search, as long as a person types

# --- the state of an account ---------------------------------------------------------------------

REMOVED, COMPANY_OFF, OFF, AWAITING, INVITED, ACTIVE = (
    "removed", "company_off", "off", "awaiting", "invited", "active",
)  # fmt: skip
STATE_LABELS = {
    ACTIVE: _l("actief"),
    INVITED: _l("uitgenodigd, nog geen wachtwoord"),
    AWAITING: _l("e-mailadres nog niet bevestigd"),
    OFF: _l("uitgezet"),
    COMPANY_OFF: _l("leerbedrijf uitgezet"),
    REMOVED: _l("verwijderd"),
}


def is_removed(user: User) -> bool:
    return user.email.endswith(REMOVED_DOMAIN)


def is_invited(user: User) -> bool:
    """Made by an import, never logged in, no password chosen yet (privacy.py erases the same
    way, but an erased account is inactive)."""
    return (
        user.is_active_account and user.last_login_at is None and user.password_hash.startswith("!")
    )


def account_state(user: User) -> str:
    if is_removed(user):
        return REMOVED
    if user.awaiting_confirmation:
        return AWAITING
    if not user.is_active_account:
        return OFF
    if user.company_id is not None and user.company.deactivated_at is not None:
        return COMPANY_OFF
    if is_invited(user):
        return INVITED
    return ACTIVE


# --- finding ---------------------------------------------------------------------------------------

USER_STATES = ("actief", "uitgezet", "verwijderd")
COMPANY_STATES = ("actief", "uitgezet")


@dataclass
class UserFilters:
    q: str = ""  # words in the name or the e-mail address
    role: str = ""  # a Role value, or "" for all
    state: str = ""  # one of USER_STATES, or "": everyone but the removed

    @classmethod
    def from_args(cls, args) -> UserFilters:
        """From a query string: unknown values are ignored (they come from links, not typing)."""
        role = args.get("rol", "")
        state = args.get("status", "")
        return cls(
            q=args.get("q", "").strip()[:MAX_QUERY],
            role=role if role in {r.value for r in Role} else "",
            state=state if state in USER_STATES else "",
        )


def users_statement(filters: UserFilters) -> Select:
    """SQL: the users that pass the filters, by name."""
    removed = User.email.endswith(REMOVED_DOMAIN, autoescape=True)
    stmt = select(User).order_by(User.name, User.id)
    for word in filters.q.split()[:4]:
        stmt = stmt.where(
            or_(User.name.icontains(word, autoescape=True), User.email.icontains(word, autoescape=True))
        )  # fmt: skip
    if filters.role:
        stmt = stmt.where(User.role == filters.role)
    if filters.state == "verwijderd":
        return stmt.where(removed)
    stmt = stmt.where(~removed)
    if filters.state == "actief":
        stmt = stmt.where(User.is_active_account.is_(True))
    elif filters.state == "uitgezet":
        stmt = stmt.where(User.is_active_account.is_(False))
    return stmt


@dataclass
class CompanyFilters:
    q: str = ""  # words in the name, the KvK number or the town
    state: str = ""  # one of COMPANY_STATES, or "" for all

    @classmethod
    def from_args(cls, args) -> CompanyFilters:
        state = args.get("status", "")
        return cls(
            q=args.get("q", "").strip()[:MAX_QUERY],
            state=state if state in COMPANY_STATES else "",
        )


def companies_statement(filters: CompanyFilters) -> Select:
    """SQL: the companies that pass the filters, by name, with their number of users and places."""
    users = select(func.count(User.id)).where(User.company_id == Company.id).scalar_subquery()
    places = (
        select(func.count(Placement.id)).where(Placement.company_id == Company.id).scalar_subquery()
    )
    stmt = select(Company, users.label("users"), places.label("places")).order_by(
        Company.name, Company.id
    )
    for word in filters.q.split()[:4]:
        stmt = stmt.where(
            or_(
                Company.name.icontains(word, autoescape=True),
                Company.kvk_number.icontains(word, autoescape=True),
                Company.city.icontains(word, autoescape=True),
            )
        )
    if filters.state == "actief":
        stmt = stmt.where(Company.deactivated_at.is_(None))
    elif filters.state == "uitgezet":
        stmt = stmt.where(Company.deactivated_at.is_not(None))
    return stmt


@dataclass
class CompanyFacts:
    """What an administrator weighs before switching a company off or removing it."""

    users: list[User]
    invitations: list[CompanyInvitation]
    places: dict[str, int]  # status -> count
    open_places: list[Placement]
    mentors: int
    internships: int
    open_applications: int
    reports: int
    ads: AdCounts = field(default_factory=AdCounts)  # checks of its place texts (fair_ads)

    @property
    def place_count(self) -> int:
        return sum(self.places.values())

    @property
    def removable(self) -> bool:
        return not self.internships and not self.reports


OPEN_APPLICATION = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.SHORTLISTED,
    ApplicationStatus.OFFERED,
)


def company_facts(company: Company) -> CompanyFacts:
    def count(stmt) -> int:
        return db.session.scalar(stmt) or 0

    place_ids = select(Placement.id).where(Placement.company_id == company.id)
    return CompanyFacts(
        users=list(db.session.scalars(
            select(User).where(User.company_id == company.id).order_by(User.name, User.id))),
        invitations=list(db.session.scalars(
            select(CompanyInvitation)
            .where(CompanyInvitation.company_id == company.id, CompanyInvitation.accepted_at.is_(None),
                   CompanyInvitation.revoked_at.is_(None))
            .order_by(CompanyInvitation.created_at.desc()))),
        places=dict(db.session.execute(
            select(Placement.status, func.count(Placement.id))
            .where(Placement.company_id == company.id).group_by(Placement.status)).all()),
        open_places=list(db.session.scalars(
            select(Placement).where(Placement.company_id == company.id,
                                    Placement.status == PlacementStatus.OPEN)
            .order_by(Placement.title).limit(20))),
        mentors=count(select(func.count(Mentor.id)).where(Mentor.company_id == company.id)),
        internships=count(select(func.count(Internship.id)).where(Internship.placement_id.in_(place_ids))),
        open_applications=count(
            select(func.count(Application.id))
            .where(Application.placement_id.in_(place_ids),
                   Application.status.in_(OPEN_APPLICATION))),
        reports=count(select(func.count(DiscriminationReport.id))
                      .where(DiscriminationReport.company_id == company.id)),
        ads=counts_by_company([company.id]).get(company.id, AdCounts()),
    )  # fmt: skip


@dataclass
class MailFilters:
    recipient: str = ""
    status: str = ""  # "mislukt", "wachtrij", "verstuurd" or "" for all

    @classmethod
    def from_args(cls, args) -> MailFilters:
        status = args.get("status", "")
        return cls(
            recipient=args.get("aan", "").strip()[:MAX_QUERY],
            status=status if status in MAIL_STATES else "",
        )


MAIL_STATES = {"mislukt": mailer.FAILED, "wachtrij": mailer.QUEUED, "verstuurd": mailer.SENT}


def mail_statement(filters: MailFilters) -> Select:
    """SQL: the mail log, newest first."""
    stmt = select(MailLog).order_by(MailLog.created_at.desc(), MailLog.id.desc())
    if filters.recipient:
        stmt = stmt.where(MailLog.recipients.icontains(filters.recipient, autoescape=True))
    if filters.status:
        stmt = stmt.where(MailLog.status == MAIL_STATES[filters.status])
    return stmt


JOB_STATES = {"mislukt": JobStatus.FAILED, "bezig": JobStatus.RUNNING,
              "wachtrij": JobStatus.QUEUED, "klaar": JobStatus.DONE}  # fmt: skip


def jobs_statement(status: str = "") -> Select:
    """SQL: jobs, the failed ones first, then the newest."""
    failed_first = case((Job.status == JobStatus.FAILED, 0), else_=1)
    stmt = select(Job).order_by(failed_first, Job.created_at.desc(), Job.id)
    if status in JOB_STATES:
        stmt = stmt.where(Job.status == JOB_STATES[status])
    return stmt


def failures_since(days: int = 7) -> tuple[int, int]:
    """Failed mails and failed jobs of the last `days` days (for the admin home)."""
    since = utcnow() - timedelta(days=days)
    mails = db.session.scalar(
        select(func.count(MailLog.id)).where(MailLog.status == mailer.FAILED, MailLog.created_at >= since)
    )  # fmt: skip
    jobs = db.session.scalar(
        select(func.count(Job.id)).where(Job.status == JobStatus.FAILED, Job.created_at >= since)
    )
    return mails or 0, jobs or 0


# --- users ---------------------------------------------------------------------------------------


def _check_user_action(action: str, user: User, by: User) -> None:
    """Raise DomainError when `action` cannot be done to `user` now."""
    if action in ("deactivate", "remove") and user.id == by.id:
        raise DomainError(_("Je eigen account kun je hier niet uitzetten of verwijderen."))
    if is_removed(user):
        raise DomainError(_("Dit account is verwijderd."))
    if action == "deactivate" and not user.is_active_account and not user.awaiting_confirmation:
        raise DomainError(_("Dit account staat al uit."))
    if action == "reactivate" and (user.is_active_account or user.awaiting_confirmation):
        raise DomainError(_("Dit account staat niet uit."))
    if action == "invite" and not can_resend_invitation(user):
        raise DomainError(_("Dit account heeft al een wachtwoord gekozen; er is geen uitnodiging "
                            "om opnieuw te sturen."))  # fmt: skip


def user_action_refusal(action: str, user: User, *, by: User) -> str | None:
    """Why `action` cannot be done to `user` now (for the confirmation page), or None."""
    try:
        _check_user_action(action, user, by)
    except DomainError as error:
        return error.message
    return None


def _end_sessions(user: User) -> None:
    """Every session and remember cookie of the user stops working (as accounts.end_sessions)."""
    user.session_version = User.session_version + 1  # in SQL: two at once both count


def deactivate_user(user: User, *, by: User) -> None:
    """Switch the account off: it cannot log in, its sessions and API tokens stop working."""
    _check_user_action("deactivate", user, by)
    if user.awaiting_confirmation:
        # Never confirmed: without this, its confirmation link (or a new one) would switch it on
        # again. It chooses a new password after it is switched on.
        user.password_hash = "!" + secrets.token_hex(32)
    user.is_active_account = False
    _end_sessions(user)
    record("user.deactivate", user, actor=by)
    db.session.commit()


def reactivate_user(user: User, *, by: User) -> None:
    _check_user_action("reactivate", user, by)
    user.is_active_account = True
    record("user.reactivate", user, actor=by)
    db.session.commit()


def remove_user(user: User, *, by: User) -> None:
    """Erase the account. A student through the AVG erase path (what the school must keep stays,
    anonymised); any other account the same way: name, address and password gone, tokens,
    saved searches and notifications deleted, the audit log without their name."""
    _check_user_action("remove", user, by)
    if user.role == Role.STUDENT:
        anonymise_student(user, reason="verwijderd door de beheerder", actor=by)
        return
    label = f"{user.role}:{user.id}"
    for model in (ApiToken, SavedSearch, Notification):
        db.session.execute(delete(model).where(model.user_id == user.id))
    user.name = DELETED_NAME
    user.email = f"verwijderd-{user.id}-{secrets.token_hex(4)}{REMOVED_DOMAIN}"
    user.password_hash = "!" + secrets.token_hex(32)
    user.is_active_account = False
    user.notification_settings = None
    _end_sessions(user)
    record("user.delete", user, actor=by)
    db.session.flush()
    db.session.execute(
        update(AuditEvent).where(AuditEvent.actor_id == user.id).values(actor_label=label)
    )
    db.session.commit()


def can_resend_invitation(user: User) -> bool:
    """A student the import made who has not chosen a password yet, or an account whose address is
    not confirmed yet (the confirmation mail again)."""
    if is_removed(user):
        return False
    invited = user.role in (Role.STUDENT, Role.JOB_COACH) and is_invited(user)
    return invited or user.awaiting_confirmation


def resend_invitation(user: User, *, by: User) -> bool:
    """Mail the invitation again: to an imported student the link to choose a password (as the
    import did), to an unconfirmed account the confirmation link. Whether it was queued."""
    _check_user_action("invite", user, by)
    record("user.invite_resend", user, actor=by)
    db.session.commit()
    if user.awaiting_confirmation:
        send_confirmation(user)
        return True
    link = external_url("auth.set_password", token=password_token(user))
    if user.role == Role.JOB_COACH:
        return _mail_job_coach(user, link)
    return mailer.send(user.email, _l("je account staat klaar"), "student_invite", user=user,
                       school=user.school, link=link)  # fmt: skip


def _mail_job_coach(user: User, link: str) -> bool:
    return mailer.send(user.email, _l("je account als jobcoach staat klaar"), "job_coach_invite",
                       user=user, link=link)  # fmt: skip


def invite_job_coach(*, name: str, email: str, organisation: str, by: User) -> User:
    """A job coach (issue 18) gets an account without a password and a link to choose one, as an
    imported student does; the coach helps learners who give them consent (services/acting.py)."""
    from stagematch.services.accounts import email_taken, normalise_email

    name, organisation = name.strip(), organisation.strip()
    if not name or not organisation:
        raise DomainError(
            _("Vul de naam en de organisatie in."), "name" if not name else "organisation"
        )
    if email_taken(email):
        raise DomainError(_("Er is al een account met dit e-mailadres."), "email")
    coach = User(email=normalise_email(email), name=name, role=Role.JOB_COACH,
                 organisation=organisation, password_hash="!" + secrets.token_hex(24))  # fmt: skip
    db.session.add(coach)
    db.session.flush()
    record("user.invite_job_coach", coach, actor=by, organisation=organisation)
    db.session.commit()
    _mail_job_coach(coach, external_url("auth.set_password", token=password_token(coach)))
    return coach


def resend_colleague_invitation(invitation: CompanyInvitation, *, by: User) -> bool:
    """Mail a colleague's invitation again, with a new link valid for 7 days from now."""
    from stagematch.services.companies import INVITATION_DAYS, invitation_token

    if not invitation.open:
        raise DomainError(_("Deze uitnodiging is al gebruikt of ingetrokken."))
    if invitation.company.deactivated_at is not None:
        raise DomainError(_("Dit leerbedrijf staat uit. Zet het eerst weer aan."))
    invitation.created_at = utcnow()
    record("colleague.invite_resend", invitation, actor=by, company=invitation.company_id)
    db.session.commit()
    return mailer.send(
        invitation.email, _l("je bent uitgenodigd"), "colleague_invite", invitation=invitation,
        company=invitation.company, inviter=invitation.invited_by, days=INVITATION_DAYS,
        link=external_url("companies.accept_invitation", token=invitation_token(invitation)),
    )  # fmt: skip


# --- companies -------------------------------------------------------------------------------------


def company_action_refusal(action: str, company: Company, facts: CompanyFacts) -> str | None:
    """Why `action` cannot be done to `company` now (for the confirmation page), or None."""
    if action == "deactivate" and company.deactivated_at is not None:
        return _("Dit leerbedrijf staat al uit.")
    if action == "reactivate" and company.deactivated_at is None:
        return _("Dit leerbedrijf staat niet uit.")
    if action == "remove":
        return removal_refusal(facts)
    return None


def deactivate_company(company: Company, *, by: User) -> None:
    """Switch the company off: its places leave every list, search and round (the eligibility
    rules), its users cannot log in and their sessions end. Nothing is deleted."""
    if company.deactivated_at is not None:
        raise DomainError(_("Dit leerbedrijf staat al uit."))
    company.deactivated_at = utcnow()
    db.session.execute(
        update(User)
        .where(User.company_id == company.id)
        .values(session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    record("company.deactivate", company, actor=by, name=company.name)
    db.session.commit()


def reactivate_company(company: Company, *, by: User) -> None:
    if company.deactivated_at is None:
        raise DomainError(_("Dit leerbedrijf staat niet uit."))
    company.deactivated_at = None
    record("company.reactivate", company, actor=by, name=company.name)
    db.session.commit()


def removal_refusal(facts: CompanyFacts) -> str | None:
    """Why the company cannot be removed (then it can only be switched off), or None."""
    if facts.internships:
        return ngettext(
            "Dit leerbedrijf kan niet weg: er liep hier %(num)s stage, en scholen bewaren die "
            "gegevens. Zet het uit; dan verdwijnen de plekken en kan niemand meer inloggen.",
            "Dit leerbedrijf kan niet weg: er liepen hier %(num)s stages, en scholen bewaren die "
            "gegevens. Zet het uit; dan verdwijnen de plekken en kan niemand meer inloggen.",
            facts.internships,
        )
    if facts.reports:
        return ngettext(
            "Dit leerbedrijf kan niet weg: er is %(num)s melding van discriminatie over, en "
            "coördinatoren hebben die nodig. Zet het uit.",
            "Dit leerbedrijf kan niet weg: er zijn %(num)s meldingen van discriminatie over, en "
            "coördinatoren hebben die nodig. Zet het uit.",
            facts.reports,
        )
    return None


def remove_company(company: Company, *, by: User) -> None:
    """Delete a company where no internship ran (a fake or a mistaken registration) with its
    places (and the applications to them), mentors, invitations and users. The audit log keeps
    what was removed; its users' names leave the log."""
    company_id = company.id
    # Serialise with anything that could add an internship or a user meanwhile.
    db.session.execute(
        update(Company).where(Company.id == company_id).values(id=Company.id)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    facts = company_facts(company)
    refusal = removal_refusal(facts)
    if refusal:
        db.session.rollback()
        raise DomainError(refusal)
    user_ids = [u.id for u in facts.users]
    record("company.delete", company, actor=by, name=company.name, kvk=company.kvk_number,
           places=facts.place_count, mentors=facts.mentors, users=len(user_ids))  # fmt: skip
    for user_id in user_ids:
        db.session.execute(
            update(AuditEvent)
            .where(AuditEvent.actor_id == user_id)
            .values(actor_label=f"{Role.COMPANY}:{user_id}")
        )
    # Places first (applications, rounds and favourites go with them in the database), then
    # mentors, which places point to, then the users and the company itself.
    db.session.execute(delete(Placement).where(Placement.company_id == company_id))
    db.session.execute(
        update(Mentor).where(Mentor.company_id == company_id).values(meester_id=None)
    )
    db.session.execute(delete(Mentor).where(Mentor.company_id == company_id))
    db.session.execute(delete(User).where(User.company_id == company_id))
    db.session.execute(delete(Company).where(Company.id == company_id))
    db.session.commit()
