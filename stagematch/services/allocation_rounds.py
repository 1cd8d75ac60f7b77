"""Allocation rounds, from opening to publishing.

1. `open_round`: the coordinator picks students of the school (by qualification, leerweg, level;
   only those without a running internship and not in another unfinished round). The round's places
   are, per student, the best candidates by the match model (hard rules first), so every student has
   something to choose from. Each student's starting order is the model's order; until they save
   their own, that order stands (and the coordinator sees who did not choose).
2. Students rank up to `max_choices` places (`save_student_choices`); meesters, or a colleague of
   their company, rank the students who chose their places (`save_meester_ranking`); students they
   did not rank follow in the model's order.
3. `compute` runs the student-optimal stable allocation (stagematch.matching.allocation) with the
   places' free seats and each meester's free capacity, and stores who got what and why others got
   nothing. It can be run again until the round is published.
4. `publish` turns the assignments into offers (applications with status "offered"), once: a
   conditional UPDATE on the round row makes concurrent publishers wait for each other and all but
   the first find the round already published. The student accepts an offer (it becomes an
   internship through the same locked `applications.accept`) or declines it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from stagematch import jobs
from stagematch.extensions import db
from stagematch.i18n import N_
from stagematch.matching.allocation import allocate
from stagematch.matching.model import match_label
from stagematch.matching.text import Phrase
from stagematch.models import (
    AllocationRound,
    Application,
    Internship,
    Job,
    MeesterRanking,
    Mentor,
    Placement,
    Qualification,
    RoundChoice,
    RoundPlace,
    RoundStatus,
    RoundStudent,
    School,
    StudentProfile,
    User,
)
from stagematch.models.enums import ApplicationStatus, InternshipStatus, PlacementStatus
from stagematch.services import DomainError
from stagematch.services.audit import record
from stagematch.services.interactions import list_payload, log_lists
from stagematch.templating import format_date
from stagematch.timeutil import today, utcnow

MAX_STUDENTS = 1000  # per round; a big school splits its cohort by qualification
PLACES_PER_STUDENT = 3  # candidates per student in the round: this many times max_choices
UNFINISHED = (RoundStatus.OPEN, RoundStatus.COMPUTED)
# The starting orders of a round: the match model's, or nearest first without it.
MODEL, DISTANCE = "model", "distance"
ROUND_ORDERS = (MODEL, DISTANCE)

NOTE_PLACED = N_("Had al een stageplek toen de ronde werd berekend.")
NOTE_NO_CHOICES = N_("Geen passende plekken om te kiezen in deze ronde.")
NOTE_OUTRANKED = N_(
    "Elke gekozen plek ging naar studenten die de meester hoger plaatste, of was vol."
)


# --- opening ---------------------------------------------------------------------------------


@dataclass
class Cohort:
    qualification_id: int | None = None
    leerweg: str | None = None
    level: int | None = None


def eligible_students_statement(school: School, cohort: Cohort):
    from stagematch.services.capacity import students_with_running_internship

    running = students_with_running_internship()
    in_round = (
        select(RoundStudent.student_id)
        .join(AllocationRound, AllocationRound.id == RoundStudent.round_id)
        .where(AllocationRound.status.in_(UNFINISHED))
    )
    stmt = select(StudentProfile).where(
        StudentProfile.school_id == school.id,
        StudentProfile.lat.is_not(None),
        StudentProfile.id.not_in(running),
        StudentProfile.id.not_in(in_round),
    )
    if cohort.qualification_id:
        stmt = stmt.where(StudentProfile.qualification_id == cohort.qualification_id)
    if cohort.leerweg:
        stmt = stmt.where(StudentProfile.leerweg == cohort.leerweg)
    if cohort.level:
        stmt = stmt.where(StudentProfile.level == cohort.level)
    return stmt.order_by(StudentProfile.id)


def count_eligible(school: School, cohort: Cohort) -> int:
    stmt = eligible_students_statement(school, cohort)
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


def _scored_candidates(
    profiles: list[StudentProfile], placements: list[Placement]
) -> dict[int, list[tuple[int, float]]]:
    """Per student: the places the hard rules allow, with the match model's score, best first."""
    from stagematch.ranking import rank_students

    if not placements:
        return {p.id: [] for p in profiles}
    return rank_students(
        [p.id for p in profiles], top=None, placement_ids=[p.id for p in placements], views=False
    )


def _nearest_candidates(
    profiles: list[StudentProfile], placements: list[Placement]
) -> dict[int, list[tuple[int, float]]]:
    """Per student: the places the hard rules allow (the same rules as `rank_students`), nearest
    first, with the distance in km instead of a score. The match model is not asked."""
    from stagematch.geo import distance_km
    from stagematch.matching.eligibility import candidate_pairs
    from stagematch.ranking import places_by_id, students_by_id

    result: dict[int, list[tuple[int, float]]] = {p.id: [] for p in profiles}
    students = students_by_id([p.id for p in profiles])
    places = list(places_by_id([p.id for p in placements]).values()) if placements else []
    if not students or not places:
        return result
    si, pj = candidate_pairs(students, places, on=today())
    for i, j in zip(si.tolist(), pj.tolist(), strict=True):
        student, place = students[i], places[j]
        km = distance_km(student.lat, student.lon, place.lat, place.lon)
        result[student.id].append((place.id, km))
    for ranked in result.values():
        ranked.sort(key=lambda item: (item[1], item[0]))
    return result


def _check_order(order: str) -> None:
    if order not in ROUND_ORDERS:
        raise DomainError(_("Kies een volgorde: beste match (model) of afstand."), "order")


def _open_places_for(profiles: list[StudentProfile]) -> list[Placement]:
    dossiers = {p.qualification.dossier_crebo for p in profiles}
    leerwegen = {p.leerweg for p in profiles}
    if not dossiers:
        return []
    from stagematch.models import placement_qualification

    matching = (
        select(placement_qualification.c.placement_id)
        .join(Qualification, Qualification.id == placement_qualification.c.qualification_id)
        .where(Qualification.dossier_crebo.in_(dossiers))
    )
    return list(
        db.session.scalars(
            select(Placement).where(
                Placement.status == PlacementStatus.OPEN,
                Placement.leerweg.in_(leerwegen),
                Placement.id.in_(matching),
            )
        )
    )


def open_round(
    *,
    school: School,
    name: str,
    closes_on: date,
    max_choices: int,
    cohort: Cohort,
    created_by: User | None = None,
    order: str = MODEL,
) -> AllocationRound:
    """Open a round; `order` "distance" makes the starting orders without the match model
    (nearest first); the choice is kept in the audit log (the round has no column for it)."""
    _check_order(order)
    name = name.strip()
    if not name:
        raise DomainError(_("Geef de ronde een naam."), "name")
    if closes_on < today():
        raise DomainError(_("De sluitdatum ligt in het verleden."), "closes_on")
    if not 1 <= max_choices <= 20:
        raise DomainError(_("Kies tussen 1 en 20 keuzes per student."), "max_choices")
    profiles = list(
        db.session.scalars(eligible_students_statement(school, cohort).limit(MAX_STUDENTS + 1))
    )
    if not profiles:
        raise DomainError(
            _(
                "Er zijn geen studenten die meedoen: iedereen in deze groep heeft al een plek, "
                "zit al in een andere ronde of heeft nog geen woonplaats ingevuld."
            )
        )
    if len(profiles) > MAX_STUDENTS:
        raise DomainError(
            _(
                "Meer dan %(n)s studenten in één ronde: kies een opleiding, leerweg of niveau om "
                "de groep kleiner te maken.",
                n=MAX_STUDENTS,
            )
        )
    rank = _scored_candidates if order == MODEL else _nearest_candidates
    candidates = rank(profiles, _open_places_for(profiles))
    keep = PLACES_PER_STUDENT * max_choices
    round_ = AllocationRound(
        school_id=school.id, name=name, closes_on=closes_on, max_choices=max_choices,
        created_by_id=created_by.id if created_by else None,
    )  # fmt: skip
    db.session.add(round_)
    db.session.flush()
    place_ids: set[int] = set()
    for profile in profiles:
        ranked = candidates[profile.id][:keep]
        place_ids.update(pid for pid, _score in ranked)
    db.session.add_all(
        RoundPlace(round_id=round_.id, placement_id=pid) for pid in sorted(place_ids)
    )
    for profile in profiles:
        db.session.add(RoundStudent(round_id=round_.id, student_id=profile.id))
        # The model's order is the starting order, saved as the student's choices.
        for rank, (pid, _score) in enumerate(candidates[profile.id][:max_choices], start=1):
            db.session.add(
                RoundChoice(round_id=round_.id, student_id=profile.id, placement_id=pid, rank=rank)
            )
    db.session.flush()
    record("round.open", round_, students=len(profiles), places=len(place_ids), order=order,
           actor=created_by)  # fmt: skip
    logged = _default_order_rows(round_.id, profiles, candidates, max_choices=max_choices,
                                 who=created_by.id if created_by else None)  # fmt: skip
    db.session.commit()
    log_lists(logged)  # after the round committed: a row never belongs to a rolled-back round
    _queue_notifications(round_.id, "round_opened")
    return round_


def _default_order_rows(
    round_id: int, profiles: list[StudentProfile], candidates: dict[int, list[tuple[int, float]]],
    *, max_choices: int, who: int | None,
) -> list[dict]:  # fmt: skip
    """The ranking log's rows for a round's default orders: per student, every candidate place in
    the model's order with its score; the first `max_choices` became the student's choices."""
    from stagematch.ranking import active_model

    version_id = getattr(active_model(), "version_id", None)
    rows = []
    for profile in profiles:
        ranked = candidates[profile.id]
        if not ranked:
            continue
        chosen = ranked[:max_choices]
        payload = list_payload(
            place_ids=[pid for pid, _s in chosen], scores=[s for _pid, s in chosen],
            source="allocation", who=who, candidates=ranked, extra={"round": round_id},
        )  # fmt: skip
        rows.append({"student_id": profile.id, "model_version_id": version_id, "payload": payload})
    return rows


# --- ranking ---------------------------------------------------------------------------------


def _require_open(round_: AllocationRound) -> None:
    if round_.status != RoundStatus.OPEN:
        raise DomainError(_("Deze ronde is gesloten: kiezen kan niet meer."))
    if round_.closes_on < today():
        raise DomainError(
            _(
                "De ronde is gesloten sinds %(date)s: kiezen kan niet meer.",
                date=format_date(round_.closes_on),
            )
        )


def student_options(round_: AllocationRound, profile: StudentProfile) -> list[tuple[int, float]]:
    """The round's places this student may choose, in the model's order (best first)."""
    placements = list(
        db.session.scalars(
            select(Placement)
            .join(RoundPlace, RoundPlace.placement_id == Placement.id)
            .where(RoundPlace.round_id == round_.id, Placement.status == PlacementStatus.OPEN)
        )
    )
    return _scored_candidates([profile], placements)[profile.id]


def student_choices(round_: AllocationRound, student_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(RoundChoice.placement_id)
            .where(RoundChoice.round_id == round_.id, RoundChoice.student_id == student_id)
            .order_by(RoundChoice.rank)
        )
    )


def _ranks_to_order(ranks: dict[int, int], *, limit: int, what: str) -> list[int]:
    """{id: rank} from a form → ids best first. Ranks must be distinct; gaps are closed."""
    used = [r for r in ranks.values()]
    if any(r < 1 or r > limit for r in used):
        raise DomainError(_("Kies een nummer van 1 tot en met %(n)s.", n=limit))
    duplicates = sorted({r for r in used if used.count(r) > 1})
    if duplicates:
        raise DomainError(
            _(
                "Je gaf nummer %(n)s aan meer dan één %(what)s. Elk nummer mag één keer.",
                n=duplicates[0],
                what=what,
            )
        )
    return [item for item, _rank in sorted(ranks.items(), key=lambda kv: kv[1])]


def save_student_choices(
    round_: AllocationRound, profile: StudentProfile, ranks: dict[int, int]
) -> list[int]:
    _require_open(round_)
    member = _member(round_, profile.id)
    allowed = {pid for pid, _score in student_options(round_, profile)}
    unknown = set(ranks) - allowed
    if unknown:
        raise DomainError(_("Je kunt alleen plekken uit deze ronde kiezen."))
    order = _ranks_to_order(ranks, limit=round_.max_choices, what=_("plek"))
    if not order:
        raise DomainError(_("Kies minstens één plek."))
    db.session.execute(
        delete(RoundChoice).where(
            RoundChoice.round_id == round_.id, RoundChoice.student_id == profile.id
        )
    )
    db.session.add_all(
        RoundChoice(round_id=round_.id, student_id=profile.id, placement_id=pid, rank=i)
        for i, pid in enumerate(order, start=1)
    )
    member.choices_saved_at = utcnow()
    record("round.choices", round_, student=profile.id, places=order)
    db.session.commit()
    return order


def _member(round_: AllocationRound, student_id: int) -> RoundStudent:
    member = db.session.scalar(
        select(RoundStudent).where(
            RoundStudent.round_id == round_.id, RoundStudent.student_id == student_id
        )
    )
    if member is None:
        raise DomainError(_("Je doet niet mee aan deze ronde."))
    return member


def rounds_for_student(profile: StudentProfile) -> list[AllocationRound]:
    return list(
        db.session.scalars(
            select(AllocationRound)
            .join(RoundStudent, RoundStudent.round_id == AllocationRound.id)
            .where(RoundStudent.student_id == profile.id)
            .order_by(AllocationRound.id.desc())
        )
    )


@dataclass
class Applicant:
    """A student who chose one of a meester's places, as the company sees them: no identity."""

    student_id: int
    label: str  # "Student A"
    qualification: str
    level: int
    town_km: float | None
    skills: list[str]
    place_titles: list[str]  # the meester's places this student chose, best first
    score: float
    rank: int | None = None  # the meester's saved rank
    match: str = ""  # the model's score in plain words


@dataclass
class MeesterQueue:
    mentor: Mentor
    applicants: list[Applicant] = field(default_factory=list)
    saved: bool = False


def meester_queues(round_: AllocationRound, company_id: int) -> list[MeesterQueue]:
    """For each meester of the company with places in the round: the students who chose those
    places, in the meester's saved order, else the model's order."""
    rows = db.session.execute(
        select(RoundChoice.student_id, RoundChoice.rank, Placement)
        .join(Placement, Placement.id == RoundChoice.placement_id)
        .where(RoundChoice.round_id == round_.id, Placement.company_id == company_id)
        .order_by(RoundChoice.student_id, RoundChoice.rank)
    ).all()
    if not rows:
        return []
    chosen: dict[int, dict[int, list[Placement]]] = defaultdict(lambda: defaultdict(list))
    for student_id, _rank, placement in rows:
        chosen[placement.meester_id][student_id].append(placement)
    profiles = {
        p.id: p
        for p in db.session.scalars(
            select(StudentProfile).where(StudentProfile.id.in_({r[0] for r in rows}))
        )
    }
    scores = _pair_scores(
        [(profiles[s], places[0]) for per in chosen.values() for s, places in per.items()]
    )
    saved = _saved_rankings(round_.id, list(chosen))
    queues = []
    from stagematch.geo import distance_km

    for mentor_id, per_student in chosen.items():
        mentor = db.session.get(Mentor, mentor_id)
        applicants = []
        for student_id, places in per_student.items():
            profile = profiles[student_id]
            first = places[0]
            applicants.append(
                Applicant(
                    student_id=student_id,
                    label="",
                    qualification=profile.qualification.name,
                    level=profile.level,
                    town_km=distance_km(profile.lat, profile.lon, first.lat, first.lon)
                    if profile.lat is not None
                    else None,
                    skills=[t.strip() for t in profile.skills.split(",") if t.strip()],
                    place_titles=[p.title for p in places],
                    score=scores.get((student_id, first.id), 0.0),
                    rank=saved.get(mentor_id, {}).get(student_id),
                    match=match_label(scores.get((student_id, first.id), 0.0)),
                )  # fmt: skip
            )
        applicants.sort(key=lambda a: (a.rank is None, a.rank or 0, -a.score, a.student_id))
        for i, a in enumerate(applicants):
            a.label = f"Student {_letters(i)}"
        queues.append(MeesterQueue(mentor, applicants, saved=mentor_id in saved))
    queues.sort(key=lambda q: q.mentor.name)
    return queues


def log_meester_queues(round_: AllocationRound, queues: list[MeesterQueue], *,
                       who: int | None) -> None:  # fmt: skip
    """The ranking log of what a company was shown: each meester's queue that the model (or the
    rule) still orders — one without a saved order of the company's own. Called after the page
    was rendered."""
    from stagematch.ranking import active_model
    from stagematch.services.interactions import log_list

    version_id = getattr(active_model(), "version_id", None)
    for queue in queues:
        if queue.saved or not queue.applicants:
            continue
        ranked = [(a.student_id, a.score) for a in queue.applicants]
        log_list(student_id=None, place_ids=[i for i, _s in ranked], scores=[s for _i, s in ranked],
                 candidates=ranked, source="allocation_queue", of="students", who=who,
                 model_version_id=version_id,
                 extra={"round": round_.id, "meester": queue.mentor.id})  # fmt: skip


def _letters(i: int) -> str:
    """0 → A, 25 → Z, 26 → AA: anonymous labels that stay short."""
    out = ""
    i += 1
    while i:
        i, rest = divmod(i - 1, 26)
        out = chr(65 + rest) + out
    return out


def _saved_rankings(round_id: int, mentor_ids: list[int]) -> dict[int, dict[int, int]]:
    saved: dict[int, dict[int, int]] = defaultdict(dict)
    for mentor_id, student_id, rank in db.session.execute(
        select(MeesterRanking.mentor_id, MeesterRanking.student_id, MeesterRanking.rank).where(
            MeesterRanking.round_id == round_id, MeesterRanking.mentor_id.in_(mentor_ids)
        )
    ):
        saved[mentor_id][student_id] = rank
    return dict(saved)


def _pair_scores(pairs: list[tuple[StudentProfile, Placement]]) -> dict[tuple[int, int], float]:
    """The match model's score for given (student, place) pairs, hard rules or not."""
    from stagematch.matching.features import build_features, fit_context
    from stagematch.matching.model import rule_score
    from stagematch.ranking import active_model, place_data, student_data

    if not pairs:
        return {}
    placements = list({p.id: p for _s, p in pairs}.values())
    places = {p.id: p for p in place_data(placements)}
    students = {s.id: student_data(s) for s, _p in pairs}
    data = [(students[s.id], places[p.id]) for s, p in pairs if p.id in places]
    if not data:
        return {}
    model = active_model()
    context = model.context if model else fit_context(list(places.values()))
    X = build_features(data, context)
    scores = model.predict(X) if model else rule_score(X)
    return {(s.id, p.id): float(v) for (s, p), v in zip(data, scores, strict=True)}


def save_meester_ranking(
    round_: AllocationRound,
    mentor: Mentor,
    ranks: dict[int, int],
    *,
    by: User | None = None,
    company_id: int | None = None,
) -> list[int]:
    """`company_id`: the firm whose places the queue is of (default the meester's own; a meester
    of a leerbedrijf network may supervise places of a partner firm, issue 18)."""
    _require_open(round_)
    company_id = mentor.company_id if company_id is None else company_id
    queue = next((q for q in meester_queues(round_, company_id) if q.mentor.id == mentor.id), None)
    allowed = {a.student_id for a in queue.applicants} if queue else set()
    if set(ranks) - allowed:
        raise DomainError(
            _("Je kunt alleen studenten rangschikken die een plek van deze meester kozen.")
        )
    order = _ranks_to_order(ranks, limit=max(1, len(allowed)), what=_("student"))
    db.session.execute(
        delete(MeesterRanking).where(
            MeesterRanking.round_id == round_.id,
            MeesterRanking.mentor_id == mentor.id,
            MeesterRanking.student_id.in_(allowed),  # not another firm's queue of this meester
        )
    )
    db.session.add_all(
        MeesterRanking(round_id=round_.id, mentor_id=mentor.id, student_id=sid, rank=i,
                       saved_by_id=by.id if by else None)
        for i, sid in enumerate(order, start=1)
    )  # fmt: skip
    record("round.meester_ranking", round_, mentor=mentor.id, students=len(order), actor=by)
    db.session.commit()
    return order


def rounds_for_company(company_id: int) -> list[AllocationRound]:
    return list(
        db.session.scalars(
            select(AllocationRound)
            .where(
                AllocationRound.id.in_(
                    select(RoundPlace.round_id)
                    .join(Placement, Placement.id == RoundPlace.placement_id)
                    .where(Placement.company_id == company_id)
                )
            )
            .order_by(AllocationRound.id.desc())
        )
    )


# --- computing -------------------------------------------------------------------------------


@dataclass
class ComputeSummary:
    students: int
    assigned: int
    unassigned: int
    defaults_used: int  # students who never saved their own choices


# What `compute` reports while it runs (a large cohort computes in the job queue, see start_compute).
COMPUTE_STEPS = (
    N_("Keuzes en regels controleren …"),
    N_("Volgorde van de meesters bepalen …"),
    N_("Verdeling berekenen …"),
    N_("Uitkomst opslaan …"),
)
COMPUTE_INLINE_MAX = 200  # students; a larger round computes in the job queue
jobs.JOB_TITLES["round_compute"] = _l("Verdeling berekenen")


def compute(
    round_: AllocationRound, *, by: User | None = None,
    progress: Callable[[int, str], None] | None = None, order: str = MODEL,
) -> ComputeSummary:  # fmt: skip
    """Compute the allocation and store it. `progress(step, message)` hears of each of the
    COMPUTE_STEPS before it starts; nothing is written before the last one. With `order`
    "distance", students a meester did not rank follow nearest first instead of by the model."""
    _check_order(order)
    say = progress or (lambda step, message: None)
    if round_.status == RoundStatus.PUBLISHED:
        raise DomainError(_("Deze ronde is al gepubliceerd."))
    say(0, COMPUTE_STEPS[0])
    members = list(
        db.session.scalars(select(RoundStudent).where(RoundStudent.round_id == round_.id))
    )
    member_ids = [m.student_id for m in members]
    placed = set(
        db.session.scalars(
            select(Internship.student_id).where(
                Internship.student_id.in_(member_ids), Internship.status == InternshipStatus.ACTIVE
            )
        )
    )
    placements = {
        p.id: p
        for p in db.session.scalars(
            select(Placement)
            .join(RoundPlace, RoundPlace.placement_id == Placement.id)
            .where(RoundPlace.round_id == round_.id, Placement.status == PlacementStatus.OPEN)
        )
    }
    seats, capacity = _free_capacity(list(placements.values()))
    usable = {
        pid
        for pid in placements
        if seats.get(pid, 0) > 0 and capacity.get(placements[pid].meester_id, 0) > 0
    }

    # The rules again, now: an accreditation may have lapsed or a wage fallen below the minimum
    # since the round opened. Distance is the student's own choice here (they chose the place).
    choices = db.session.execute(
        select(RoundChoice.student_id, RoundChoice.placement_id)
        .where(RoundChoice.round_id == round_.id)
        .order_by(RoundChoice.student_id, RoundChoice.rank)
    ).all()
    allowed = _allowed_pairs([(s, p) for s, p in choices if s not in placed and p in usable])
    prefs: dict[str, list[str]] = {}
    for student_id, placement_id in choices:
        if (student_id, placement_id) in allowed:
            prefs.setdefault(str(student_id), []).append(str(placement_id))
    for sid in member_ids:
        if sid not in placed:
            prefs.setdefault(str(sid), [])

    # Meesters: their saved order first, then the students they did not rank by model score.
    say(1, COMPUTE_STEPS[1])
    choosers: dict[int, dict[int, int]] = defaultdict(dict)  # meester -> student -> best place
    for sid, places in prefs.items():
        for pid in places:
            meester = placements[int(pid)].meester_id
            choosers[meester].setdefault(int(sid), int(pid))
    saved = _saved_rankings(round_.id, list(choosers))
    profiles = {
        p.id: p
        for p in db.session.scalars(select(StudentProfile).where(StudentProfile.id.in_(member_ids)))
    }
    pairs = [(profiles[s], placements[p]) for per in choosers.values() for s, p in per.items()]
    if order == MODEL:
        scores = _pair_scores(pairs)
    else:  # nearer is better; the model is not asked
        from stagematch.geo import distance_km

        scores = {(s.id, p.id): -distance_km(s.lat, s.lon, p.lat, p.lon) for s, p in pairs}
    meester_prefs = {}
    for meester, per in choosers.items():
        ranked = saved.get(meester, {})
        students = sorted(
            per, key=lambda s: (s not in ranked, ranked.get(s, 0), -scores.get((s, per[s]), 0.0), s)
        )
        meester_prefs[str(meester)] = [str(s) for s in students]

    say(2, COMPUTE_STEPS[2])
    place_meester = {str(pid): str(placements[pid].meester_id) for pid in usable}
    place_seats = {str(pid): seats[pid] for pid in usable}
    meester_capacity = {str(m): capacity[m] for m in {placements[pid].meester_id for pid in usable}}
    result = allocate(prefs, meester_prefs, place_meester, place_seats, meester_capacity)

    say(3, COMPUTE_STEPS[3])
    assigned = 0
    for member in members:
        place = result.get(str(member.student_id))
        member.assigned_placement_id = int(place) if place else None
        if place:
            assigned += 1
            member.result_note = ""
        elif member.student_id in placed:
            member.result_note = NOTE_PLACED
        elif not prefs.get(str(member.student_id)):
            member.result_note = NOTE_NO_CHOICES
        else:
            member.result_note = NOTE_OUTRANKED
    # Conditional: a round published while this computed (a long job) keeps its published result.
    stored = db.session.execute(
        update(AllocationRound)
        .where(AllocationRound.id == round_.id, AllocationRound.status != RoundStatus.PUBLISHED)
        .values(status=RoundStatus.COMPUTED, computed_at=utcnow())
    ).rowcount
    if not stored:
        db.session.rollback()
        raise DomainError(_("Deze ronde is al gepubliceerd."))
    summary = ComputeSummary(
        students=len(members), assigned=assigned, unassigned=len(members) - assigned,
        defaults_used=sum(1 for m in members if m.choices_saved_at is None),
    )  # fmt: skip
    record("round.compute", round_, assigned=assigned, unassigned=summary.unassigned, order=order,
           actor=by)  # fmt: skip
    db.session.commit()
    return summary


def start_compute(round_: AllocationRound, *, by: User, order: str = MODEL) -> ComputeSummary | Job:
    """Compute a round of at most ALLOCATION_JOB_STUDENTS (config; 200) students at once; a larger
    one in the job queue: the Job whose page shows the progress (the one already running, if any)."""
    _check_order(order)
    if round_.status == RoundStatus.PUBLISHED:
        raise DomainError(_("Deze ronde is al gepubliceerd."))
    size = db.session.scalar(
        select(func.count(RoundStudent.id)).where(RoundStudent.round_id == round_.id)
    )
    if size <= current_app.config.get("ALLOCATION_JOB_STUDENTS", COMPUTE_INLINE_MAX):
        return compute(round_, by=by, order=order)
    return compute_job_for(round_) or jobs.submit(
        "round_compute", compute_job, round_.id, by.id, order, owner=by, total=len(COMPUTE_STEPS) + 1,
        context={"round_id": round_.id},
    )  # fmt: skip


def compute_job_for(round_: AllocationRound) -> Job | None:
    """The computation of this round that is queued or running, if any."""
    return jobs.unfinished("round_compute", round_id=round_.id)


@jobs.job_task()
def compute_job(job: Job, round_id: int, by_id: int | None, order: str = MODEL) -> dict:
    round_ = db.session.get(AllocationRound, round_id)
    if round_ is None:
        raise jobs.JobFailed(N_("Deze ronde bestaat niet meer."))
    by = db.session.get(User, by_id) if by_id else None
    summary = compute(
        round_, by=by, order=order,
        progress=lambda step, message: jobs.progress(job, step, message=message),
    )  # fmt: skip
    return {"students": summary.students, "assigned": summary.assigned,
            "unassigned": summary.unassigned, "defaults_used": summary.defaults_used}  # fmt: skip


def _allowed_pairs(pairs: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """The (student, place) pairs that the eligibility rules allow today, the student's travel
    distance aside."""
    from stagematch.matching.eligibility import DISTANCE, reasons
    from stagematch.ranking import places_by_id, students_by_id

    on = today()
    places = places_by_id({p for _, p in pairs})
    students = {s.id: s for s in students_by_id({s for s, _ in pairs})}
    return {
        (s, p)
        for s, p in pairs
        if s in students and p in places
        and not [r for r in reasons(students[s], places[p], on=on) if r is not DISTANCE]
    }  # fmt: skip


def _free_capacity(placements: list[Placement]) -> tuple[dict[int, int], dict[int, int]]:
    """Free seats per place and each meester's room for the round's places: counted by
    `services.capacity.round_capacity` (gezel capacity caps the seats of the places they are on)."""
    from stagematch.services.capacity import round_capacity

    return round_capacity(placements)


@dataclass
class MeesterUse:
    mentor: Mentor
    capacity_left: int
    assigned: int


def capacity_use(round_: AllocationRound) -> list[MeesterUse]:
    placements = list(
        db.session.scalars(
            select(Placement)
            .join(RoundPlace, RoundPlace.placement_id == Placement.id)
            .where(RoundPlace.round_id == round_.id)
        )
    )
    _seats, capacity = _free_capacity([p for p in placements if p.status == PlacementStatus.OPEN])
    by_place = {p.id: p.meester_id for p in placements}
    assigned: dict[int, int] = defaultdict(int)
    for (pid,) in db.session.execute(
        select(RoundStudent.assigned_placement_id).where(
            RoundStudent.round_id == round_.id, RoundStudent.assigned_placement_id.is_not(None)
        )
    ):
        assigned[by_place.get(pid)] += 1
    mentors = db.session.scalars(select(Mentor).where(Mentor.id.in_(set(by_place.values())))).all()
    uses = [MeesterUse(m, capacity.get(m.id, 0), assigned.get(m.id, 0)) for m in mentors]
    uses.sort(key=lambda u: (-u.assigned, u.mentor.name))
    return uses


def reopen(round_: AllocationRound, *, by: User | None = None) -> None:
    result = db.session.execute(
        update(AllocationRound)
        .where(AllocationRound.id == round_.id, AllocationRound.status == RoundStatus.COMPUTED)
        .values(status=RoundStatus.OPEN)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise DomainError(_("Alleen een berekende, nog niet gepubliceerde ronde kan weer open."))
    if round_.closes_on < today():
        db.session.execute(
            update(AllocationRound).where(AllocationRound.id == round_.id).values(closes_on=today())
        )
    record("round.reopen", round_, actor=by)
    db.session.commit()
    db.session.refresh(round_)


def delete_round(round_: AllocationRound, *, by: User | None = None) -> None:
    if round_.status == RoundStatus.PUBLISHED:
        raise DomainError(
            _("Een gepubliceerde ronde blijft bewaard: de aanbiedingen zijn al verstuurd.")
        )
    record("round.delete", round_, name=round_.name, actor=by)
    db.session.delete(round_)
    db.session.commit()


# --- publishing ------------------------------------------------------------------------------


def publish(round_id: int, *, by: User | None = None) -> list[Application]:
    """Turn the computed assignments into offers, exactly once (safe under concurrent requests)."""
    db.session.commit()  # end any read transaction, so the conditional update sees the latest
    result = db.session.execute(
        update(AllocationRound)
        .where(AllocationRound.id == round_id, AllocationRound.status == RoundStatus.COMPUTED)
        .values(status=RoundStatus.PUBLISHED, published_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise DomainError(_("Deze ronde is al gepubliceerd, of nog niet berekend."))
    round_ = db.session.get(AllocationRound, round_id, populate_existing=True)
    members = list(
        db.session.scalars(
            select(RoundStudent).where(
                RoundStudent.round_id == round_id, RoundStudent.assigned_placement_id.is_not(None)
            )
        )
    )
    placed = set(
        db.session.scalars(
            select(Internship.student_id).where(
                Internship.student_id.in_([m.student_id for m in members]),
                Internship.status == InternshipStatus.ACTIVE,
            )
        )
    )
    # Rounds have no offer deadline of their own: the students answer within the same term as a
    # company's offer, after which an unanswered offer expires and frees its seat.
    from stagematch.services.applications import default_respond_by

    respond_by = default_respond_by()
    offers = []
    for member in members:
        if member.student_id in placed:
            member.result_note = NOTE_PLACED
            member.assigned_placement_id = None
            continue
        application = db.session.scalar(
            select(Application).where(
                Application.student_id == member.student_id,
                Application.placement_id == member.assigned_placement_id,
            )
        )
        if application is None:
            application = Application(
                student_id=member.student_id, placement_id=member.assigned_placement_id,
                motivation="", anonymous=False,
            )  # fmt: skip
            db.session.add(application)
        application.status = ApplicationStatus.OFFERED
        application.round_id = round_id
        application.decided_at = None
        application.offered_at = application.updated_at = utcnow()
        application.respond_by = respond_by
        offers.append(application)
    db.session.flush()
    record("round.publish", round_, offers=len(offers), actor=by)
    db.session.commit()
    _queue_notifications(round_id, "round_result")
    return offers


def compute_closed_rounds() -> list[tuple[AllocationRound, ComputeSummary]]:
    """The scheduled job: compute every open round whose choosing period has ended and tell the
    coordinator who opened it to review and publish. Publishing stays a person's decision."""
    from stagematch.services.notifications import notify, site_path

    done = []
    closed = select(AllocationRound).where(
        AllocationRound.status == RoundStatus.OPEN, AllocationRound.closes_on < today()
    )
    for round_ in db.session.scalars(closed.order_by(AllocationRound.id)).all():
        summary = compute(round_)
        done.append((round_, summary))
        coordinator = db.session.get(User, round_.created_by_id) if round_.created_by_id else None
        message = Phrase(N_('Verdeelronde "%(name)s" is berekend: bekijk de verdeling en publiceer '
                            "haar."), name=round_.name)  # fmt: skip
        notify(coordinator, "round_computed", f"round:{round_.id}:{(round_.computed_at or utcnow()):%Y%m%d%H%M%S}",
               message, site_path("coordinators.round_detail", round_id=round_.id),
               template="round_computed", round=round_, summary=summary,
               subject=_l("verdeelronde %(name)s is berekend", name=round_.name))  # fmt: skip
    return done


# --- telling students and companies ------------------------------------------------------------

CLOSING_WARNING_DAYS = 2
MESSAGES = {
    "round_opened": N_(
        'Je doet mee aan verdeelronde "%(name)s". Kies tot en met %(date)s welke plekken je het '
        "liefst wilt."
    ),
    "round_closing": N_(
        'Verdeelronde "%(name)s" sluit op %(date)s. Kijk je keuzes nog een keer na.'
    ),
    "placed": N_(
        'Verdeelronde "%(name)s": je krijgt een plek aangeboden, "%(title)s" bij %(company)s. '
        "Neem het aanbod aan of sla het af tot en met %(date)s."
    ),
    "not_placed": N_(
        'Verdeelronde "%(name)s": je hebt geen plek gekregen. %(why)s Zoek zelf verder en '
        "solliciteer op plekken die bij je passen; je stagecoördinator helpt je daarbij."
    ),
    "company": N_('De verdeelronde van %(school)s biedt "%(title)s" aan een student aan.'),
}
NOTES = {note: note for note in (NOTE_PLACED, NOTE_NO_CHOICES, NOTE_OUTRANKED)}


def _queue_notifications(round_id: int, kind: str) -> None:
    """Tell the round's students (and companies) in the worker: a round has up to a thousand."""
    try:
        notify_round(round_id, kind)
    except Exception:  # the queue is away: tell them now rather than not at all
        current_app.logger.exception("Could not queue the %s notifications of round %s",
                                     kind, round_id)  # fmt: skip
        notify_round.call_local(round_id, kind)


@jobs.task()
def notify_round(round_id: int, kind: str) -> int:
    """Notify every student of the round: it opened ('round_opened'), closes soon
    ('round_closing') or was published ('round_result': an offer, or no place and what next,
    and the companies of the offered places). Sent once per student and round; returns how many."""
    from stagematch.services.notifications import format_date_for, notify, site_path

    round_ = db.session.get(AllocationRound, round_id)
    if round_ is None:
        return 0
    made = 0
    members = db.session.scalars(
        select(RoundStudent).where(RoundStudent.round_id == round_id).order_by(RoundStudent.id)
    ).all()
    if kind in ("round_opened", "round_closing"):
        url = site_path("students.allocation_round", round_id=round_id)
        for member in members:
            user = member.student.user
            message = Phrase(MESSAGES[kind], name=round_.name,
                             date=format_date_for(user, round_.closes_on))  # fmt: skip
            made += notify(user, kind, f"round:{round_id}", message, url) is not None
        return made
    offers = {
        a.student_id: a
        for a in db.session.scalars(
            select(Application).where(
                Application.round_id == round_id, Application.status.in_(
                    (ApplicationStatus.OFFERED, ApplicationStatus.ACCEPTED,
                     ApplicationStatus.DECLINED, ApplicationStatus.EXPIRED))
            )
        )
    }  # fmt: skip
    for member in members:
        user = member.student.user
        offer = offers.get(member.student_id)
        if offer is not None:
            made += _tell_offer(offer, round_) > 0
            continue
        why = member.result_note or NOTE_NO_CHOICES
        message = Phrase(MESSAGES["not_placed"], name=round_.name,
                         why=Phrase(NOTES[why]) if why in NOTES else why)  # fmt: skip
        made += notify(user, "round_result", f"round:{round_id}", message,
                       site_path("places.search_page"),
                       subject=_l("geen plek in verdeelronde %(name)s", name=round_.name)) is not None  # fmt: skip
    return made


def _tell_offer(application: Application, round_: AllocationRound) -> int:
    """A round's offer: the student hears the result, the place's company that it was offered."""
    from stagematch.services.applications import company_users
    from stagematch.services.notifications import format_date_for, notify, site_path

    placement = application.placement
    user = application.student.user
    message = Phrase(MESSAGES["placed"], name=round_.name, title=placement.title,
                     company=placement.company.name,
                     date=format_date_for(user, application.respond_by))  # fmt: skip
    made = notify(user, "round_result", f"round:{round_.id}", message,
                  site_path("students.applications", _anchor=f"sollicitatie-{application.id}"),
                  template="offer_student", subject=_l("je hebt een stageplek aangeboden gekregen"),
                  application=application, placement=placement) is not None  # fmt: skip
    url = site_path("companies.application", application_id=application.id)
    for company_user in company_users(placement.company_id):
        message = Phrase(MESSAGES["company"], school=round_.school.name, title=placement.title)
        notify(company_user, "offer_made", f"application:{application.id}", message, url,
               template="offer_company", application=application, placement=placement,
               subject=_l("aanbod verstuurd voor %(title)s", title=placement.title))  # fmt: skip
    return int(made)


def notify_offers(offers: list[Application]) -> None:
    """Tell the students with an offer and the companies of the places (once: `publish` has
    queued this already, so a second call sends nothing)."""
    for application in offers:
        if application.round_id is not None:
            _tell_offer(application, db.session.get(AllocationRound, application.round_id))


def warn_closing_rounds(*, on: date | None = None) -> int:
    """The nightly job: students of a round that closes within two days are told (once)."""
    from datetime import timedelta

    on = on or today()
    ids = db.session.scalars(
        select(AllocationRound.id).where(
            AllocationRound.status == RoundStatus.OPEN,
            AllocationRound.closes_on >= on,
            AllocationRound.closes_on <= on + timedelta(days=CLOSING_WARNING_DAYS),
        ).order_by(AllocationRound.id)
    ).all()  # fmt: skip
    return sum(notify_round.call_local(round_id, "round_closing") for round_id in ids)
