"""The gate a trained version must pass before it may become active (issue 16, part 6).

Computed once, at training time, on the newest 25 % of the students (the part the model was not
fitted on) and stored with the version as a metrics row of kind "gate":

- baselines: the model beats every baseline (distance, newest, SQI only, the rule): the lower end
  of the 95 % interval of the paired per-student NDCG@10 difference is above zero;
- metamorphic: the checks of `matching.metamorphic` on a sample of (student, place) pairs of those
  students: 0 failures;
- subgroups: in no group of students (level, leerweg, school) with at least MIN_GROUP judged
  students is the model's mean NDCG@10 below the rule's by more than MARGIN.

Until a version passes, the transparent rule ranks (`registry.active_model`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from stagematch.matching import evaluation, metamorphic
from stagematch.matching.data import Session
from stagematch.matching.features import build_features

MARGIN = 0.02  # NDCG@10 a subgroup may lose against the rule
MIN_GROUP = 30  # judged students a subgroup needs before it counts
SAMPLE_PAIRS = 300  # (student, place) pairs the metamorphic checks run on
GROUPS = ("level", "leerweg", "school")  # region is not stored for students


def report_sessions(sessions: Sequence[Session]) -> list[Session]:
    """The sessions `matching.model.train` reports on: the newest 25 % of those it could judge."""
    judged = evaluation.settled(evaluation.rankable(list(sessions)))
    if not judged:
        return []
    return list(evaluation.split_by_time(judged)[-1])


def baseline_checks(metrics: Sequence[dict]) -> list[dict]:
    return [
        {
            "check": "baseline",
            "name": row["name"],
            "diff": row["diff"],
            "diff_lo": row["diff_lo"],
            "diff_hi": row["diff_hi"],
            "passed": row["diff_lo"] > 0,
        }  # fmt: skip
        for row in metrics
        if row.get("kind") == "baseline" and "diff_lo" in row
    ]


def metamorphic_checks(model, sessions: Sequence[Session], *, seed: int = 0) -> list[dict]:
    pairs = metamorphic.usable([(s.student, p) for s in sessions for p in s.places])
    if len(pairs) > SAMPLE_PAIRS:
        keep = np.random.default_rng(seed).choice(len(pairs), SAMPLE_PAIRS, replace=False)
        pairs = [pairs[i] for i in sorted(keep.tolist())]
    return [
        {"check": "metamorphic", **row, "passed": row["failures"] == 0}
        for row in metamorphic.run_checks(model, pairs)
    ]


def subgroup_checks(
    model, sessions: Sequence[Session], schools: Mapping[int, object] | None = None, *,
    margin: float = MARGIN, min_group: int = MIN_GROUP, seed: int = 0,
) -> list[dict]:  # fmt: skip
    """One row per subgroup with at least `min_group` students: mean NDCG@10 of model and rule."""
    from stagematch.matching.model import rule_score

    if not sessions:
        return []
    flat = evaluation.flatten(sessions)
    X = build_features(flat.pairs, model.context)  # noqa: N806
    ours = evaluation.per_student(flat, model.predict(X), seed=seed)["ndcg"]
    rule = evaluation.per_student(flat, rule_score(X), seed=seed)["ndcg"]
    members: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, s in enumerate(flat.sessions):
        values = {"level": s.student.level, "leerweg": s.student.leerweg,
                  "school": (schools or {}).get(s.student.id)}  # fmt: skip
        for group in GROUPS:
            if values[group] is not None:
                members[(group, str(values[group]))].append(i)
    rows = []
    for (group, value), rows_of in sorted(members.items()):
        if len(rows_of) < min_group:
            continue
        model_mean, rule_mean = float(ours[rows_of].mean()), float(rule[rows_of].mean())
        diff = model_mean - rule_mean
        rows.append({"check": "subgroup", "group": group, "value": value, "n": len(rows_of),
                     "model": round(model_mean, 4), "rule": round(rule_mean, 4),
                     "diff": round(diff, 4), "margin": margin, "passed": diff >= -margin})  # fmt: skip
    return rows


def run_gate(
    model,
    sessions: Sequence[Session],
    schools: Mapping[int, object] | None = None,
    *,
    seed: int = 0,
) -> dict:
    """The gate's outcome as a metrics row: {kind: "gate", passed, checks: [...]}."""
    report = report_sessions(sessions)
    checks = [
        *baseline_checks(model.metrics),
        *metamorphic_checks(model, report, seed=seed),
        *subgroup_checks(model, report, schools, seed=seed),
    ]
    has_baselines = any(c["check"] == "baseline" for c in checks)
    return {"name": "", "kind": "gate", "passed": has_baselines and all(c["passed"] for c in checks),
            "margin": MARGIN, "min_group": MIN_GROUP, "checks": checks}  # fmt: skip


def gate_of(metrics: Sequence[dict]) -> dict | None:
    """The gate row among a version's metrics (None: trained before the gate existed)."""
    return next((m for m in metrics if m.get("kind") == "gate"), None)


def failed_checks(gate: dict | None) -> list[dict]:
    return [c for c in (gate or {}).get("checks", []) if not c["passed"]]
