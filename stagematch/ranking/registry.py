"""The model registry: versions in the database (`ModelVersion`), artifacts (joblib) in
instance/models, and which version is active.

Instances share nothing in memory that could disagree: the active version is read from the
database; a loaded artifact is cached per file (path, time, size), never across a changed file."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import joblib
from flask import current_app
from sqlalchemy import select

from stagematch.extensions import db
from stagematch.matching.features import FEATURES
from stagematch.matching.model import TrainedModel
from stagematch.models import ModelVersion

log = logging.getLogger(__name__)
_loaded: dict[tuple, TrainedModel] = {}  # (artifact path, mtime, size) -> model
KEEP_LOADED = 4
_failed: dict[tuple, float] = {}  # artifact key -> when loading failed; retried after a minute
RETRY_FAILED_AFTER = 60.0


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
