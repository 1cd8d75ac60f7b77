"""Applications from submission to decision, and the internship an accepted one becomes.

Accepting is the one step that must hold under concurrent requests: it takes a seat of the place
and a unit of the meester's capacity. It starts by updating the place and meester rows, which
serialises accepts for the same place or meester on PostgreSQL (row locks until commit) and on
SQLite (the first write takes the database's write lock); only then does it count."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select, update

from stagematch.extensions import db
from stagematch.models import (
    REJECTION_REASONS,
    Application,
    Evaluation,
    Internship,
    Mentor,
    Placement,
    StudentProfile,
)
from stagematch.models.enums import (
    ApplicationStatus,
    EvaluationAuthor,
    EvaluationMoment,
    InternshipStatus,
    PlacementStatus,
)
from stagematch.services import DomainError
from stagematch.services.audit import record
from stagematch.timeutil import today, utcnow

# Open: still to be decided. An offer (from an allocation round) is decided by the student.
OPEN_STATUSES = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.SHORTLISTED,
    ApplicationStatus.OFFERED,
)


def has_running_internship(student_id: int) -> bool:
    return (
        db.session.scalar(
            select(func.count(Internship.id)).where(
                Internship.student_id == student_id, Internship.status == InternshipStatus.ACTIVE
            )
        )
        > 0
    )


def apply(
    *, student: StudentProfile, placement: Placement, motivation: str, anonymous: bool = True
) -> Application:
    if placement.status != PlacementStatus.OPEN:
        raise DomainError(_("Deze plek staat niet meer open."))
    if has_running_internship(student.id):
        raise DomainError(
            _("Je hebt al een stageplek. Je kunt pas weer solliciteren als die is afgelopen.")
        )
    existing = db.session.scalar(
        select(Application).where(
            Application.student_id == student.id, Application.placement_id == placement.id
        )
    )
    if existing is not None:
        raise DomainError(_("Je hebt al op deze plek gesolliciteerd."))
    application = Application(
        student=student, placement=placement, motivation=motivation.strip(), anonymous=anonymous
    )
    db.session.add(application)
    db.session.flush()
    record("application.submit", application, placement=placement.id)
    db.session.commit()
    return application


def _require_open(application: Application) -> None:
    if application.status not in OPEN_STATUSES:
        raise DomainError(_("Deze sollicitatie is al afgehandeld."))


def _decide(application: Application, status: str, **values) -> None:
    """Move an open application to `status` with one conditional UPDATE: if someone else decided
    it in the meantime (the company accepted while the student withdrew), nothing changes here."""
    result = db.session.execute(
        update(Application)
        .where(Application.id == application.id, Application.status.in_(OPEN_STATUSES))
        .values(status=status, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise DomainError(_("Deze sollicitatie is al afgehandeld."))
    db.session.refresh(application)


def _not_an_offer(application: Application) -> None:
    if application.status == ApplicationStatus.OFFERED:
        raise DomainError(
            _("Deze plek is in een verdeelronde aan de student aangeboden; de student beslist nu.")
        )


def shortlist(application: Application) -> None:
    _require_open(application)
    _not_an_offer(application)
    if application.status == ApplicationStatus.SHORTLISTED:
        return
    _decide(application, ApplicationStatus.SHORTLISTED, shortlisted_at=utcnow())
    record("application.shortlist", application)
    db.session.commit()


def reject(application: Application, *, reason: str, note: str = "") -> None:
    _require_open(application)
    _not_an_offer(application)
    if reason not in REJECTION_REASONS:
        raise DomainError(_("Kies een reden."), "reason")
    _decide(application, ApplicationStatus.REJECTED, rejection_reason=reason, rejection_note=note.strip(),
            decided_at=utcnow())  # fmt: skip
    record("application.reject", application, reason=reason, note=note.strip())
    db.session.commit()


def withdraw(application: Application) -> None:
    """The student withdraws an open application (an accepted one ends via the internship)."""
    _require_open(application)
    _decide(application, ApplicationStatus.WITHDRAWN, decided_at=utcnow())
    record("application.withdraw", application)
    db.session.commit()


def accept(application_id: int, *, offer: bool = False) -> Internship:
    """Turn an application into an internship, within the place's seats and the meester's (and
    gezel's) capacity. Raises DomainError when a limit is reached, also under concurrent accepts.

    `offer=True` is the student taking an offer from an allocation round; a company accepts the
    other applications. Seats offered in a round are kept for those students until they decide."""
    placement_id, meester_id, gezel_id = db.session.execute(
        select(Placement.id, Placement.meester_id, Placement.gezel_id)
        .join(Application, Application.placement_id == Placement.id)
        .where(Application.id == application_id)
    ).one()
    db.session.commit()  # end any read transaction, so the locks below see the latest state
    # Lock order: place, then mentors by id — the same everywhere, so no deadlocks.
    db.session.execute(
        update(Placement).where(Placement.id == placement_id).values(seats=Placement.seats)
    )
    for mentor_id in sorted(m for m in (meester_id, gezel_id) if m is not None):
        db.session.execute(
            update(Mentor).where(Mentor.id == mentor_id).values(capacity=Mentor.capacity)
        )

    application = db.session.scalars(
        select(Application)
        .where(Application.id == application_id)
        .execution_options(populate_existing=True)
    ).one()
    placement = db.session.scalars(
        select(Placement)
        .where(Placement.id == placement_id)
        .execution_options(populate_existing=True)
    ).one()
    try:
        _require_open(application)
        if offer and application.status != ApplicationStatus.OFFERED:
            raise DomainError(_("Dit is geen aanbod uit een verdeelronde."))
        if not offer:
            _not_an_offer(application)
        if has_running_internship(application.student_id):
            raise DomainError(
                _("Deze student heeft al een stageplek gekregen bij een ander leerbedrijf.")
            )
        filled = db.session.scalar(
            select(func.count(Internship.id)).where(
                Internship.placement_id == placement.id,
                Internship.status == InternshipStatus.ACTIVE,
            )
        )
        reserved = 0
        if not offer:
            reserved = db.session.scalar(
                select(func.count(Application.id)).where(
                    Application.placement_id == placement.id,
                    Application.status == ApplicationStatus.OFFERED,
                )
            )
        if filled + reserved >= placement.seats:
            if reserved and filled < placement.seats:
                raise DomainError(
                    ngettext(
                        "De vrije plaatsen van deze plek zijn in een verdeelronde aangeboden aan "
                        "%(num)s student; zij beslissen eerst.",
                        "De vrije plaatsen van deze plek zijn in een verdeelronde aangeboden aan "
                        "%(num)s studenten; zij beslissen eerst.",
                        reserved,
                    )
                )
            raise DomainError(
                _(
                    "Alle %(seats)s plaatsen van deze plek zijn al vergeven. Zet meer plaatsen open "
                    "(als je meester ruimte heeft) of wijs de sollicitatie af.",
                    seats=placement.seats,
                )
            )
        for mentor in filter(None, (placement.meester, placement.gezel)):
            active = db.session.scalar(
                select(func.count(Internship.id)).where(
                    (Internship.meester_id == mentor.id) | (Internship.gezel_id == mentor.id),
                    Internship.status == InternshipStatus.ACTIVE,
                )
            )
            if active >= mentor.capacity:
                raise DomainError(
                    ngettext(
                        "%(name)s begeleidt al %(num)s leerling en dat is het maximum (%(capacity)s). "
                        "Verhoog de capaciteit als hij echt tijd heeft, of kies een andere meester voor "
                        "deze plek.",
                        "%(name)s begeleidt al %(num)s leerlingen en dat is het maximum (%(capacity)s). "
                        "Verhoog de capaciteit als hij echt tijd heeft, of kies een andere meester voor "
                        "deze plek.",
                        active,
                        name=mentor.name,
                        capacity=mentor.capacity,
                    )
                )
    except DomainError:
        db.session.rollback()
        raise

    start = max(placement.start_date, today())
    internship = Internship(
        application=application, student_id=application.student_id, placement=placement,
        school_id=application.student.school_id, meester_id=placement.meester_id,
        gezel_id=placement.gezel_id, start_date=start,
        end_date=start + timedelta(weeks=placement.duration_weeks), status=InternshipStatus.ACTIVE,
    )  # fmt: skip
    db.session.add(internship)
    schedule_evaluations(internship)
    application.status = ApplicationStatus.ACCEPTED
    application.decided_at = utcnow()
    application.shortlisted_at = application.shortlisted_at or utcnow()
    if filled + 1 >= placement.seats:
        placement.status = PlacementStatus.FILLED
    # One place at a time: the student's other open applications are withdrawn.
    others = db.session.scalars(
        select(Application).where(
            Application.student_id == application.student_id,
            Application.id != application.id,
            Application.status.in_(OPEN_STATUSES),
        )
    ).all()
    for other in others:
        other.status = ApplicationStatus.WITHDRAWN
        other.decided_at = utcnow()
    db.session.flush()
    record(
        "application.accept",
        application,
        internship=internship.id,
        withdrawn=[o.id for o in others],
    )
    db.session.commit()
    return internship


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


def end_internship(internship: Internship, *, outcome: str, terminated: bool) -> None:
    """Completion or termination frees the seat and the meester's capacity again."""
    if internship.status != InternshipStatus.ACTIVE:
        raise DomainError(_("Deze stage is al afgesloten."))
    internship.status = InternshipStatus.TERMINATED if terminated else InternshipStatus.COMPLETED
    internship.outcome = outcome
    internship.ended_at = today()
    placement = internship.placement
    if placement.status == PlacementStatus.FILLED and placement.start_date >= today():
        placement.status = PlacementStatus.OPEN
        placement.confirmed_at = utcnow()
    record("internship.end", internship, outcome=outcome, terminated=terminated)
    db.session.commit()
