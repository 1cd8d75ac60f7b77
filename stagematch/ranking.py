"""Glue between the site and `stagematch.matching`: loads plain data from the database, keeps the
model registry (versions in the database, artifacts in instance/models), and builds the rankers
for search, recommendations and the API.

Instances share nothing in memory that could disagree: the active version is read from the
database; a loaded artifact is cached per file (path, time, size), never across a changed file."""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
from pathlib import Path

import joblib
import numpy as np
from flask import current_app
from sqlalchemy import func, select

from stagematch import geo
from stagematch.extensions import db
from stagematch.matching import sqi as sqi_module
from stagematch.matching.data import PlaceData, StudentData
from stagematch.matching.features import FEATURES, build_features, fit_context, place_sqi
from stagematch.matching.model import (
    TrainedModel,
    TrainingExample,
    contributions,
    explain,
    match_label,
    rule_score,
)
from stagematch.models import (
    Company,
    Evaluation,
    Internship,
    Mentor,
    ModelVersion,
    Placement,
    Qualification,
    StudentProfile,
    placement_qualification,
)
from stagematch.models.enums import EvaluationAuthor, InternshipOutcome, InternshipStatus
from stagematch.services.search import SearchFilters, SearchPage, search

log = logging.getLogger(__name__)
_loaded: dict[tuple, TrainedModel] = {}  # (artifact path, mtime, size) -> model
KEEP_LOADED = 4
_failed: dict[tuple, float] = {}  # artifact key -> when loading failed; retried after a minute
RETRY_FAILED_AFTER = 60.0


# --- loading plain data ----------------------------------------------------------------------


def student_data(profile: StudentProfile) -> StudentData:
    q = profile.qualification
    return StudentData(
        id=profile.id, leerweg=profile.leerweg, level=profile.level, crebo=q.crebo, dossier=q.dossier_crebo,
        lat=profile.lat, lon=profile.lon, max_travel_km=profile.max_travel_km, available_from=profile.available_from,
        skills=tuple(t.strip() for t in profile.skills.split(",") if t.strip()),
        interests=tuple(t.strip() for t in profile.interests.split(",") if t.strip()), bbl_days=profile.bbl_days,
        birth_date=profile.birth_date,  # read by the legal rules only (wage, working time)
    )  # fmt: skip


def meester_facts(
    meester_ids: list[int], *, exclude_internship: dict[int, tuple] | None = None
) -> dict[int, sqi_module.MeesterFacts]:
    """Facts per meester: structure, current load, ratings and completion of earlier internships."""
    if not meester_ids:
        return {}
    ids = list(set(meester_ids))
    mentors = {m.id: m for m in db.session.scalars(select(Mentor).where(Mentor.id.in_(ids)))}
    from stagematch.services.capacity import current_learners

    active = current_learners(ids)
    mean_expr = (
        Evaluation.supervision_time
        + Evaluation.feedback
        + Evaluation.learning_tasks
        + Evaluation.safety
    ) / 4.0
    ratings = {m: (n, float(s or 0)) for m, n, s in db.session.execute(
        select(Internship.meester_id, func.count(Evaluation.id), func.sum(mean_expr))
        .join(Internship, Internship.id == Evaluation.internship_id)
        .where(Internship.meester_id.in_(ids), Evaluation.author_role == EvaluationAuthor.STUDENT,
               Evaluation.submitted_at.is_not(None), Evaluation.supervision_time.is_not(None))
        .group_by(Internship.meester_id))}  # fmt: skip
    finished = {m: (n, int(ok or 0)) for m, n, ok in db.session.execute(
        select(Internship.meester_id, func.count(), func.sum(func.cast(Internship.outcome == InternshipOutcome.SUCCESS, db.Integer)))
        .where(Internship.meester_id.in_(ids), Internship.status != InternshipStatus.ACTIVE)
        .group_by(Internship.meester_id))}  # fmt: skip
    gezel_of = set(
        db.session.scalars(
            select(Mentor.meester_id).where(Mentor.meester_id.in_(ids), Mentor.active)
        )
    )
    result = {}
    for mid, m in mentors.items():
        n, total = ratings.get(mid, (0, 0.0))
        done, ok = finished.get(mid, (0, 0))
        result[mid] = sqi_module.MeesterFacts(
            trained=m.trained, years_experience=m.years_experience, hours_per_week=m.hours_per_week,
            capacity=m.capacity, active_learners=active.get(mid, 0), has_gezel=mid in gezel_of,
            meestertitel=m.meestertitel, ratings_n=n, rating_mean=(total / n) if n else None,
            finished=done, completed_ok=ok,
        )  # fmt: skip
    return result


def company_completion(company_ids: list[int]) -> dict[int, tuple[int, int]]:
    if not company_ids:
        return {}
    rows = db.session.execute(
        select(
            Placement.company_id,
            func.count(Internship.id),
            func.sum(func.cast(Internship.outcome == InternshipOutcome.SUCCESS, db.Integer)),
        )  # fmt: skip
        .join(Internship, Internship.placement_id == Placement.id)
        .where(
            Placement.company_id.in_(set(company_ids)), Internship.status != InternshipStatus.ACTIVE
        )
        .group_by(Placement.company_id)
    ).all()
    return {c: (n, int(ok or 0)) for c, n, ok in rows}


@functools.cache
def _place_statement(kind: str, dialect: str = "", rooms: bool = True):
    """`kind` "ids": the places of bind parameter `ids`; "open": every open place. `on` (a date)
    is a bind parameter too, so the statement is built once per process (building it costs more
    than running it for a page of places).

    One SELECT for every number a PlaceData needs except its crebos: the place, its company's
    sector and completion, its meester and the meester's load, ratings and completions, as
    correlated subqueries (each an index lookup) instead of one query per kind."""
    from sqlalchemy import ARRAY, Date, Integer, and_, any_, bindparam, case
    from sqlalchemy.orm import aliased

    from stagematch.models.enums import PlacementStatus
    from stagematch.services.capacity import learners_sql, room_sql, seats_free_sql

    if kind == "ids" and dialect == "postgresql":
        # One array parameter: the same SQL text for any number of ids, so psycopg prepares it
        # after a few runs and PostgreSQL stops planning this large query on every request.
        condition = Placement.id == any_(bindparam("ids", type_=ARRAY(Integer)))
    elif kind == "ids":
        condition = Placement.id.in_(bindparam("ids", expanding=True))
    else:
        condition = Placement.status == PlacementStatus.OPEN
    on = bindparam("on", type_=Date)
    # Seats and capacity over the place's period: the SQL form of services.capacity.
    room_columns = [
        seats_free_sql(Placement, on).label("seats_free"),
        room_sql(Placement.meester_id, Placement, on).label("meester_room"),
        case((Placement.gezel_id.is_(None), None), else_=room_sql(Placement.gezel_id, Placement, on)).label("gezel_room"),
        learners_sql(Placement.meester_id, Placement, on).label("meester_active"),
    ] if rooms else []  # fmt: skip
    I, E, P2 = Internship, Evaluation, aliased(Placement)  # noqa: E741, N806
    success = func.cast(I.outcome == InternshipOutcome.SUCCESS, db.Integer)
    mean_expr = (E.supervision_time + E.feedback + E.learning_tasks + E.safety) / 4.0
    rated = and_(
        I.meester_id == Mentor.id, E.author_role == EvaluationAuthor.STUDENT,
        E.submitted_at.is_not(None), E.supervision_time.is_not(None),
    )  # fmt: skip
    finished = and_(I.meester_id == Mentor.id, I.status != InternshipStatus.ACTIVE)
    company_finished = and_(
        P2.company_id == Placement.company_id, I.status != InternshipStatus.ACTIVE
    )

    rating_join = (I, I.id == E.internship_id)  # evaluations to their internship
    company_join = (P2, P2.id == I.placement_id)  # internships to the company's places

    def scalar(column, where, join=None):
        """A correlated one-value subquery: `column` of the rows matching `where`, optionally
        over a join (target, on)."""
        statement = select(column)
        if join is not None:
            statement = statement.join(*join)
        return statement.where(where).scalar_subquery()

    places = (
        select(
            Placement.id,
            Placement.company_id,
            Placement.leerweg,
            Placement.level,
            Placement.lat,
            Placement.lon,
            Placement.start_date,
            Placement.duration_weeks,
            Placement.days_per_week,
            Placement.pay_per_month,
            Placement.hours_per_week.label("place_hours"),
            Placement.wage_age,
            Company.sector,
            Placement.published_at,
            Placement.title,
            Placement.tasks,
            Placement.description,
            Placement.required_skills,
            Placement.seats,
            Placement.gezel_id,
            Mentor.trained,
            Mentor.years_experience,
            Mentor.hours_per_week,
            Mentor.capacity,
            Mentor.meestertitel,
            scalar(func.count(E.id), rated, join=rating_join).label("m_rated"),
            scalar(func.sum(mean_expr), rated, join=rating_join).label("m_rating_sum"),
            scalar(func.count(), finished).label("m_finished"),
            scalar(func.sum(success), finished).label("m_ok"),
            scalar(func.count(I.id), company_finished, join=company_join).label("c_finished"),
            *room_columns,
            scalar(func.sum(success), company_finished, join=company_join).label("c_ok"),
        )  # fmt: skip
        .join(Company, Company.id == Placement.company_id)
        .join(Mentor, Mentor.id == Placement.meester_id)
        .where(condition)
    )
    from stagematch.services.eligibility import accreditation_current_clause

    pq = placement_qualification.c
    accredited = accreditation_current_clause(
        Placement.company_id, pq.qualification_id, Placement.start_date
    )
    quals = (
        select(pq.placement_id, Qualification.crebo, Qualification.dossier_crebo, accredited.label("accredited"))
        .join(Qualification, Qualification.id == pq.qualification_id)
        .join(Placement, Placement.id == pq.placement_id)
        .where(condition)
    )  # fmt: skip
    meesters = select(Placement.id, Placement.meester_id).where(condition)
    return places, quals, meesters


def _no_room():
    from stagematch.services.capacity import PlaceRoom

    return PlaceRoom(seats_free=1, meester_room=0, gezel_room=None, meester_active=0)


def load_places(
    ids: list[int] | None = None, *, facts: dict | None = None, on=None, holding_offer=None,
    as_open: bool = False,
) -> list[PlaceData]:  # fmt: skip
    """PlaceData of the places `ids` (at most CHUNK), or of every open place when ids is None.
    Seats and capacity over each place's period come from `services.capacity.place_rooms`
    (`holding_offer`, `as_open`: see there). `facts` (meester id -> MeesterFacts) replaces the
    meester facts read here. Places without a meester row are left out."""
    from stagematch.services.capacity import PlaceRoom, place_rooms
    from stagematch.timeutil import today

    statement, quals_statement, meesters = _place_statement(
        "open" if ids is None else "ids", db.engine.dialect.name, facts is None
    )
    params = {"on": on or today()} if ids is None else {"on": on or today(), "ids": list(ids)}
    rows = db.session.execute(statement, params).all()
    if not rows:
        return []
    quals = db.session.execute(quals_statement, params).all()
    crebos: dict[int, set] = {}
    dossiers: dict[int, set] = {}
    accredited_crebos: dict[int, set] = {}
    accredited_dossiers: dict[int, set] = {}
    for pid, crebo, dossier, accredited in quals:
        crebos.setdefault(pid, set()).add(crebo)
        dossiers.setdefault(pid, set()).add(dossier)
        if accredited:
            accredited_crebos.setdefault(pid, set()).add(crebo)
            accredited_dossiers.setdefault(pid, set()).add(dossier)
    # Seats and capacity come with the rows (the SQL form); an offer being taken or a draft
    # being published needs the Python form's options. Training (facts given) reads history:
    # today's seats and capacity mean nothing there.
    NO_ROOM = _no_room()  # noqa: N806
    if holding_offer is not None or as_open:
        rooms = place_rooms(
            [r.id for r in rows], on=params["on"], holding_offer=holding_offer, as_open=as_open
        )
    elif facts is None:
        rooms = {
            r.id: PlaceRoom(max(0, r.seats_free), r.meester_room, r.gezel_room, r.meester_active)
            for r in rows
        }
    else:
        rooms = {}
    meester_of = dict(db.session.execute(meesters, params).all()) if facts is not None else {}
    result = []
    for r in rows:
        room = rooms.get(r.id, NO_ROOM)
        if facts is not None:
            meester = facts.get(meester_of.get(r.id))
            if meester is None:
                continue
            # The gezel in the chain is the place's own, as when serving.
            meester = dataclasses.replace(meester, has_gezel=r.gezel_id is not None)
        else:
            n = r.m_rated or 0
            meester = sqi_module.MeesterFacts(
                trained=r.trained, years_experience=r.years_experience, hours_per_week=r.hours_per_week,
                capacity=r.capacity, active_learners=room.meester_active, has_gezel=r.gezel_id is not None,
                meestertitel=r.meestertitel, ratings_n=n,
                rating_mean=(float(r.m_rating_sum or 0) / n) if n else None,
                finished=r.m_finished or 0, completed_ok=int(r.m_ok or 0),
            )  # fmt: skip
        result.append(PlaceData(
            id=r.id, company_id=r.company_id, leerweg=r.leerweg, level=r.level,
            crebos=frozenset(crebos.get(r.id, ())), dossiers=frozenset(dossiers.get(r.id, ())),
            lat=r.lat, lon=r.lon, start_date=r.start_date, duration_weeks=r.duration_weeks,
            days_per_week=r.days_per_week, pay_per_month=r.pay_per_month, sector=r.sector or "",
            published_at=r.published_at, text=f"{r.title} {r.tasks} {r.description}",
            skills=tuple(t.strip() for t in r.required_skills.split(",") if t.strip()),
            seats_free=room.seats_free, meester=meester, gezel=r.gezel_id is not None,
            company_finished=r.c_finished or 0, company_ok=int(r.c_ok or 0),
            hours_per_week=r.place_hours, wage_age=r.wage_age,
            accredited_crebos=frozenset(accredited_crebos.get(r.id, ())),
            accredited_dossiers=frozenset(accredited_dossiers.get(r.id, ())),
            meester_room=room.meester_room, gezel_room=room.gezel_room,
        ))  # fmt: skip
    return result


CHUNK = 5000  # ids per IN list (SQLite limits bound parameters)


def places_by_id(ids, *, facts: dict | None = None) -> dict[int, PlaceData]:
    ids = list(dict.fromkeys(ids))
    result: dict[int, PlaceData] = {}
    for start in range(0, len(ids), CHUNK):
        for p in load_places(ids[start : start + CHUNK], facts=facts):
            result[p.id] = p
    return result


def place_data(placements: list[Placement], *, facts: dict | None = None) -> list[PlaceData]:
    """PlaceData of these placements, in their order (see load_places)."""
    if not placements:
        return []
    found = places_by_id([p.id for p in placements], facts=facts)
    return [found[p.id] for p in placements if p.id in found]


def meester_sqis(meester_ids: list[int]) -> dict[int, sqi_module.SQI]:
    return {m: sqi_module.compute(f) for m, f in meester_facts(meester_ids).items()}


def placement_sqi(placement: Placement) -> sqi_module.SQI:
    return place_sqi(place_data([placement])[0])


def school_host_sqis(school) -> list[float]:
    """SQI (0-100) of every meester with a running internship of this school's students."""
    ids = list(db.session.scalars(
        select(Internship.meester_id).where(Internship.school_id == school.id, Internship.status == InternshipStatus.ACTIVE).distinct()))  # fmt: skip
    return [s.score for s in meester_sqis(ids).values()]


# --- training data and the registry ----------------------------------------------------------


def training_examples() -> list[TrainingExample]:
    """Finished internships with an outcome. A meester's ratings and completions are counted
    without the internship itself (leave-one-out), so the model cannot read its own answer."""
    internships = db.session.scalars(
        select(Internship).where(
            Internship.status != InternshipStatus.ACTIVE,
            Internship.outcome.is_not(None),
            Internship.student_id.is_not(None),
        )  # fmt: skip
    ).all()
    if not internships:
        return []
    placements = {
        p.id: p
        for p in db.session.scalars(
            select(Placement).where(Placement.id.in_({i.placement_id for i in internships}))
        )
    }
    facts = meester_facts([p.meester_id for p in placements.values()])
    places = {p.id: p for p in place_data(list(placements.values()), facts=facts)}
    own_ratings = dict(db.session.execute(
        select(Evaluation.internship_id, func.count(Evaluation.id))
        .where(Evaluation.author_role == EvaluationAuthor.STUDENT, Evaluation.submitted_at.is_not(None),
               Evaluation.supervision_time.is_not(None))
        .group_by(Evaluation.internship_id)).all())  # fmt: skip
    own_sum = dict(db.session.execute(
        select(Evaluation.internship_id,
               func.sum((Evaluation.supervision_time + Evaluation.feedback + Evaluation.learning_tasks + Evaluation.safety) / 4.0))
        .where(Evaluation.author_role == EvaluationAuthor.STUDENT, Evaluation.submitted_at.is_not(None),
               Evaluation.supervision_time.is_not(None))
        .group_by(Evaluation.internship_id)).all())  # fmt: skip
    profiles = {
        s.id: s
        for s in db.session.scalars(
            select(StudentProfile).where(StudentProfile.id.in_({i.student_id for i in internships}))
        )
    }
    result = []
    for i in internships:
        place = places.get(i.placement_id)
        profile = profiles.get(i.student_id)
        if place is None or profile is None or profile.lat is None:
            continue
        f = place.meester
        n_own, s_own = own_ratings.get(i.id, 0), float(own_sum.get(i.id) or 0)
        n = f.ratings_n - n_own
        total = (f.rating_mean or 0) * f.ratings_n - s_own
        success = i.outcome == InternshipOutcome.SUCCESS
        loo = sqi_module.MeesterFacts(**{**f.__dict__, "ratings_n": n, "rating_mean": total / n if n > 0 else None,
                                         "finished": max(0, f.finished - 1), "completed_ok": max(0, f.completed_ok - int(success)),
                                         "active_learners": 0})  # fmt: skip
        place = dataclasses.replace(
            place, meester=loo, seats_free=1, company_finished=max(0, place.company_finished - 1),
            company_ok=max(0, place.company_ok - int(success)),
        )  # fmt: skip
        result.append(TrainingExample(student_data(profile), place, i.start_date, success))
    return result


def models_folder() -> Path:
    folder = Path(current_app.instance_path) / "models"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_model(model: TrainedModel) -> ModelVersion:
    version = ModelVersion(
        family=model.family, n_examples=model.n_examples, date_from=model.date_range[0], date_to=model.date_range[1],
        features=json.dumps(model.features), metrics=json.dumps(model.metrics), importances=json.dumps(model.importances),
        artifact="pending", active=False,
    )  # fmt: skip
    db.session.add(version)
    db.session.flush()
    version.artifact = f"model-v{version.id}.joblib"
    joblib.dump(model, models_folder() / version.artifact)
    activate(version)
    return version


def activate(version: ModelVersion) -> None:
    # The others off in SQL; this one on (also when it was on already: the ORM would not write an
    # unchanged True after the bulk update switched it off).
    db.session.execute(
        ModelVersion.__table__.update().where(ModelVersion.id != version.id).values(active=False)
    )
    version.active = True
    db.session.commit()


def _artifact_key(version: ModelVersion) -> tuple:
    """The artifact file itself (path, time, size; None, None when it is missing): a replaced file,
    or another database's version with the same id and file name, is another key."""
    path = models_folder() / version.artifact
    try:
        stat = path.stat()
    except OSError:
        return (str(path), None, None)
    return (str(path), stat.st_mtime_ns, stat.st_size)


def _load(key: tuple) -> TrainedModel:
    """The model in the artifact `key`, read once per file."""
    model = _loaded.get(key)
    if model is None:
        if key[1] is None:
            raise FileNotFoundError(key[0])
        model = joblib.load(key[0])
        if not isinstance(model, TrainedModel) or list(model.features) != FEATURES:
            raise ValueError("incompatible model artifact")
        while len(_loaded) >= KEEP_LOADED:
            _loaded.pop(next(iter(_loaded)))  # the oldest
        _loaded[key] = model
    return model


def active_model() -> TrainedModel | None:
    """The active model; if its artifact is missing, corrupt or incompatible, the newest earlier
    version that loads (with a logged warning); None when there is none: rule score."""
    versions = db.session.scalars(
        select(ModelVersion).order_by(ModelVersion.active.desc(), ModelVersion.id.desc())
    ).all()
    import time

    for version in versions:
        key = _artifact_key(version)
        if time.monotonic() - _failed.get(key, -RETRY_FAILED_AFTER) < RETRY_FAILED_AFTER:
            continue
        try:
            return _load(key)
        except Exception as error:  # a broken file must not take the site down
            _failed[key] = time.monotonic()
            log.warning("Model version %s cannot be used (%s); falling back", version.id, error)
    return None


# --- rankers ---------------------------------------------------------------------------------


class Ranker:
    """Scores candidate place ids for one student; used as `ranker` by services.search. Scores are
    computed for every candidate (they order the list); explanations only for the page shown."""

    def __init__(self, profile: StudentProfile):
        self.profile = profile
        self.student = student_data(profile)
        self.model = active_model()
        self.is_model = self.model is not None
        self._rows: dict[int, tuple[PlaceData, np.ndarray, float]] = {}

    def __call__(self, placement_ids: list[int]) -> dict[int, tuple[float, str]]:
        """Scores of the places the eligibility rules allow for this student (others left out)."""
        from stagematch.matching.eligibility import reasons
        from stagematch.timeutil import today

        on = today()
        places = [
            p for p in places_by_id(placement_ids).values() if not reasons(self.student, p, on=on)
        ]
        if not places:
            return {}
        self.context = self.model.context if self.model else fit_context(places)
        X = build_features([(self.student, p) for p in places], self.context)
        scores = self.model.predict(X) if self.model else rule_score(X)
        rule = self.model is None
        result = {}
        for p, x, score in zip(places, X, scores.tolist(), strict=True):
            self._rows[p.id] = (p, x, score)
            result[p.id] = (score, match_label(score, rule=rule))
        return result

    def explain_page(
        self, placement_ids: list[int]
    ) -> dict[int, tuple[float, str, float, list[str]]]:
        rows = [self._rows[i] for i in placement_ids if i in self._rows]
        if not rows:
            return {}
        X = np.vstack([x for _, x, _ in rows])
        contrib = contributions(self.model, X)
        col = FEATURES.index("sqi")
        return {
            place.id: (
                score,
                match_label(score, rule=self.model is None),
                float(x[col]),
                [text for _, _, text in explain(self.model, self.student, place, x, contrib[i])],
            )  # fmt: skip
            for i, (place, x, score) in enumerate(rows)
        }


def students_by_id(profile_ids) -> list[StudentData]:
    """StudentData of these profiles (as student_data), in the order given; unknown ids skipped."""
    ids = list(dict.fromkeys(profile_ids))
    found: dict[int, StudentData] = {}
    S = StudentProfile  # noqa: N806
    for start in range(0, len(ids), CHUNK):
        rows = db.session.execute(
            select(S.id, S.leerweg, S.level, Qualification.crebo, Qualification.dossier_crebo, S.lat, S.lon,
                   S.max_travel_km, S.available_from, S.skills, S.interests, S.bbl_days, S.birth_date)
            .join(Qualification, Qualification.id == S.qualification_id)
            .where(S.id.in_(ids[start : start + CHUNK]))
        )  # fmt: skip
        for r in rows:
            found[r.id] = StudentData(
                id=r.id, leerweg=r.leerweg, level=r.level, crebo=r.crebo, dossier=r.dossier_crebo,
                lat=r.lat, lon=r.lon, max_travel_km=r.max_travel_km, available_from=r.available_from,
                skills=tuple(t.strip() for t in r.skills.split(",") if t.strip()),
                interests=tuple(t.strip() for t in r.interests.split(",") if t.strip()),
                bbl_days=r.bbl_days, birth_date=r.birth_date,
            )  # fmt: skip
    return [found[i] for i in ids if i in found]


def rank_students(
    profile_ids,
    *,
    top: int | None = 10,
    placement_ids=None,
    on=None,
    chunk: int = 200_000,
) -> dict[int, list[tuple[int, float]]]:
    """Batch ranking: per student, the places the hard rules allow (`failed_rules`, vectorised
    in `candidate_pairs`) with the active model's score (or the rule's), best first (ties by
    place id), at most `top` (None: all). Candidates are every open place, or `placement_ids`.
    Place data is loaded once for all students; the per-place parts of the features are computed
    once; scores come from large batches. Scores equal what `Ranker` gives for the same pair
    (with a model; the rule fits its context on the places it sees, so its pay ratio and TF-IDF
    depend on the candidate set)."""
    from stagematch.matching.eligibility import candidate_pairs
    from stagematch.matching.features import pair_features, place_block, student_block
    from stagematch.timeutil import today

    students = students_by_id(profile_ids)
    result: dict[int, list[tuple[int, float]]] = {s.id: [] for s in students}
    if placement_ids is None:
        places = load_places(on=on)
    else:
        places = list(places_by_id(placement_ids).values())
    if not students or not places:
        return result
    si, pj = candidate_pairs(students, places, on=on or today())
    if not len(si):
        return result
    model = active_model()
    context = model.context if model else fit_context(places)
    used = np.unique(pj)  # features only for places that are someone's candidate
    block = place_block([places[j] for j in used], context)
    pj = np.searchsorted(used, pj)
    sblock = student_block(students, block, context)
    scores = np.empty(len(si))
    for start in range(0, len(si), chunk):  # bounded memory
        X = pair_features(sblock, block, si[start : start + chunk], pj[start : start + chunk])
        scores[start : start + chunk] = model.predict(X) if model else rule_score(X)
    # Best first per student: sort by (student, -score, place id).
    order = np.lexsort((block.ids[pj], -scores, si))
    si, place_ids, scores = si[order], block.ids[pj][order], scores[order]
    bounds = np.flatnonzero(np.diff(si)) + 1
    for rows in np.split(np.arange(len(si)), bounds):
        student = students[si[rows[0]]]
        keep = rows if top is None else rows[:top]
        result[student.id] = list(zip(place_ids[keep].tolist(), scores[keep].tolist(), strict=True))
    return result


def make_ranker(profile: StudentProfile | None):
    if profile is None or profile.lat is None:
        return None
    return Ranker(profile)


def profile_filters(profile: StudentProfile) -> SearchFilters:
    town = geo.find_town(profile.city) if profile.city else None
    return SearchFilters(
        leerweg=profile.leerweg, qualification=profile.qualification, town=town,
        radius_km=profile.max_travel_km if town else None, sort="relevance", student=profile,
    )  # fmt: skip


def recommendations(profile: StudentProfile, *, limit: int = 5, page: int = 1) -> SearchPage:
    filters = profile_filters(profile)
    filters.page = page
    ranker = make_ranker(profile)
    return with_reasons(search(filters, per_page=limit, ranker=ranker), ranker)


def with_reasons(result: SearchPage, ranker) -> SearchPage:
    """Fill score, label, SQI and reasons of the hits on the page (explanations cost a little, so
    they are made for the page only)."""
    if ranker is not None:
        details = ranker.explain_page([hit.placement.id for hit in result.hits])
        for hit in result.hits:
            if hit.placement.id in details:
                hit.score, hit.label, hit.sqi, hit.reasons = details[hit.placement.id]
    return result


def train_and_register(progress=None) -> tuple[ModelVersion, TrainedModel]:
    from stagematch.matching.model import train

    examples = training_examples()
    model = train(examples, progress=progress)
    return save_model(model), model


def suggested_students(placement: Placement, *, limit: int = 10) -> list[dict]:
    """Students who opted in to be found, that the hard rules allow for this place, ranked the
    same way as a student's own list. Returned without identity: the company sees who they are
    only after the student applies and the company shortlists."""
    from stagematch.matching.eligibility import reasons
    from stagematch.models import Application

    qualification_ids = select(Qualification.id).where(
        Qualification.dossier_crebo.in_({q.dossier_crebo for q in placement.qualifications})
    )
    from stagematch.services.capacity import students_with_running_internship

    running = students_with_running_internship()
    applied = select(Application.student_id).where(Application.placement_id == placement.id)
    profiles = db.session.scalars(
        select(StudentProfile).where(
            StudentProfile.discoverable.is_(True), StudentProfile.leerweg == placement.leerweg,
            StudentProfile.qualification_id.in_(qualification_ids), StudentProfile.lat.is_not(None),
            StudentProfile.id.not_in(running), StudentProfile.id.not_in(applied),
        ).limit(2000)
    ).all()  # fmt: skip
    [place] = place_data([placement])
    from stagematch.timeutil import today

    pairs = [(student_data(p), place) for p in profiles]
    pairs = [(s, pl) for s, pl in pairs if not reasons(s, pl, on=today())]
    if not pairs:
        return []
    model = active_model()
    context = model.context if model else fit_context([place])
    X = build_features(pairs, context)
    scores = model.predict(X) if model else rule_score(X)
    contrib = contributions(model, X)
    order = sorted(range(len(pairs)), key=lambda i: -scores[i])[:limit]
    col = FEATURES.index("distance_km")
    return [
        {
            "profile_id": pairs[i][0].id,
            "score": float(scores[i]),
            "label": match_label(float(scores[i])),
            "distance_km": float(X[i, col]),
            "skills": list(pairs[i][0].skills),
            "reasons": [t for _, _, t in explain(model, pairs[i][0], place, X[i], contrib[i])],
        }  # fmt: skip
        for i in order
    ]
