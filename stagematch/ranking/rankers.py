"""The rankers the site uses: one student's list (`Ranker`, for search, the home page and the API),
every student at once (`rank_students`, for allocation rounds), recommendations with reasons, and
the students suggested to a company for a place. Scores come from the active model version, or
from the transparent rule when there is none."""

from __future__ import annotations

import dataclasses

import numpy as np
from sqlalchemy import select

from stagematch import geo
from stagematch.extensions import db
from stagematch.matching.data import PlaceData
from stagematch.matching.features import FEATURES, build_features, fit_context
from stagematch.matching.model import contributions, explain, match_label, rule_score
from stagematch.models import Placement, Qualification, StudentProfile
from stagematch.ranking.data import (
    Interest,
    load_places,
    place_data,
    places_by_id,
    places_with_interest,
    student_data,
    students_by_id,
)
from stagematch.ranking.registry import active_model
from stagematch.services.search import SearchFilters, SearchPage, search

ACTIVE = object()  # `rank_students(model=ACTIVE)`: the active model version (or the rule)
_UNREAD = object()


class Ranker:
    """Scores candidate place ids for one student; used as `ranker` by services.search. Scores are
    computed for every candidate (they order the list); explanations only for the page shown."""

    def __init__(self, profile: StudentProfile):
        self.profile = profile
        # What they showed in places (`viewed`, `saved`) is read with the places scored.
        self.student = student_data(profile)
        self._model = _UNREAD
        self._version_id = _UNREAD
        self._rows: dict[int, tuple[PlaceData, np.ndarray, float]] = {}
        self._interest_read: set[int] = set()  # the places whose interest `student` holds

    # The active model is read when first needed, or taken from a statement that read it anyway
    # (`use_active`: the stored list's).
    @property
    def model(self):
        if self._model is _UNREAD:
            self._model = active_model()
        return self._model

    @property
    def is_model(self) -> bool:
        return self.model is not None

    @property
    def version_id(self) -> int | None:
        if self._version_id is _UNREAD:
            self._version_id = getattr(self.model, "version_id", None)
        return self._version_id

    @version_id.setter
    def version_id(self, value: int | None) -> None:
        self._version_id = value

    def use_active(self, active) -> None:
        """The active version (`id`, `artifact`; None: none) as the caller's statement read it
        (`registry.active_version_columns`), instead of reading it again."""
        if self._model is _UNREAD:
            self._model = active_model(active=active)

    def saved_among(self, placement_ids) -> set[int] | None:
        """Which of these places the student saved, as read with the places scored; None when
        some of them were not scored (then ask `services.favourites.saved_ids`)."""
        ids = set(placement_ids)
        if not ids <= self._interest_read:
            return None
        return ids & self.student.saved

    def __call__(self, placement_ids: list[int]) -> dict[int, tuple[float, str]]:
        """Scores of the places the eligibility rules allow for this student (others left out)."""
        from stagematch.matching.eligibility import reasons
        from stagematch.timeutil import today

        on = today()
        found, shown = places_with_interest(placement_ids, self.profile.id)
        self.student = _with_interest(self.student, set(found), shown)
        self._interest_read |= set(found)
        places = [p for p in found.values() if not reasons(self.student, p, on=on)]
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


def _with_interest(student, place_ids: set[int], shown: Interest):
    """`student` with `shown` as their interest in `place_ids` (read with those places), the
    interest in other places kept."""
    return dataclasses.replace(
        student,
        viewed=(student.viewed - place_ids) | shown.viewed,
        revisits=frozenset(r for r in student.revisits if r[0] not in place_ids) | shown.revisits,
        saved=(student.saved - place_ids) | shown.saved,
    )


def rank_students(
    profile_ids,
    *,
    top: int | None = 10,
    placement_ids=None,
    on=None,
    chunk: int = 200_000,
    model=ACTIVE,
    views: bool = True,
    places=None,
) -> dict[int, list[tuple[int, float]]]:
    """Batch ranking: per student, the places the hard rules allow (`failed_rules`, vectorised
    in `candidate_pairs`) with the active model's score (or the rule's), best first (ties by
    place id), at most `top` (None: all). Candidates are every open place, or `placement_ids`.
    Place data is loaded once for all students; the per-place parts of the features are computed
    once; scores come from large batches. Scores equal what `Ranker` gives for the same pair
    (with a model; the rule fits its context on the places it sees, so its pay ratio and TF-IDF
    depend on the candidate set). `model`: a `TrainedModel` or None (the rule) instead of the
    active one (the review before activating compares two). `views`: with the places each student
    opened lately, as their own lists have them; False where others decide (allocation).
    `places`: the candidates' PlaceData, loaded once by a caller that ranks in chunks."""
    from stagematch.matching.eligibility import candidate_pairs
    from stagematch.matching.features import pair_features, place_block, student_block
    from stagematch.timeutil import today

    students = students_by_id(profile_ids, views=views)
    result: dict[int, list[tuple[int, float]]] = {s.id: [] for s in students}
    if places is not None:
        pass
    elif placement_ids is None:
        places = load_places(on=on)
    else:
        places = list(places_by_id(placement_ids).values())
    if not students or not places:
        return result
    si, pj = candidate_pairs(students, places, on=on or today())
    if not len(si):
        return result
    if model is ACTIVE:
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


def recommendations(
    profile: StudentProfile, *, limit: int = 5, page: int = 1, order: str = "model"
) -> SearchPage:
    """The student's places, by the model (`order` "model") or without it ("distance", "start":
    the same places; no ranker is made, so the model is not asked)."""
    from stagematch.services.list_order import MODEL, SEARCH_SORT

    filters = profile_filters(profile)
    filters.page = page
    filters.sort = SEARCH_SORT.get(order, "relevance")
    ranker = make_ranker(profile) if order == MODEL else None
    result = ranked_search(filters, per_page=limit, ranker=ranker)
    result.ranker = ranker  # for `log_shown`
    return result


def ranked_search(
    filters: SearchFilters, *, per_page: int = 20, ranker=None, nationwide: bool = False
) -> SearchPage:
    """`search` with reasons for the page; the student's own list (their profile's filters, by
    relevance) comes from their stored suggestions when those are fresh (issue 20).
    `nationwide` as in `search`."""
    from stagematch.services import stored_suggestions

    profile = getattr(ranker, "profile", None)
    if profile is not None and stored_suggestions.covers(filters, profile):
        stored = stored_suggestions.page(
            profile, filters, per_page=per_page, ranker=ranker, nationwide=nationwide
        )
        if stored is not None:
            return stored
    return with_reasons(
        search(filters, per_page=per_page, ranker=ranker, nationwide=nationwide), ranker
    )


def with_reasons(result: SearchPage, ranker) -> SearchPage:
    """Fill score, label, SQI and reasons of the hits on the page (explanations cost a little, so
    they are made for the page only)."""
    if ranker is not None:
        details = ranker.explain_page([hit.placement.id for hit in result.hits])
        for hit in result.hits:
            if hit.placement.id in details:
                hit.score, hit.label, hit.sqi, hit.reasons = details[hit.placement.id]
    return result


def log_shown(
    result: SearchPage | None, ranker=None, *, source: str, who: int | None = None
) -> None:
    """Log a ranked list served (one row: who asked, the candidates in order with their scores,
    the page shown, the model version; `services.interactions`). Lists in another order are not
    logged. Without `ranker`, the one `recommendations` used."""
    from stagematch.services.interactions import log_list

    ranker = ranker or getattr(result, "ranker", None)
    if result is None or ranker is None or result.ranked_by not in ("model", "rule"):
        return
    hits = result.hits
    if not hits:
        return
    log_list(student_id=ranker.profile.id, place_ids=[h.placement.id for h in hits],
             scores=[h.score for h in hits], source=source, page=result.page,
             model_version_id=ranker.version_id, who=who,
             candidates=getattr(result, "ranked", None) or None,
             offset=(result.page - 1) * result.per_page)  # fmt: skip


class SuggestedStudents(list):
    """The suggested students shown (dicts, best first) and, for the ranking log, every ranked
    candidate as (profile id, score) and the model version that ranked them."""

    ranked: list[tuple[int, float]]
    version_id: int | None = None


def log_suggested(suggestions, placement: Placement, *, who: int | None) -> None:
    """Log the students suggested to a company for a place (one row, `of="students"`)."""
    from stagematch.services.interactions import log_list

    if not suggestions or not hasattr(suggestions, "ranked"):
        return
    log_list(student_id=None, place_id=placement.id, of="students", source="suggested",
             place_ids=[s["profile_id"] for s in suggestions], scores=[s["score"] for s in suggestions],
             candidates=suggestions.ranked, model_version_id=suggestions.version_id, who=who)  # fmt: skip


def suggested_students(placement: Placement, *, limit: int = 10) -> SuggestedStudents:
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
    ranking = sorted(range(len(pairs)), key=lambda i: -scores[i])
    order = ranking[:limit]
    col = FEATURES.index("distance_km")
    result = SuggestedStudents(
        {
            "profile_id": pairs[i][0].id,
            "score": float(scores[i]),
            "label": match_label(float(scores[i])),
            "distance_km": float(X[i, col]),
            "skills": list(pairs[i][0].skills),
            "reasons": [t for _, _, t in explain(model, pairs[i][0], place, X[i], contrib[i])],
        }  # fmt: skip
        for i in order
    )
    result.ranked = [(pairs[i][0].id, float(scores[i])) for i in ranking]
    result.version_id = getattr(model, "version_id", None)
    return result
