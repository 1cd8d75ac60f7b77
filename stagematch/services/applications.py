"""Applications from submission to decision, and the internship an accepted offer becomes.

Hiring is by consent: the company makes an offer (with a date to answer by), the student accepts
or declines it; an offer nobody answered expires (`expire_offers`, a daily job). Allocation rounds
make offers too and use the same accept and decline.

Answers within a deadline: a company answers (invites, rejects or offers) within
APPLICATION_ANSWER_DAYS (config, 14) of the submission; it is reminded after 7 and 12 days, and an
application still unanswered after its answer-by date expires (`expire_unanswered`, a nightly job).
Everyone involved is told through `services.notifications`, after the commit.

Every status change is one conditional UPDATE on the application row ("still in a status it may
leave"): of two simultaneous decisions on one application (the student withdraws while accepting
in another tab, the company offers while the student withdraws) exactly one wins, the other gets a
DomainError. Writes that take a seat (offer, accept) first take the row locks of
`capacity.lock_place_and_mentors`, so they are serialised per place and mentor before anything is
counted; accepting also locks the student, so two offers cannot both become internships. The
rules themselves are `services.eligibility`'s."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from stagematch.extensions import db
from stagematch.matching.eligibility import Reason
from stagematch.matching.text import N_, Phrase
from stagematch.models import (
    REJECTION_REASONS,
    Application,
    Evaluation,
    Internship,
    Placement,
    StudentProfile,
    User,
)
from stagematch.models.enums import (
    ApplicationStatus,
    EvaluationAuthor,
    EvaluationMoment,
    InternshipStatus,
    PlacementStatus,
    Role,
)
from stagematch.services import DomainError, agreements
from stagematch.services.audit import record
from stagematch.services.capacity import filled_seats, lock_place_and_mentors
from stagematch.services.eligibility import describe, pair_reasons, require_pair
from stagematch.services.interactions import log_event
from stagematch.timeutil import age_on, today, utcnow

# Open: still to be decided. An offer is decided by the student.
OPEN_STATUSES = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.SHORTLISTED,
    ApplicationStatus.OFFERED,
)
# The company decides these; an offered application is the student's to decide.
COMPANY_DECIDES = (ApplicationStatus.SUBMITTED, ApplicationStatus.SHORTLISTED)
OFFER_DAYS_DEFAULT, OFFER_DAYS_MIN, OFFER_DAYS_MAX = 7, 1, 30
ADULT_AGE = 18
# Seats and capacity change from day to day; they decide offers and accepts, not whether a
# company may look at (shortlist) an applicant.
CAPACITY_CODES = frozenset({"seat", "meester_capacity", "gezel_capacity"})


def has_running_internship(student_id: int) -> bool:
    return (
        db.session.scalar(
            select(func.count(Internship.id)).where(
                Internship.student_id == student_id, Internship.status == InternshipStatus.ACTIVE
            )
        )
        > 0
    )


def is_minor(profile: StudentProfile, on: date | None = None) -> bool:
    """Under 18 on `on` (today); unknown without a birth date."""
    return profile.birth_date is not None and age_on(profile.birth_date, on or today()) < ADULT_AGE


def offer_expired(application: Application, on: date | None = None) -> bool:
    return application.respond_by is not None and application.respond_by < (on or today())


def default_respond_by() -> date:
    return today() + timedelta(days=OFFER_DAYS_DEFAULT)


# --- submitting ---------------------------------------------------------------------------------


def _already_applied(student_id: int, placement_id: int) -> bool:
    return (
        db.session.scalar(
            select(Application.id).where(
                Application.student_id == student_id, Application.placement_id == placement_id
            )
        )
        is not None
    )


def apply(
    *,
    student: StudentProfile,
    placement: Placement,
    motivation: str,
    anonymous: bool = True,
    by: User | None = None,
) -> Application:
    """`by`: a coordinator applying for the student with the student's valid consent
    (services/acting.py); the rules are the student's own, the audit log names both."""
    acting = by is not None and by.id != student.user_id
    if acting:
        from stagematch.services.acting import require_consent

        require_consent(student=student, actor=by)
    if placement.status != PlacementStatus.OPEN:
        raise DomainError(_("Deze plek staat niet meer open."))
    if has_running_internship(student.id):
        raise DomainError(
            _("Je hebt al een stageplek. Je kunt pas weer solliciteren als die is afgelopen.")
        )
    student_id, placement_id = student.id, placement.id
    if _already_applied(student_id, placement_id):
        raise DomainError(_("Je hebt al op deze plek gesolliciteerd."))
    require_pair(student, placement)
    application = Application(
        student=student, placement=placement, motivation=motivation.strip(), anonymous=anonymous
    )
    db.session.add(application)
    try:
        db.session.flush()
    except IntegrityError:
        # A double submit: the other request inserted the same (student, place) meanwhile and
        # the unique constraint refused this one.
        db.session.rollback()
        if _already_applied(student_id, placement_id):
            raise DomainError(_("Je hebt al op deze plek gesolliciteerd.")) from None
        raise
    if acting:
        record("application.submit", application, placement=placement_id, actor=by,
               submitted_by=by.name, on_behalf_of=student.user.name)  # fmt: skip
    else:
        record("application.submit", application, placement=placement_id)
    db.session.commit()
    log_event("apply", student_id=student_id, place_id=placement_id)
    _notify_received(application)
    if acting:
        _notify_on_behalf(application, by)
    return application


def _notify_on_behalf(application: Application, coordinator: User) -> None:
    from stagematch.services.notifications import notify, site_path

    user = application.student.user
    message = Phrase(N_('%(coordinator)s heeft namens jou gesolliciteerd op "%(title)s" bij '
                        "%(company)s."), coordinator=coordinator.name,
                     title=application.placement.title, company=application.placement.company.name)  # fmt: skip
    notify(user, "application_on_behalf", f"application:{application.id}", message,
           site_path("students.applications", _anchor=f"sollicitatie-{application.id}"),
           subject=_l("je jobcoach heeft namens jou gesolliciteerd") if coordinator.role == "job_coach"
           else _l("je stagecoördinator heeft namens jou gesolliciteerd"))  # fmt: skip


def invite_to_apply(
    *, placement: Placement, profile: StudentProfile, by: User | None = None
) -> bool:
    """A company invites a suggested student to apply (once per student and place); the student
    is told, the company still does not learn who it is. False: invited before."""
    from stagematch.models import AuditEvent
    from stagematch.services.notifications import notify, site_path

    already = db.session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.action == "placement.invite",
            AuditEvent.object_id == placement.id,
            AuditEvent.detail.contains(f'"student": {profile.id}'),
        )
    )
    if already:
        return False
    record("placement.invite", placement, student=profile.id, actor=by)
    db.session.commit()
    message = Phrase(N_('%(company)s nodigt je uit om te solliciteren op "%(title)s".'),
                     company=placement.company.name, title=placement.title)  # fmt: skip
    notify(profile.user, "place_invitation", f"placement:{placement.id}", message,
           site_path("places.detail", placement_id=placement.id), template="student_invited",
           subject=_l("een leerbedrijf nodigt je uit"), placement=placement)  # fmt: skip
    return True


# --- conditional status changes -----------------------------------------------------------------


def _transition(application_id: int, to: str, *, allowed: Iterable[str], conditions=(),
                **values) -> bool:  # fmt: skip
    """One conditional UPDATE: `application_id` moves to `to` only while its status is one of
    `allowed` (and `conditions` hold). Returns whether it did; the caller decides what a miss
    means. Under PostgreSQL a concurrent change to the same row makes this wait and then
    re-check the condition against the committed row."""
    result = db.session.execute(
        update(Application)
        .where(Application.id == application_id, Application.status.in_(list(allowed)), *conditions)
        .values(status=to, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _decide(application: Application, status: str, *, allowed: Iterable[str] = OPEN_STATUSES,
            conditions=(), **values) -> None:  # fmt: skip
    if not _transition(application.id, status, allowed=allowed, conditions=conditions, **values):
        db.session.rollback()
        raise DomainError(_("Deze sollicitatie is al afgehandeld."))
    db.session.refresh(application)


def _fresh(application_id: int) -> Application:
    application = db.session.scalars(
        select(Application)
        .where(Application.id == application_id)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if application is None:
        raise DomainError(_("Deze sollicitatie bestaat niet meer."))
    return application


def _require_open(application: Application) -> None:
    if application.status not in OPEN_STATUSES:
        raise DomainError(_("Deze sollicitatie is al afgehandeld."))


def _require_company_decides(application: Application) -> None:
    """The company decides submitted and shortlisted applications; an offer is the student's."""
    _require_open(application)
    if application.status == ApplicationStatus.OFFERED:
        if application.round_id is not None:
            raise DomainError(
                _(
                    "Deze plek is in een verdeelronde aan de student aangeboden; de student beslist nu."
                )
            )
        raise DomainError(
            _("Je hebt deze student een aanbod gedaan; de student beslist nu (uiterlijk %(date)s).",
              date=_date(application.respond_by))
        )  # fmt: skip


def _date(value: date | None) -> str:
    from stagematch.templating import format_date

    return format_date(value)


# --- the company decides ------------------------------------------------------------------------


def pair_problems(application: Application) -> list[Reason]:
    """The rules this student and place break now (for the company's decision screen)."""
    if application.student is None:
        return []
    return pair_reasons(application.student, application.placement)


def _require_allowed_pair(application: Application, *, ignore=frozenset()) -> None:
    found = [r for r in pair_problems(application) if r.code not in ignore]
    if found:
        raise DomainError(
            _("Dit mag niet volgens de regels: %(reasons)s.", reasons=describe(found))
        )


def shortlist(application: Application, *, by: User | None = None) -> None:
    """Invite the applicant (the company sees who it is). Refused for a pair the rules forbid
    (another leerweg, qualification or level, no accreditation, wage, working time…); a full
    place may still shortlist, since seats can come free."""
    _require_company_decides(application)
    if application.status == ApplicationStatus.SHORTLISTED:
        return
    _require_allowed_pair(application, ignore=CAPACITY_CODES)
    _decide(application, ApplicationStatus.SHORTLISTED, allowed=(ApplicationStatus.SUBMITTED,),
            shortlisted_at=utcnow())  # fmt: skip
    record("application.shortlist", application, actor=by)
    db.session.commit()
    log_event("shortlist", student_id=application.student_id, place_id=application.placement_id)
    _tell_student(application, "application_shortlisted")


def reject(
    application: Application, *, reason: str, note: str = "", by: User | None = None
) -> None:
    """Reject with a reason. No rule check: turning down a pair the rules forbid is exactly what
    the company should be able to do."""
    _require_company_decides(application)
    if reason not in REJECTION_REASONS:
        raise DomainError(_("Kies een reden."), "reason")
    _decide(application, ApplicationStatus.REJECTED, allowed=COMPANY_DECIDES, rejection_reason=reason,
            rejection_note=note.strip(), decided_at=utcnow())  # fmt: skip
    record("application.reject", application, reason=reason, note=note.strip(), actor=by)
    db.session.commit()
    _tell_student(application, "application_rejected")


def make_offer(application_id: int, *, respond_by: date, by: User | None = None) -> Application:
    """The company offers the place: the seat and a unit of the meester's and gezel's capacity
    are held for the student until `respond_by` (1–30 days from today). Every rule is checked
    under the place's and mentors' locks, so two offers cannot take one last seat."""
    on = today()
    if not on + timedelta(days=OFFER_DAYS_MIN) <= respond_by <= on + timedelta(days=OFFER_DAYS_MAX):
        raise DomainError(
            _("Kies een datum tussen %(first)s en %(last)s.", first=_date(on + timedelta(days=OFFER_DAYS_MIN)),
              last=_date(on + timedelta(days=OFFER_DAYS_MAX))),
            "respond_by",
        )  # fmt: skip
    placement_id = db.session.scalar(
        select(Application.placement_id).where(Application.id == application_id)
    )
    if placement_id is None:
        raise DomainError(_("Deze sollicitatie bestaat niet meer."))
    lock_place_and_mentors(placement_id)
    try:
        application = _fresh(application_id)
        _require_company_decides(application)
        if application.student is None:
            raise DomainError(_("Deze sollicitatie is al afgehandeld."))
        if has_running_internship(application.student_id):
            raise DomainError(
                _("Deze student heeft al een stageplek gekregen bij een ander leerbedrijf.")
            )
        require_pair(application.student, application.placement)
        minor = is_minor(application.student, on)
        _decide(application, ApplicationStatus.OFFERED, allowed=COMPANY_DECIDES, offered_at=utcnow(),
                respond_by=respond_by, decided_at=None)  # fmt: skip
    except DomainError:
        db.session.rollback()
        raise
    record("application.offer", application, respond_by=respond_by, minor=minor, actor=by)
    db.session.commit()
    log_event("offer", student_id=application.student_id, place_id=application.placement_id)
    _notify_offer_made(application, minor=minor)
    return application


# --- the student decides ------------------------------------------------------------------------


def withdraw(application: Application, *, by: User | None = None) -> None:
    """The student withdraws a submitted or shortlisted application (an offer is declined, an
    accepted one ends via the internship)."""
    _require_open(application)
    if application.status == ApplicationStatus.OFFERED:
        raise DomainError(_("Dit is een aanbod: neem het aan of sla het af."))
    _decide(application, ApplicationStatus.WITHDRAWN, allowed=COMPANY_DECIDES, decided_at=utcnow())
    record("application.withdraw", application, actor=by)
    db.session.commit()
    log_event("withdraw", student_id=application.student_id, place_id=application.placement_id)


def decline_offer(application_id: int, *, by: User | None = None) -> Application:
    """The student says no to an offer: its seat is free again, the company is told."""
    application = _fresh(application_id)
    if application.status != ApplicationStatus.OFFERED:
        db.session.rollback()
        raise DomainError(_("Dit aanbod is al afgehandeld."))
    if not _transition(application.id, ApplicationStatus.DECLINED,
                       allowed=(ApplicationStatus.OFFERED,), decided_at=utcnow()):  # fmt: skip
        db.session.rollback()
        raise DomainError(_("Dit aanbod is al afgehandeld."))
    db.session.refresh(application)
    record("application.decline", application, actor=by)
    db.session.commit()
    log_event("decline", student_id=application.student_id, place_id=application.placement_id)
    _tell_company(application, "offer_declined")
    return application


def accept_offer(application_id: int, *, withdraw_ids: Iterable[int] = (),
                 by: User | None = None) -> Internship:  # fmt: skip
    """The student takes an offer (from a company or an allocation round): the internship starts
    and exactly the other open applications in `withdraw_ids` are withdrawn (offers among them
    are declined). Refused when the offer expired or the rules no longer allow the pair."""
    internship, declined = _take_place(
        application_id, offered=True, withdraw_ids=withdraw_ids, by=by
    )
    application = internship.application
    _notify_accepted(application, declined)
    return internship


def accept(application_id: int, *, offer: bool = False) -> Internship:
    """Earlier entry point. `offer=True`: the student takes an offer and every other open
    application is withdrawn. `offer=False`: the place is given without an offer — the site no
    longer does this (a company makes an offer); kept for fixtures and data imports of
    internships that were agreed outside StageMatch. Both go through `_take_place`."""
    others = db.session.scalars(
        select(Application.id).where(
            Application.student_id
            == select(Application.student_id)
            .where(Application.id == application_id)
            .scalar_subquery(),
            Application.id != application_id,
            Application.status.in_(OPEN_STATUSES),
        )
    ).all()
    internship, _declined = _take_place(application_id, offered=offer, withdraw_ids=others)
    return internship


def _take_place(application_id: int, *, offered: bool, withdraw_ids: Iterable[int],
                by: User | None = None) -> tuple[Internship, list[Application]]:  # fmt: skip
    """The one path from an application to an internship (see the module docstring)."""
    row = db.session.execute(
        select(Application.placement_id, Application.student_id).where(Application.id == application_id)
    ).one_or_none()  # fmt: skip
    if row is None or row.student_id is None:
        raise DomainError(_("Deze sollicitatie bestaat niet meer."))
    placement_id, student_id = row
    lock_place_and_mentors(placement_id)
    # Then the student (after the place and mentors, the order everywhere): two offers of one
    # student on different places meet here, so only one becomes an internship.
    db.session.execute(
        update(StudentProfile).where(StudentProfile.id == student_id)
        .values(updated_at=StudentProfile.updated_at)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    on = today()
    try:
        application = _fresh(application_id)
        placement = db.session.scalars(
            select(Placement)
            .where(Placement.id == placement_id)
            .execution_options(populate_existing=True)
        ).one()
        if offered:
            if application.status != ApplicationStatus.OFFERED:
                _require_open(application)
                raise DomainError(_("Dit is geen aanbod; het leerbedrijf doet eerst een aanbod."))
            if offer_expired(application, on) or application.status == ApplicationStatus.EXPIRED:
                raise DomainError(
                    _("Dit aanbod is verlopen: je kon reageren tot en met %(date)s. Vraag het "
                      "leerbedrijf om een nieuw aanbod.", date=_date(application.respond_by))
                )  # fmt: skip
        else:
            _require_company_decides(application)
        if has_running_internship(student_id):
            raise DomainError(
                _("Deze student heeft al een stageplek gekregen bij een ander leerbedrijf.")
            )
        require_pair(
            application.student, placement, holding_offer=application.id if offered else None
        )
        now = utcnow()
        if offered:
            allowed, conditions = (
                (ApplicationStatus.OFFERED,),
                (or_(Application.respond_by.is_(None), Application.respond_by >= on),),
            )
        else:
            allowed, conditions = COMPANY_DECIDES, ()
        _decide(application, ApplicationStatus.ACCEPTED, allowed=allowed, conditions=conditions,
                decided_at=now, shortlisted_at=application.shortlisted_at or now)  # fmt: skip
    except DomainError:
        db.session.rollback()
        raise

    start = max(placement.start_date, on)
    internship = Internship(
        application=application, student_id=student_id, placement=placement,
        school_id=application.student.school_id, meester_id=placement.meester_id,
        gezel_id=placement.gezel_id, start_date=start,
        end_date=start + timedelta(weeks=placement.duration_weeks), status=InternshipStatus.ACTIVE,
    )  # fmt: skip
    db.session.add(internship)
    schedule_evaluations(internship)
    db.session.flush()
    if internship.school_id is not None:  # the POK, version 1 (same transaction); a
        agreements.create_first_version(internship, by=by)  # zij-instromer's waits for a school
    if filled_seats([placement.id]).get(placement.id, 0) >= placement.seats:
        placement.status = PlacementStatus.FILLED

    withdrawn, declined = [], []
    chosen = sorted({int(i) for i in withdraw_ids} - {application.id})
    for other_id in chosen:
        # Still open and the student's own: an offer becomes declined, the rest withdrawn.
        if _transition(
            other_id,
            case((Application.status == ApplicationStatus.OFFERED, ApplicationStatus.DECLINED),
                 else_=ApplicationStatus.WITHDRAWN),
            allowed=OPEN_STATUSES, conditions=(Application.student_id == student_id,),
            decided_at=now,
        ):  # fmt: skip
            other = _fresh(other_id)
            (declined if other.status == ApplicationStatus.DECLINED else withdrawn).append(other)
    record("application.accept", application, internship=internship.id, offer=offered,
           withdrawn=[o.id for o in withdrawn], declined=[o.id for o in declined], actor=by)  # fmt: skip
    db.session.commit()
    log_event("accept", student_id=application.student_id, place_id=application.placement_id,
              payload={"offer": offered})  # fmt: skip
    return internship, declined


# --- expiry -------------------------------------------------------------------------------------


def expire_offers(*, on: date | None = None) -> list[Application]:
    """The daily job: offers whose respond-by date has passed become 'expired' (their seat was
    free again from that day on; `capacity` already ignores them); student and company are told."""
    on = on or today()
    due = db.session.scalars(
        select(Application.id).where(
            Application.status == ApplicationStatus.OFFERED, Application.respond_by < on
        ).order_by(Application.id)
    ).all()  # fmt: skip
    expired = []
    for application_id in due:
        if _transition(application_id, ApplicationStatus.EXPIRED, allowed=(ApplicationStatus.OFFERED,),
                       conditions=(Application.respond_by < on,), decided_at=utcnow()):  # fmt: skip
            application = _fresh(application_id)
            record("application.expire", application, respond_by=application.respond_by)
            expired.append(application)
    db.session.commit()
    for application in expired:
        _tell_student(application, "offer_expired")
        _tell_company(application, "offer_expired")
    return expired


# --- internships --------------------------------------------------------------------------------


def schedule_evaluations(internship: Internship) -> None:
    """A mid-term and a final evaluation, by the student and by the meester, each with a due date."""
    middle = internship.start_date + (internship.end_date - internship.start_date) / 2
    for moment, due in (
        (EvaluationMoment.MIDTERM, middle),
        (EvaluationMoment.FINAL, internship.end_date),
    ):
        for author in (EvaluationAuthor.STUDENT, EvaluationAuthor.MEESTER):
            internship.evaluations.append(
                Evaluation(author_role=author, moment=moment, due_date=due)
            )


def end_internship(internship: Internship, *, outcome: str, terminated: bool,
                   last_day: date | None = None) -> None:  # fmt: skip
    """Completion or termination frees the seat and the meester's capacity again.

    Ending early (`terminated`) shortens the period to the last day worked: `end_date` (exclusive,
    as `services.capacity` counts) becomes the day after `last_day` (default: yesterday, so the
    seat frees today), and `ended_at` is the last day (default today, the day it was recorded).
    A last day still to come keeps the seat and the meester's time until then."""
    if internship.status != InternshipStatus.ACTIVE:
        raise DomainError(_("Deze stage is al afgesloten."))
    internship.status = InternshipStatus.TERMINATED if terminated else InternshipStatus.COMPLETED
    internship.outcome = outcome
    internship.ended_at = today() if last_day is None else last_day
    if terminated:
        until = today() if last_day is None else last_day + timedelta(days=1)
        internship.end_date = max(internship.start_date, min(internship.end_date, until))
    placement = internship.placement
    if placement.status == PlacementStatus.FILLED and placement.start_date >= today():
        placement.status = PlacementStatus.OPEN
        placement.confirmed_at = utcnow()
    record("internship.end", internship, outcome=outcome, terminated=terminated)
    db.session.commit()
    log_event("complete", student_id=internship.student_id, place_id=internship.placement_id,
              payload={"outcome": outcome, "terminated": terminated})  # fmt: skip


# --- answers within a deadline -----------------------------------------------------------------


def answer_days() -> int:
    from flask import current_app

    return int(current_app.config["APPLICATION_ANSWER_DAYS"])


def answer_by(application: Application) -> date:
    """The last day the company can answer a submitted application; after it, it expires."""
    return application.created_at.date() + timedelta(days=answer_days())


def waiting_answer_by(application: Application) -> date | None:
    """The answer-by date of an application that waits for the company's first answer (for the
    student's page); None once the company answered or it closed."""
    if application.status != ApplicationStatus.SUBMITTED:
        return None
    return answer_by(application)


def _submitted_before(days: int, on: date):
    """Submitted applications at least `days` days old on `on` (by their submission date)."""
    cutoff = on - timedelta(days=days)
    return select(Application.id).where(
        Application.status == ApplicationStatus.SUBMITTED,
        Application.created_at < datetime.combine(cutoff + timedelta(days=1), time.min),
    )


def remind_companies(*, on: date | None = None) -> int:
    """The nightly job: companies are reminded of applications unanswered for 7 and for 12 days
    (each reminder once: a second run sends nothing). Returns the number of reminders."""
    on = on or today()
    sent = 0
    ids = db.session.scalars(
        _submitted_before(REMIND_AFTER_DAYS[0], on).order_by(Application.id)
    ).all()
    for application_id in ids:
        application = db.session.get(Application, application_id)
        age = (on - application.created_at.date()).days
        due = [d for d in REMIND_AFTER_DAYS if age >= d]
        if not due or age > answer_days():
            continue
        sent += _tell_company(application, "application_reminder", due[-1])
    return sent


def expire_unanswered(*, on: date | None = None) -> list[Application]:
    """The nightly job: a submitted application the company did not answer by its answer-by date
    becomes 'expired' (closed, like a rejection); student and company are told. A conditional
    UPDATE per application, so a second run (or an answer at the same moment) changes nothing."""
    on = on or today()
    due = db.session.scalars(
        _submitted_before(answer_days() + 1, on).order_by(Application.id)
    ).all()
    expired = []
    for application_id in due:
        if _transition(application_id, ApplicationStatus.EXPIRED,
                       allowed=(ApplicationStatus.SUBMITTED,), decided_at=utcnow()):  # fmt: skip
            application = _fresh(application_id)
            record("application.expire_unanswered", application, days=answer_days())
            expired.append(application)
    db.session.commit()
    for application in expired:
        _tell_student(application, "application_expired")
        _tell_company(application, "application_expired")
    return expired


def warn_expiring_offers(*, on: date | None = None) -> int:
    """The nightly job: students whose offer must be answered within two days are told (once)."""
    on = on or today()
    ids = db.session.scalars(
        select(Application.id).where(
            Application.status == ApplicationStatus.OFFERED,
            Application.respond_by >= on,
            Application.respond_by <= on + timedelta(days=OFFER_WARNING_DAYS),
        ).order_by(Application.id)
    ).all()  # fmt: skip
    return sum(_tell_student(db.session.get(Application, i), "offer_expiring") for i in ids)


# --- notifications (after the commit; each in the recipient's language) -------------------------

# Per notification kind, what the student and the company read in their list (and in the generic
# mail); the values are the place's title, the company's name, a date and a number of days.
STUDENT_MESSAGES = {
    "application_shortlisted": N_('%(company)s nodigt je uit voor "%(title)s".'),
    "application_rejected": N_('%(company)s heeft je sollicitatie voor "%(title)s" afgewezen.'),
    "application_expired": N_(
        'Je sollicitatie voor "%(title)s" bij %(company)s is verlopen: het leerbedrijf heeft niet '
        "binnen %(days)s dagen geantwoord. Solliciteer gerust op andere plekken."
    ),
    "offer_made": N_('%(company)s biedt je "%(title)s" aan. Reageer uiterlijk %(date)s.'),
    "offer_expiring": N_(
        'Je aanbod voor "%(title)s" bij %(company)s verloopt op %(date)s. Neem het aan of sla '
        "het af."
    ),
    "offer_expired": N_('Je aanbod voor "%(title)s" bij %(company)s is verlopen.'),
    "offer_accepted": N_('Je stage bij %(company)s ("%(title)s") staat vast.'),
}
COMPANY_MESSAGES = {
    "application_received": N_('Nieuwe sollicitatie op "%(title)s".'),
    "application_reminder": N_(
        'Een sollicitatie op "%(title)s" wacht al %(days)s dagen op antwoord. Antwoord uiterlijk '
        "%(date)s, anders verloopt ze."
    ),
    "application_expired": N_(
        'Een sollicitatie op "%(title)s" is verlopen: er kwam binnen %(days)s dagen geen antwoord.'
    ),
    "offer_accepted": N_('Je aanbod voor "%(title)s" is aangenomen.'),
    "offer_declined": N_('Je aanbod voor "%(title)s" is afgeslagen.'),
    "offer_expired": N_('Je aanbod voor "%(title)s" is verlopen zonder antwoord.'),
}
# Kinds with a mail of their own (else the generic one), per audience: (template, subject).
STUDENT_MAILS = {
    "application_shortlisted": ("application_shortlisted", lambda a: _l("je bent uitgenodigd")),
    "application_rejected": ("application_rejected", lambda a: _l("je sollicitatie is afgewezen")),
    "application_expired": (None, lambda a: _l("je sollicitatie is verlopen")),
    "offer_made": ("offer_made_student", lambda a: _l("je krijgt een aanbod voor een stageplek")),
    "offer_expiring": (None, lambda a: _l("je aanbod verloopt bijna")),
    "offer_expired": ("offer_expired_student", lambda a: _l("je aanbod is verlopen")),
    "offer_accepted": ("application_accepted", lambda a: _l("je stage staat vast")),
}
COMPANY_MAILS = {
    "application_received": ("application_new", lambda a: _l("nieuwe sollicitatie")),
    "application_reminder": (
        None,
        lambda a: _l("sollicitatie wacht op antwoord: %(title)s", title=a.placement.title),
    ),
    "application_expired": (
        None,
        lambda a: _l("sollicitatie verlopen voor %(title)s", title=a.placement.title),
    ),
    "offer_accepted": (
        "offer_accepted_company",
        lambda a: _l("aanbod aangenomen voor %(title)s", title=a.placement.title),
    ),
    "offer_declined": (
        "offer_declined_company",
        lambda a: _l("aanbod afgeslagen voor %(title)s", title=a.placement.title),
    ),
    "offer_expired": (
        "offer_expired_company",
        lambda a: _l("aanbod verlopen voor %(title)s", title=a.placement.title),
    ),
}
REMIND_AFTER_DAYS = (7, 12)
OFFER_WARNING_DAYS = 2


def company_users(company_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(
                User.company_id == company_id, User.role == Role.COMPANY,
                User.is_active_account.is_(True),
            ).order_by(User.id)
        )
    )  # fmt: skip


def company_emails(company_id: int) -> list[str]:
    return [user.email for user in company_users(company_id)]


def _values(application: Application, user: User, *, days: int | None = None) -> dict:
    from stagematch.services.notifications import format_date_for

    placement = application.placement
    when = application.respond_by
    if days is not None or application.status in (ApplicationStatus.SUBMITTED,
                                                   ApplicationStatus.EXPIRED):  # fmt: skip
        when = answer_by(application)
    return {
        "title": placement.title, "company": placement.company.name,
        "date": format_date_for(user, when), "days": days if days is not None else answer_days(),
    }  # fmt: skip


def _tell_student(application: Application, kind: str, **context) -> int:
    """Notify the application's student about `kind`; 1 when a notification was made."""
    from stagematch.services.notifications import notify, site_path

    student = application.student
    user = student.user if student is not None else None
    if user is None:
        return 0
    template, subject = STUDENT_MAILS[kind]
    message = Phrase(STUDENT_MESSAGES[kind], **_values(application, user))
    url = site_path("students.applications", _anchor=f"sollicitatie-{application.id}")
    made = notify(user, kind, f"application:{application.id}", message, url, template=template,
                  subject=subject(application), application=application,
                  placement=application.placement, reasons=REJECTION_REASONS, **context)  # fmt: skip
    return int(made is not None)


def _tell_company(application: Application, kind: str, days: int | None = None) -> int:
    """Notify every user of the place's company about `kind` (a reminder names its day)."""
    from stagematch.services.notifications import notify, site_path

    template, subject = COMPANY_MAILS[kind]
    key = f"application:{application.id}" + (f":{days}" if days is not None else "")
    url = site_path("companies.application", application_id=application.id)
    made = 0
    for user in company_users(application.placement.company_id):
        message = Phrase(COMPANY_MESSAGES[kind], **_values(application, user, days=days))
        made += notify(user, kind, key, message, url, template=template,
                       subject=subject(application), application=application,
                       placement=application.placement) is not None  # fmt: skip
    return int(made > 0)


def _notify_received(application: Application) -> None:
    _tell_company(application, "application_received")


def _notify_offer_made(application: Application, *, minor: bool) -> None:
    """The student gets the offer; for a student under 18 also the school's coordinators (there is
    no parent address: the student's mail says to discuss it with a parent or guardian)."""
    from stagematch.services.notifications import notify, site_path

    coordinators = []
    if minor and application.student is not None:
        coordinators = db.session.scalars(
            select(User).where(
                User.school_id == application.student.school_id, User.role == Role.COORDINATOR,
                User.is_active_account.is_(True),
            ).order_by(User.id)
        ).all()  # fmt: skip
    _tell_student(application, "offer_made", minor=minor, school_told=bool(coordinators))
    url = site_path("coordinators.student", profile_id=application.student_id)
    for coordinator in coordinators:
        notify(coordinator, "offer_minor", f"application:{application.id}",
               Phrase(N_('%(student)s (jonger dan 18) krijgt een aanbod van %(company)s voor '
                         '"%(title)s".'), student=application.student.user.name,
                      company=application.placement.company.name,
                      title=application.placement.title),
               url, template="offer_minor_school", subject=_l("aanbod aan een minderjarige student"),
               application=application, placement=application.placement)  # fmt: skip


def _notify_accepted(application: Application, declined: list[Application]) -> None:
    _tell_student(application, "offer_accepted")
    _tell_company(application, "offer_accepted")
    for other in declined:
        _tell_company(other, "offer_declined")


def run_deadlines() -> tuple[int, int, int]:
    """The night's deadline work, in this order: offers that expire within two days, reminders to
    companies after 7 and 12 days, unanswered applications expire. Returns the three counts; a
    second run the same day does nothing twice."""
    warned = warn_expiring_offers()
    reminded = remind_companies()
    expired = expire_unanswered()
    return warned, reminded, len(expired)
