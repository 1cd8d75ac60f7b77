"""Glue between the site and `stagematch.matching`, in parts that can be read alone:

- `data`: plain data from the database (students, places with their meester's facts, seats and
  capacity as counted now), and the history as it stood on an earlier day;
- `registry`: model versions in the database, artifacts in instance/models, the active model;
- `rankers`: one student's list, every student at once, recommendations, suggested students;
- `training`: point-in-time training sessions, training and registering a version.

Every name other modules import from `stagematch.ranking` is re-exported here."""

from stagematch.ranking.data import (
    CHUNK,
    History,
    company_completion,
    history,
    load_places,
    meester_facts,
    meester_sqis,
    place_data,
    placement_sqi,
    places_by_id,
    school_host_sqis,
    student_data,
    students_by_id,
)
from stagematch.ranking.rankers import (
    Ranker,
    log_shown,
    log_suggested,
    make_ranker,
    profile_filters,
    rank_students,
    ranked_search,
    recommendations,
    suggested_students,
    with_reasons,
)
from stagematch.ranking.registry import (
    KEEP_LOADED,
    RETRY_FAILED_AFTER,
    activate,
    active_model,
    models_folder,
    refusal,
    save_model,
)
from stagematch.ranking.training import train_and_register, training_examples

__all__ = [
    "CHUNK", "History", "KEEP_LOADED", "RETRY_FAILED_AFTER", "Ranker", "activate", "active_model",
    "company_completion", "history", "load_places", "log_shown", "log_suggested", "make_ranker", "meester_facts", "meester_sqis",
    "models_folder", "place_data", "placement_sqi", "places_by_id", "profile_filters", "refusal",
    "rank_students", "ranked_search", "recommendations", "save_model", "school_host_sqis", "student_data",
    "students_by_id", "suggested_students", "train_and_register", "training_examples",
    "with_reasons",
]  # fmt: skip
