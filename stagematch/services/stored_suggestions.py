"""Stored suggestions (issue 20, item 1): every student's ranked places, computed by the batch
ranker (`ranking.rank_students`) and stored one row per student, so the home page, the API's
matches and the student's own search read a list instead of ranking every candidate per request.

Fresh or not used. A stored list is read only while nothing that can reorder it has changed:
- the student's profile or the places they saved (the row is marked stale), a place page they
  opened (the interaction log has a view after the list was computed);
- their market: a place of their dossier and leerweg published, edited or closed, or the load or
  capacity of a meester with such a place (`SuggestionEpoch`, bumped in the same transaction);
- the active model version, and the list is at most `MAX_AGE` old (the night's refresh).
Otherwise the page ranks live, as before, and the refresh job recomputes the list. What changes
continuously without a trigger — applications per free seat and answer rates — is as fresh as
the night's refresh. Reading a fresh list, the hard rules are checked again in SQL for its places
(`search.still_found`: open, room, eligibility, radius), so a place that closed or filled up is
never shown; taking places out of a ranked list leaves the others in their order.

Changes are seen by ORM events on the session (one home for every writing path): profile and
saved-place changes, places, internships (a meester's load) and mentors. After the commit a job
refreshes what went stale (when SUGGESTIONS_REFRESH is on: the site and the worker; the test
suite turns it on where it tests it). Every night the worker refreshes every list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import (
    and_,
    bindparam,
    delete,
    event,
    exists,
    insert,
    inspect,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from stagematch.extensions import db
from stagematch.models import (
    Interaction,
    InteractionKind,
    Internship,
    Mentor,
    Placement,
    Qualification,
    SavedPlace,
    StoredSuggestions,
    StudentProfile,
    SuggestionEpoch,
)
from stagematch.timeutil import utcnow

STORE = 50  # places kept per student: the home page, the API's first pages, the search's first
MAX_AGE = timedelta(hours=26)  # a list older than this (no night's refresh ran) is not used
FEW = 50  # up to this many students, a refresh loads only the places their searches can find
CHUNK = 20_000  # students ranked and written per batch
# Profile fields that can change a student's list (features and rules).
PROFILE_FIELDS = (
    "qualification_id", "leerweg", "level", "city", "lat", "lon", "max_travel_km",
    "available_from", "skills", "interests", "bbl_days", "birth_date", "school_id",
)  # fmt: skip
INTERNSHIP_FIELDS = ("status", "start_date", "end_date", "meester_id", "gezel_id", "placement_id")


# --- reading ---------------------------------------------------------------------------------


@dataclass
class Stored:
    place_ids: list[int]
    scores: list[float]
    candidates: int


def _viewed_since():
    """SQL: the student opened a place page after their list was computed (`viewed` changed)."""
    s = StoredSuggestions
    return exists().where(
        Interaction.student_id == s.student_id, Interaction.kind == InteractionKind.PLACE_VIEW,
        Interaction.at >= s.computed_at,
    )  # fmt: skip


def _not_fresh(version_id: int | None, now: datetime):
    """SQL, over `StoredSuggestions` outer-joined with its `SuggestionEpoch`: the list may not be
    used (see the module's docstring). The one form of the rule: reading a list and finding the
    lists to recompute both ask it (`page` asks the version part in Python, `_version_differs`,
    as it reads the active version in the same statement)."""
    s = StoredSuggestions
    version_differs = (
        s.model_version_id.is_not(None)
        if version_id is None
        else or_(s.model_version_id.is_(None), s.model_version_id != version_id)
    )
    return or_(_not_fresh_but_version(now), version_differs)


def _not_fresh_but_version(now: datetime):
    s, e = StoredSuggestions, SuggestionEpoch
    return or_(
        s.stale, _viewed_since(), s.computed_at < now - MAX_AGE, e.changed_at >= s.computed_at,
    )  # fmt: skip


def _version_differs(stored_version_id: int | None, version_id: int | None) -> bool:
    """The Python form of `_not_fresh`'s version part: computed by another version (or by the
    rule while a model ranks, or the other way round)."""
    return stored_version_id != version_id


def _with_epoch(statement):
    s, e = StoredSuggestions, SuggestionEpoch
    return statement.outerjoin(e, and_(e.dossier_crebo == s.dossier_crebo, e.leerweg == s.leerweg))


def fresh(profile: StudentProfile, version_id: int | None, *, now: datetime | None = None):
    """The student's stored list if it is fresh (see the module's docstring), else None. One
    statement."""
    s = StoredSuggestions
    row = db.session.execute(
        _with_epoch(select(s.place_ids, s.scores, s.candidates,
                           _not_fresh(version_id, now or utcnow()).label("not_fresh")))
        .where(s.student_id == profile.id)
    ).first()  # fmt: skip
    if row is None or row.not_fresh:  # NULL (no epoch yet, nothing else): fresh
        return None
    return Stored(list(row.place_ids), list(row.scores), row.candidates)


def _fresh_for(profile: StudentProfile, ranker) -> Stored | None:
    """`fresh` for the ranker's version, with the active model version read in the same
    statement (the ranker takes it from there instead of reading it again)."""
    from stagematch.ranking.registry import active_version_columns

    s = StoredSuggestions
    row = db.session.execute(
        _with_epoch(select(s.place_ids, s.scores, s.candidates, s.model_version_id,
                           _not_fresh_but_version(utcnow()).label("not_fresh"),
                           *active_version_columns()))
        .where(s.student_id == profile.id)
    ).first()  # fmt: skip
    if row is None:
        return None
    active = None
    if row.active_version_id is not None:
        active = _Version(row.active_version_id, row.active_version_artifact)
    ranker.use_active(active)
    # NULL (no epoch yet, nothing else): fresh
    if row.not_fresh or _version_differs(row.model_version_id, ranker.version_id):
        return None
    return Stored(list(row.place_ids), list(row.scores), row.candidates)


@dataclass(frozen=True)
class _Version:
    id: int
    artifact: str


def page(profile: StudentProfile, filters, *, per_page: int, ranker, nationwide: bool = False):
    """The page `filters.page` of the student's stored list as a `search.SearchPage` (reasons
    filled for the page), or None when there is no fresh list or the page lies beyond what is
    stored: then the caller ranks live. `ranker`: a `ranking.Ranker` for this student (its
    model is the active one; it explains the page)."""
    from stagematch import geo
    from stagematch.services import search as search_service

    stored = _fresh_for(profile, ranker)
    if stored is None:
        mark_for_refresh([profile.id])
        return None
    cards = search_service.still_found(filters, stored.place_ids)
    kept = [(i, s) for i, s in zip(stored.place_ids, stored.scores, strict=True) if i in cards]
    beyond = max(0, stored.candidates - len(stored.place_ids))  # ranked but not stored
    total = len(kept) + beyond
    wanted, _pages = search_service._page_of(total, per_page, filters.page)
    start, stop = (wanted - 1) * per_page, wanted * per_page
    if stop > len(kept) and beyond:
        return None  # the page needs places that were not stored
    window = kept[start:stop]
    town = filters.town
    hits = [
        search_service.Hit(
            cards[i],
            None
            if town is None
            else geo.distance_km(town.lat, town.lon, cards[i].lat, cards[i].lon),
        )  # fmt: skip
        for i, _ in window
        if i in cards
    ]
    tight = search_service.tightness.for_cards([h.placement for h in hits])
    # Scores and labels as stored (they made the order); reasons from the page's own features.
    ranker([h.placement.id for h in hits])
    details = ranker.explain_page([h.placement.id for h in hits])
    scores = dict(window)
    from stagematch.matching.model import match_label

    for hit in hits:
        hit.tightness = tight.get(hit.placement.id)
        hit.score = scores[hit.placement.id]
        hit.label = match_label(hit.score, rule=not ranker.is_model)
        if hit.placement.id in details:
            _score, _label, hit.sqi, hit.reasons = details[hit.placement.id]
    # Nothing to rank: an empty list, ordered as without a ranker (as `search` says it).
    ranked_by = (
        ("model" if ranker.is_model else "rule")
        if total
        else ("distance" if town is not None else "start")
    )
    result = search_service.SearchPage(hits, total, wanted, per_page, ranked_by)
    result.ranked = kept
    result.stored = True
    search_service.add_nationwide(result, filters, nationwide)
    return result


def covers(filters, profile: StudentProfile) -> bool:
    """Whether a search is the student's own list: the filters their profile gives, ordered by
    relevance (the search page starts from it; any other filter is searched live)."""
    from stagematch.ranking import profile_filters

    own = profile_filters(profile)
    q = filters.qualification
    return (
        filters.sort == "relevance"
        and not (filters.q or "").strip()
        and filters.leerweg == own.leerweg
        and q is not None and q.id == own.qualification.id
        and (filters.town.name if filters.town else None) == (own.town.name if own.town else None)
        and (filters.radius_km or None) == (own.radius_km or None)
        and not any((filters.level, filters.sector, filters.min_pay, filters.start_from,
                     filters.start_to, filters.bbl_days, filters.anywhere, filters.kansrijk,
                     filters.for_switchers))
    )  # fmt: skip


# --- writing ---------------------------------------------------------------------------------


def _lists(profile_ids: list[int], *, places, model, on) -> int:
    from stagematch.ranking import rank_students

    started = utcnow()  # changes while ranking are after it: their lists count as stale
    ranked = rank_students(profile_ids, top=None, places=places, on=on, model=model)
    keys = dict(
        db.session.execute(
            select(StudentProfile.id, Qualification.dossier_crebo + "|" + StudentProfile.leerweg)
            .join(Qualification, Qualification.id == StudentProfile.qualification_id)
            .where(StudentProfile.id.in_(list(ranked)))
        ).all()
    )
    version_id = getattr(model, "version_id", None)
    rows = []
    for student_id, items in ranked.items():
        if student_id not in keys:
            continue
        dossier, leerweg = keys[student_id].split("|")
        head = items[:STORE]
        rows.append({
            "student_id": student_id, "place_ids": [i for i, _ in head],
            "scores": [round(float(s), 6) for _, s in head], "candidates": len(items),
            "dossier_crebo": dossier, "leerweg": leerweg, "model_version_id": version_id,
            "computed_at": started, "stale": False,
        })  # fmt: skip
    db.session.execute(
        delete(StoredSuggestions).where(StoredSuggestions.student_id.in_(list(ranked)))
    )
    if rows:
        db.session.execute(insert(StoredSuggestions), rows)
    db.session.commit()
    return len(rows)


def refresh(profile_ids=None, *, progress=None) -> int:
    """Rank and store the lists of these students (all with a location when None), in chunks;
    the open places are loaded once. Returns how many lists were stored."""
    from stagematch.ranking import active_model, load_places
    from stagematch.timeutil import today

    if profile_ids is None:
        profile_ids = db.session.scalars(
            select(StudentProfile.id).where(StudentProfile.lat.is_not(None))
            .order_by(StudentProfile.id)
        ).all()  # fmt: skip
    profile_ids = list(dict.fromkeys(profile_ids))
    if not profile_ids:
        return 0
    on = today()
    model = active_model()
    places = _places_for(profile_ids) if len(profile_ids) <= FEW else load_places(on=on)
    stored = 0
    for start in range(0, len(profile_ids), CHUNK):
        stored += _lists(profile_ids[start : start + CHUNK], places=places, model=model, on=on)
        if progress is not None:
            progress(min(start + CHUNK, len(profile_ids)), len(profile_ids))
    return stored


def _places_for(profile_ids: list[int]) -> list:
    """The open places these students' own searches can find (their filters and the rules, as
    `search.eligible_statement` asks them; seats and room are the ranker's to check): all that
    ranking them needs. The job after one student's change loads these, not every open place
    (at 60,000 students every place view made the worker read 15,000 places)."""
    from stagematch.ranking import places_by_id, profile_filters
    from stagematch.services.search import eligible_statement

    ids: set[int] = set()
    for profile in db.session.scalars(
        select(StudentProfile).where(StudentProfile.id.in_(profile_ids))
    ):
        if profile.qualification is None:
            continue
        statement, values = eligible_statement(profile_filters(profile))
        ids.update(db.session.scalars(select(statement.subquery().c.id), values))
    return list(places_by_id(sorted(ids)).values())


def refresh_all(*, progress=None) -> int:
    """Every student's list (the night's job, and after a model version is activated)."""
    return refresh(None, progress=progress)


def stale_ids(version_id: int | None) -> list[int]:
    """Students whose stored list is no longer fresh (see `fresh`), in one statement."""
    not_fresh = _not_fresh(version_id, utcnow())
    return list(
        db.session.scalars(_with_epoch(select(StoredSuggestions.student_id)).where(not_fresh))
    )


def refresh_stale(student_ids=()) -> int:
    """Recompute the lists that went stale, and those of `student_ids` (changed or new
    profiles). Cheap when nothing is stale: one statement."""
    from stagematch.ranking import active_model

    model = active_model()
    ids = set(stale_ids(getattr(model, "version_id", None))) | set(student_ids)
    if not ids:
        return 0
    located = db.session.scalars(
        select(StudentProfile.id).where(StudentProfile.id.in_(ids), StudentProfile.lat.is_not(None))
    ).all()
    gone = ids - set(located)
    if gone:  # no location any more: no list
        db.session.execute(delete(StoredSuggestions).where(StoredSuggestions.student_id.in_(gone)))
        db.session.commit()
    return refresh(sorted(located))


# --- what makes a list stale: ORM events on every session --------------------------------------

_PENDING = "stored_suggestions"


def _pending(session: Session) -> dict:
    return session.info.setdefault(
        _PENDING, {"students": set(), "places": set(), "mentors": set(), "objects": []}
    )


def _changed(obj, fields) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in fields)


@event.listens_for(Session, "before_flush")
def _collect(session: Session, _context, _instances) -> None:
    pending = None
    for obj in (*session.new, *session.dirty, *session.deleted):
        kind = type(obj)
        if kind not in (StudentProfile, SavedPlace, Placement, Internship, Mentor):
            continue
        pending = pending or _pending(session)
        if kind is StudentProfile:  # a new profile has no list: its first page asks for one
            if obj in session.dirty and _changed(obj, PROFILE_FIELDS):
                pending["students"].add(obj.id)
        elif kind is SavedPlace:
            pending["students"].add(obj.student_id)
        elif kind is Placement:
            if obj in session.deleted or obj in session.new or session.is_modified(obj):
                pending["objects"].append(obj)
        elif kind is Internship:
            if obj in session.new or obj in session.deleted or _changed(obj, INTERNSHIP_FIELDS):
                for name in ("meester_id", "gezel_id"):
                    for value in inspect(obj).attrs[name].history.sum():
                        pending["mentors"].add(value)
        elif session.is_modified(obj):  # a mentor: capacity, hours, trained, their meester
            pending["mentors"].add(obj.id)


_EPOCH = """
INSERT INTO suggestion_epoch (dossier_crebo, leerweg, changed_at)
SELECT DISTINCT q.dossier_crebo, p.leerweg, :now
FROM placement p
JOIN placement_qualification pq ON pq.placement_id = p.id
JOIN qualification q ON q.id = pq.qualification_id
WHERE {where}
ON CONFLICT (dossier_crebo, leerweg) DO UPDATE SET changed_at = excluded.changed_at
"""


_BY_PLACE = text(_EPOCH.format(where="p.id IN :ids")).bindparams(bindparam("ids", expanding=True))
_BY_MENTOR = text(_EPOCH.format(where="(p.meester_id IN :ids OR p.gezel_id IN :ids)")).bindparams(
    bindparam("ids", expanding=True)
)


@event.listens_for(Session, "after_flush")
def _mark(session: Session, _context) -> None:
    pending = session.info.get(_PENDING)
    if not pending or not (pending["objects"] or pending["students"] or pending["mentors"]):
        return
    pending["places"].update(obj.id for obj in pending["objects"] if obj.id is not None)
    pending["objects"] = []
    connection = session.connection()
    now = utcnow()
    students = {i for i in pending["students"] if i is not None}
    if students:
        connection.execute(
            update(StoredSuggestions).where(StoredSuggestions.student_id.in_(students))
            .values(stale=True)
        )  # fmt: skip
    places = sorted(pending["places"])
    mentors = sorted(i for i in pending["mentors"] if i is not None)
    for ids, where in ((places, _BY_PLACE), (mentors, _BY_MENTOR)):
        for start in range(0, len(ids), 1000):
            connection.execute(where, {"now": now, "ids": ids[start : start + 1000]})
    refresh = session.info.setdefault("stored_suggestions_refresh", set())
    refresh.update(students)
    refresh.add(0)  # 0: also whatever the epochs made stale
    pending["students"], pending["places"], pending["mentors"] = set(), set(), set()


def mark_for_refresh(student_ids=(), *, all_stale: bool = False) -> None:
    """Ask for these students' lists to be recomputed after the current transaction commits
    (a place page they opened, a list read stale); `all_stale`: every list no longer fresh
    (another model version was activated)."""
    wanted = db.session.info.setdefault("stored_suggestions_refresh", set())
    wanted.update(student_ids)
    if all_stale:
        wanted.add(0)


def mark_stale(student_ids) -> None:
    """These students' lists are stale now (a change the session events do not see: a saved
    place removed with one DELETE); recomputed after the commit."""
    ids = [i for i in student_ids if i is not None]
    if ids:
        db.session.execute(
            update(StoredSuggestions)
            .where(StoredSuggestions.student_id.in_(ids))
            .values(stale=True)
        )
        mark_for_refresh(ids)


@event.listens_for(Session, "after_commit")
def _enqueue(session: Session) -> None:
    wanted = session.info.pop("stored_suggestions_refresh", None)
    session.info.pop(_PENDING, None)
    if not wanted or not has_app_context() or not current_app.config.get("SUGGESTIONS_REFRESH"):
        return
    from stagematch import jobs
    from stagematch.tasks import refresh_suggestions

    ids = sorted(i for i in wanted if i)
    if not jobs.huey.immediate:
        refresh_suggestions(ids)
        return
    # Tests run tasks at once; no SQL may run in this session now: a context of its own.
    with current_app.app_context():
        try:
            refresh_stale(ids)
        finally:
            db.session.remove()


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop("stored_suggestions_refresh", None)
    session.info.pop(_PENDING, None)
