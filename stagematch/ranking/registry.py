"""The model registry: versions in the database (`ModelVersion`), artifacts (joblib) in
instance/models, and which version is active.

A version becomes active only when it passed the gate (`ranking.gate`, stored with its metrics);
`activate` refuses any other with a DomainError. With no active version the transparent rule
ranks (cold start).

Instances share nothing in memory that could disagree: the active version is read from the
database; a loaded artifact is cached per file (path, time, size), never across a changed file."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import joblib
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from stagematch.extensions import db
from stagematch.matching.features import FEATURES
from stagematch.matching.model import TrainedModel
from stagematch.models import ModelVersion
from stagematch.ranking.gate import failed_checks, gate_of
from stagematch.services import DomainError
from stagematch.templating import format_number

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
    db.session.commit()
    return version


def gate(version: ModelVersion) -> dict | None:
    """The version's gate outcome (None: never gated, e.g. trained before the gate existed)."""
    try:
        return gate_of(json.loads(version.metrics))
    except (TypeError, ValueError):
        return None


def refusal(version: ModelVersion) -> str | None:
    """Why `version` may not become active, in plain Dutch; None when it passed the gate."""
    outcome = gate(version)
    if outcome is None:
        return _(
            "Versie %(id)s is nooit door de toets gegaan en kan niet actief worden.", id=version.id
        )
    if outcome.get("passed"):
        return None
    reasons = [_reason(check) for check in failed_checks(outcome)]
    return _(
        "Versie %(id)s is niet door de toets gekomen en kan niet actief worden: %(reasons)s.",
        id=version.id, reasons="; ".join(reasons) or _("geen vergelijking met de baselines"),
    )  # fmt: skip


def _reason(check: dict) -> str:
    if check["check"] == "baseline":
        baseline = check["name"]  # a msgid of `matching.evaluation`
        return _(
            "niet zeker beter dan %(baseline)s (verschil %(diff)s, ondergrens %(lo)s)",
            baseline=_(baseline), diff=f"{check['diff']:+.3f}", lo=f"{check['diff_lo']:+.3f}",
        )  # fmt: skip
    if check["check"] == "metamorphic":
        return _(
            "structuurtest %(check)s faalt in %(failures)s van %(cases)s gevallen",
            check=check["name"], failures=check["failures"], cases=check["cases"],
        )  # fmt: skip
    labels = {"level": _("niveau"), "leerweg": _("leerweg"), "school": _("school")}
    return _(
        "%(group)s %(value)s: %(diff)s slechter dan de regel (%(n)s studenten)",
        group=labels.get(check["group"], check["group"]), value=check["value"],
        diff=format_number(-check["diff"], 3, fixed=True), n=check["n"],
    )  # fmt: skip


def activate(version: ModelVersion) -> None:
    """Make `version` the active one; a version that did not pass the gate is refused."""
    reason = refusal(version)
    if reason is not None:
        raise DomainError(reason)
    # The others off in SQL; this one on (also when it was on already: the ORM would not write an
    # unchanged True after the bulk update switched it off).
    db.session.execute(
        ModelVersion.__table__.update().where(ModelVersion.id != version.id).values(active=False)
    )
    version.active = True
    from stagematch.services.stored_suggestions import mark_for_refresh

    mark_for_refresh(all_stale=True)  # the stored lists of the other version: recomputed
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


def load_version(version: ModelVersion) -> TrainedModel:
    """The model of `version` (raises when its artifact is missing or does not fit)."""
    model = _load(_artifact_key(version))
    model.version_id = version.id
    return model


def _active_version(*columns):
    return (
        select(*columns)
        .where(ModelVersion.active.is_(True))
        .order_by(ModelVersion.id.desc())
        .limit(1)
    )


def active_version_columns() -> list:
    """SQL: the active version's id and artifact as two scalar subqueries (labelled
    `active_version_id`, `active_version_artifact`), so a statement a page sends anyway reads
    them too; its row then goes to `active_model(active=...)`. Read in the request's own
    statement, never cached: another version activated is seen by the next request."""
    return [
        _active_version(ModelVersion.id).scalar_subquery().label("active_version_id"),
        _active_version(ModelVersion.artifact).scalar_subquery().label("active_version_artifact"),
    ]


_READ = object()


def active_model(active=_READ) -> TrainedModel | None:
    """The active model; if its artifact is missing, corrupt or incompatible, the newest earlier
    version that passed the gate and loads (with a logged warning); None when no version is
    active or none loads: the transparent rule ranks. `active`: the active version (anything with
    `id` and `artifact`, None for none) as the caller read it in its own statement
    (`active_version_columns`); by default it is read here."""
    if active is _READ:
        active = db.session.execute(_active_version(ModelVersion.id, ModelVersion.artifact)).first()
    if active is None:
        return None

    def candidates():
        yield active
        earlier = select(ModelVersion).where(ModelVersion.id < active.id)
        for version in db.session.scalars(earlier.order_by(ModelVersion.id.desc())).all():
            if refusal(version) is None:
                yield version

    for version in candidates():  # the earlier ones only read when the active one fails
        key = _artifact_key(version)
        if time.monotonic() - _failed.get(key, -RETRY_FAILED_AFTER) < RETRY_FAILED_AFTER:
            continue
        try:
            model = _load(key)
        except Exception as error:  # a broken file must not take the site down
            _failed[key] = time.monotonic()
            log.warning("Model version %s cannot be used (%s); falling back", version.id, error)
            continue
        model.version_id = version.id  # what the interaction log records with a list shown
        return model
    return None
