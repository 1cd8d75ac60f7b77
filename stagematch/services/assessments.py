"""The final assessment of a placement (issue 17): the meester's judgement per work process of the
student's qualification (1 onvoldoende … 4 uitstekend) and a remark, then the school's decision.

The meester (any account of the place's company) opens it from three weeks before the end date,
may keep a draft and submits it once; then it is read-only and the student sees it. A coordinator
of the student's school records "voldaan" or "niet voldaan"; when the end date has passed, that
decision also completes the placement through `applications.end_internship` (which frees the
capacity): outcome `success` when passed and the final evaluations are positive, else
`completed_weak`.

The work processes come from the shipped list (reference.py, data/work_processes.csv) for the
dossier of the student's qualification; a dossier with only kerntaken shipped is judged on those,
one with nothing shipped on a short generic list, labelled as such."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from stagematch.extensions import db
from stagematch.matching.text import N_
from stagematch.models import (
    Assessment,
    AssessmentDecision,
    AssessmentScore,
    Internship,
    User,
    WorkProcess,
)
from stagematch.models.enums import (
    EvaluationAuthor,
    EvaluationMoment,
    InternshipOutcome,
    InternshipStatus,
    Role,
)
from stagematch.reference import GENERIC_DOSSIER, load_work_processes
from stagematch.services import DomainError
from stagematch.services.audit import record
from stagematch.timeutil import today, utcnow

log = logging.getLogger(__name__)

OPENS_DAYS_BEFORE_END = 21
SCORES = {1: _l("onvoldoende"), 2: _l("voldoende"), 3: _l("goed"), 4: _l("uitstekend")}
DECISIONS = {AssessmentDecision.PASSED: _l("voldaan"), AssessmentDecision.NOT_PASSED: _l("niet voldaan")}  # fmt: skip
REMARK_MAX = 5000
POSITIVE = 3  # a final evaluation rating of at least 3 of 5 counts as positive

SUBMITTED_TEXT = N_(
    "%(company)s heeft de eindbeoordeling van %(name)s verstuurd. Leg het besluit van de school vast."
)
SUBMITTED_COMPANY_TEXT = N_(
    "%(company)s heeft de eindbeoordeling van %(name)s verstuurd. De school beslist nu."
)
# (for the student, for the leerbedrijf) per decision
DECIDED_TEXTS = {
    AssessmentDecision.PASSED: (
        N_("De school heeft je eindbeoordeling bij %(name)s vastgesteld: voldaan."),
        N_("De school heeft de eindbeoordeling van %(name)s vastgesteld: voldaan."),
    ),
    AssessmentDecision.NOT_PASSED: (
        N_("De school heeft je eindbeoordeling bij %(name)s vastgesteld: niet voldaan."),
        N_("De school heeft de eindbeoordeling van %(name)s vastgesteld: niet voldaan."),
    ),
}


class Source:
    WORK_PROCESSES = "werkprocessen"
    CORE_TASKS = "kerntaken"
    GENERIC = "generic"


@dataclass
class Items:
    """What the meester judges: the dossier's work processes, its kerntaken, or the generic list."""

    source: str
    dossier_crebo: str
    dossier_name: str
    processes: list[WorkProcess]


def dossier_of(internship: Internship) -> tuple[str, str]:
    """The dossier (crebo, name) of the student's qualification, else of the place's."""
    qualification = internship.student.qualification if internship.student else None
    if qualification is None and internship.placement.qualifications:
        qualification = internship.placement.qualifications[0]
    if qualification is None:
        return GENERIC_DOSSIER, ""
    return qualification.dossier_crebo, qualification.dossier_name


def _rows(dossier_crebo: str) -> list[WorkProcess]:
    return list(
        db.session.scalars(
            select(WorkProcess)
            .where(WorkProcess.dossier_crebo == dossier_crebo)
            .order_by(WorkProcess.position, WorkProcess.id)
        )
    )


def _ensure(dossier_crebo: str) -> list[WorkProcess]:
    """The dossier's rows; loaded from the shipped list when missing (a database that ran
    `flask load-reference` before the list shipped). Two requests loading at once: one wins."""
    found = _rows(dossier_crebo)
    if found:
        return found
    try:
        if load_work_processes(dossier_crebo):
            db.session.commit()
    except IntegrityError:
        db.session.rollback()
    return _rows(dossier_crebo)


def items_for(internship: Internship) -> Items:
    crebo, name = dossier_of(internship)
    processes = _ensure(crebo) if crebo else []
    if processes:
        werk = any("-W" in p.code for p in processes)
        return Items(Source.WORK_PROCESSES if werk else Source.CORE_TASKS, crebo, name, processes)
    return Items(Source.GENERIC, crebo, name, _ensure(GENERIC_DOSSIER))


def opens_on(internship: Internship) -> date:
    return max(internship.start_date, internship.end_date - timedelta(days=OPENS_DAYS_BEFORE_END))


def is_open(internship: Internship, on: date | None = None) -> bool:
    """The meester may fill it in: from three weeks before the end of an active placement."""
    on = on or today()
    return internship.status == InternshipStatus.ACTIVE and on >= opens_on(internship)


def scores_of(assessment: Assessment | None) -> dict[int, int]:
    """Work process id -> score."""
    return {s.work_process_id: s.score for s in assessment.scores} if assessment else {}


# --- the meester ---------------------------------------------------------------------------------


def save(internship: Internship, *, user: User, scores: dict[int, int | None], remark: str,
         submit: bool) -> Assessment:  # fmt: skip
    """Keep the meester's judgement as a draft, or submit it (every work process scored, a
    remark). Raises DomainError (field `scores` or `remark`)."""
    if not is_open(internship):
        raise DomainError(
            _("De beoordeling kan vanaf %(day)s.", day=opens_on(internship).strftime("%d-%m-%Y"))
            if internship.status == InternshipStatus.ACTIVE
            else _("Deze stage is afgesloten.")
        )
    items = items_for(internship)
    allowed = {p.id for p in items.processes}
    if set(scores) - allowed or any(v is not None and v not in SCORES for v in scores.values()):
        raise DomainError(_("Kies per werkproces onvoldoende, voldoende, goed of uitstekend."), "scores")  # fmt: skip
    remark = (remark or "").strip()
    if len(remark) > REMARK_MAX:
        raise DomainError(_("De toelichting mag hooguit 5000 tekens zijn."), "remark")
    if submit:
        if any(scores.get(pid) is None for pid in allowed):
            raise DomainError(_("Geef elk werkproces een oordeel voordat je de beoordeling verstuurt."), "scores")  # fmt: skip
        if len(remark) < 3:
            raise DomainError(_("Schrijf een korte toelichting bij je oordeel."), "remark")
    assessment = internship.assessment
    if assessment is not None and assessment.submitted_at is not None:
        raise DomainError(_("De beoordeling is al verstuurd en kan niet meer veranderen."))
    if assessment is None:
        assessment = Assessment(internship_id=internship.id)
        db.session.add(assessment)
    assessment.remark = remark
    current = {s.work_process_id: s for s in assessment.scores}
    for pid in allowed:
        value = scores.get(pid)
        if value is None and pid in current:
            assessment.scores.remove(current[pid])
        elif value is not None and pid in current:
            current[pid].score = value
        elif value is not None:
            assessment.scores.append(AssessmentScore(work_process_id=pid, score=value))
    try:
        db.session.flush()
        if submit:
            # One conditional UPDATE: of two colleagues submitting at once, one succeeds.
            done = db.session.execute(
                update(Assessment)
                .where(Assessment.id == assessment.id, Assessment.submitted_at.is_(None))
                .values(submitted_at=utcnow(), submitted_by_id=user.id)
                .execution_options(synchronize_session=False)
            ).rowcount
            if done != 1:
                raise DomainError(_("De beoordeling is al verstuurd en kan niet meer veranderen."))
        record("assessment.submit" if submit else "assessment.draft", assessment, actor=user,
               scores={str(k): v for k, v in scores.items() if v is not None})  # fmt: skip
        db.session.commit()
    except IntegrityError as error:  # a colleague saved the first draft at the same moment
        db.session.rollback()
        raise DomainError(_("Een collega bewaarde de beoordeling net. Probeer het opnieuw.")) from error  # fmt: skip
    except DomainError:
        db.session.rollback()
        raise
    db.session.refresh(assessment)
    if submit:
        _after(lambda submitted: _tell_submitted(submitted, actor=user), internship)
    return assessment


# --- the school ----------------------------------------------------------------------------------


def final_evaluations_positive(internship: Internship) -> bool:
    """The meester's final evaluation is submitted with progress and attitude of at least 3 of 5,
    and the student's, when submitted, rates the placement overall at least 3."""
    finals = [e for e in internship.evaluations
              if e.moment == EvaluationMoment.FINAL and e.submitted_at is not None]  # fmt: skip
    meester = [e for e in finals if e.author_role == EvaluationAuthor.MEESTER]
    if not meester:
        return False
    if any((e.progress or 0) < POSITIVE or (e.attitude or 0) < POSITIVE for e in meester):
        return False
    return all(
        (e.overall or 0) >= POSITIVE for e in finals if e.author_role == EvaluationAuthor.STUDENT
    )


def outcome_for(internship: Internship, decision: str) -> str:
    if decision == AssessmentDecision.PASSED and final_evaluations_positive(internship):
        return InternshipOutcome.SUCCESS
    return InternshipOutcome.COMPLETED_WEAK


def decide(internship: Internship, *, user: User, decision: str, remark: str) -> bool:
    """The coordinator records the school's decision on the submitted assessment. After the end
    date it also completes the placement; returns whether it did."""
    from stagematch.services.applications import end_internship

    assessment = internship.assessment
    if assessment is None or assessment.submitted_at is None:
        raise DomainError(_("Het leerbedrijf heeft de beoordeling nog niet verstuurd."))
    if decision not in DECISIONS:
        raise DomainError(_("Kies voldaan of niet voldaan."), "decision")
    remark = (remark or "").strip()
    if len(remark) > REMARK_MAX:
        raise DomainError(_("De toelichting mag hooguit 5000 tekens zijn."), "remark")
    if decision == AssessmentDecision.NOT_PASSED and len(remark) < 3:
        raise DomainError(_("Schrijf waarom de stage niet voldaan is."), "remark")
    done = db.session.execute(
        update(Assessment)
        .where(Assessment.id == assessment.id, Assessment.school_decision.is_(None))
        .values(school_decision=decision, school_remark=remark, decided_at=utcnow(),
                decided_by_id=user.id)
        .execution_options(synchronize_session=False)
    ).rowcount  # fmt: skip
    if done != 1:
        db.session.rollback()
        raise DomainError(_("Het besluit van de school is al vastgelegd."))
    record("assessment.decide", assessment, actor=user, decision=decision)
    complete = internship.status == InternshipStatus.ACTIVE and internship.end_date < today()
    try:
        if complete:  # commits the decision with the completion
            end_internship(internship, outcome=outcome_for(internship, decision), terminated=False)
        else:
            db.session.commit()
    except DomainError:
        db.session.rollback()
        raise
    db.session.refresh(assessment)
    _after(_tell_decided, internship)
    return complete


def complete_decided(on: date | None = None) -> int:
    """Complete active placements whose end date has passed and whose school decision was
    recorded before it (for a nightly job); returns how many."""
    from stagematch.services.applications import end_internship

    on = on or today()
    ids = db.session.scalars(
        select(Internship.id)
        .join(Assessment, Assessment.internship_id == Internship.id)
        .where(Internship.status == InternshipStatus.ACTIVE, Internship.end_date < on,
               Assessment.school_decision.is_not(None))
        .order_by(Internship.id)
    ).all()  # fmt: skip
    done = 0
    for internship_id in ids:
        internship = db.session.get(Internship, internship_id)
        try:
            end_internship(internship, outcome=outcome_for(internship, internship.assessment.school_decision),
                           terminated=False)  # fmt: skip
        except DomainError:
            db.session.rollback()
            continue
        done += 1
    return done


# --- who hears of it ------------------------------------------------------------------------------


def _after(tell, internship: Internship) -> None:
    try:
        tell(internship)
    except Exception:  # telling someone never undoes what was recorded (committed before)
        db.session.rollback()
        log.exception("Could not tell about the assessment of placement %s", internship.id)


def _tell_submitted(internship: Internship, *, actor: User | None = None) -> None:
    """The coordinators of the student's school (the school decides next) and, when the meester's
    own firm in a network submitted, the place's firm (or the other way round): `actor`."""
    from stagematch.services.meetings import recipients
    from stagematch.services.notifications import notify, phrase, site_path

    url = site_path("internships.page", internship_id=internship.id, _anchor="beoordeling")
    student_name = internship.student.user.name if internship.student else "?"
    firm = actor.company if actor is not None and actor.company is not None else None
    company = (firm or internship.placement.company).name
    for user in recipients(internship, side="company", actor=actor):
        if user.role not in (Role.COORDINATOR, Role.COMPANY):
            continue  # the student hears of the school's decision
        text = SUBMITTED_TEXT if user.role == Role.COORDINATOR else SUBMITTED_COMPANY_TEXT
        notify(user, "assessment_submitted", f"assessment:{internship.assessment.id}",
               phrase(text, company=company, name=student_name), url)  # fmt: skip


def _tell_decided(internship: Internship) -> None:
    """The student and the leerbedrijf's accounts: the school's decision."""
    from stagematch.services.meetings import recipients
    from stagematch.services.notifications import notify, phrase, site_path

    assessment = internship.assessment
    texts = DECIDED_TEXTS[AssessmentDecision(assessment.school_decision)]
    url = site_path("internships.page", internship_id=internship.id, _anchor="beoordeling")
    student_name = internship.student.user.name if internship.student else "?"
    for user in recipients(internship, side="school"):
        if user.role == Role.STUDENT:
            message = phrase(texts[0], name=internship.placement.company.name)
        else:
            message = phrase(texts[1], name=student_name)
        notify(user, "assessment_decided", f"assessment:{assessment.id}", message, url)
