"""The full explanation of one suggestion, on request ("Waarom zie ik dit?", issue 19 item 3; EU AI
Act art. 86): for one student and one place, each factor's contribution to the score, the hard
rules the pair passed (each in plain words, with its source), the model version that ranked it
with its documented accuracy, and the date.

The explanation is plain JSON data (phrases as `to_data` dicts), so an objection can keep it
exactly as the objector saw it (`Objection.explanation`) and any page can show it later in the
reader's language (`templates/_explanation.html`).

Contributions: with a model, the change in the predicted chance of a good placement when the
factor's features are set to the training median (`matching.model.contributions`, occlusion);
without a model, the rule's own parts (the rule's score is their sum). The rule's pay ratio and
word fit are measured against every open place (a list measures them against its own
candidates, so a rule score here can differ from the list's in the last digits)."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from stagematch.extensions import db
from stagematch.matching import eligibility as rules
from stagematch.matching.evaluation import RULE
from stagematch.matching.features import FEATURES, build_features, fit_context
from stagematch.matching.model import contributions, match_label, reason_text, rule_score
from stagematch.matching.text import N_, Phrase, from_data, to_data
from stagematch.models import ModelVersion, Placement, StudentProfile
from stagematch.models.enums import PlacementStatus
from stagematch.ranking.data import load_places, place_data, student_data
from stagematch.ranking.registry import active_model
from stagematch.services.eligibility import open_to_students
from stagematch.timeutil import today

# Plain names of the factor groups (`matching.features.GROUPS`).
FACTORS = {
    "distance": N_("Afstand"),
    "fit": N_("Past bij je opleiding en wat je kunt"),
    "supervision": N_("Begeleiding (meester, gezel, beoordelingen)"),
    "pay": N_("Vergoeding"),
    "bbl_days": N_("Werkdagen (BBL)"),
    "company": N_("Eerdere stages bij dit bedrijf"),
    "level": N_("Niveau van de opleiding"),
    "market": N_("Reacties van het bedrijf en drukte"),
    "interest": N_("Plekken die je bekeek of bewaarde"),
}
# The rule without a model: each part's maximum (`matching.model.rule_terms`).
RULE_MAXIMA = {"distance": 0.35, "supervision": 0.30, "fit": 0.30, "pay": 0.05}

# The hard rules a suggestion passed, in plain words, with where they come from (docs/rules.md).
# `codes`: the reason codes of `matching.eligibility` that the rule covers.
RULES = [
    ("leerweg", ("leerweg",), N_("Zelfde leerweg: de plek is BOL of BBL, net als de opleiding."),
     N_("WEB art. 7.2.2")),
    ("qualification", ("qualification", "level"),
     N_("Past bij de opleiding: hetzelfde crebo, of hetzelfde kwalificatiedossier op hetzelfde niveau."),
     N_("Regeling kwalificatiedossiers")),
    ("accreditation", ("accreditation",),
     N_("Erkend leerbedrijf: SBB heeft het bedrijf erkend voor deze opleiding op de startdatum."),
     N_("Reglement erkenning leerbedrijven (SBB)")),
    ("capacity", ("meester_capacity", "gezel_capacity", "seat"),
     N_("Er is plaats: een vrije plek, en de meester (en gezel) heeft tijd voor nog een leerling."),
     N_("opgave van het leerbedrijf; voorwaarde van SBB")),
    ("wage", ("wage",),
     N_("Het loon is minstens het wettelijk minimum(jeugd)loon voor de leeftijd bij de start."),
     N_("Wet minimumloon en minimumvakantiebijslag")),
    ("working_time", ("working_time", "school_day"),
     N_("Niet te veel werkuren volgens de Arbeidstijdenwet, en bij BBL blijft er een schooldag vrij."),
     N_("Arbeidstijdenwet art. 5:7")),
    ("dates", ("dates", "ended", "availability"),
     N_("De data kloppen: de plek begint binnen twee jaar, is nog niet voorbij en loopt als je kunt beginnen."),
     N_("regel van StageMatch")),
    ("distance", ("distance",), N_("Binnen je reisafstand: niet verder dan je hebt ingesteld."),
     N_("je eigen instelling")),
    ("company", ("company_inactive",), N_("Het leerbedrijf doet mee (niet uitgezet door de beheerder)."),
     N_("regel van StageMatch")),
]  # fmt: skip


class NotASuggestion(Exception):
    """The place is not a suggestion the rules allow for this student (the page answers 404)."""


def _accuracy(version: ModelVersion | None) -> dict | None:
    """The documented accuracy of a version: its NDCG@10 on held-out students and its lead over
    the rule (model − rule), each with the 95 % interval where stored."""
    if version is None:
        return None
    try:
        rows = json.loads(version.metrics or "[]")
    except ValueError:
        return None
    model_row = next((r for r in rows if r.get("kind") == "model"), None)
    rule_row = next((r for r in rows if r.get("name") == RULE), None)
    if model_row is None or "ndcg10" not in model_row:
        return None
    result = {key: model_row.get(key) for key in ("ndcg10", "ndcg10_lo", "ndcg10_hi")}
    result["n"] = model_row.get("n")
    if rule_row is not None:
        result["rule_ndcg10"] = rule_row.get("ndcg10")
        result.update(lead=rule_row.get("diff"), lead_lo=rule_row.get("diff_lo"),
                      lead_hi=rule_row.get("diff_hi"))  # fmt: skip
    return result


def explain_suggestion(
    student_profile: StudentProfile, placement: Placement, *, perspective: str = "student"
) -> dict:
    """The full explanation of `placement` suggested to `student_profile` (see the module).
    `perspective` 'company': the same facts as the company's list of suggested students shows.
    Raises NotASuggestion when the rules do not allow the pair, the place is not open to
    students, or the student has no location (no suggestions are made then)."""
    if (
        student_profile is None
        or student_profile.lat is None
        or student_profile.qualification is None
        or not open_to_students(placement)
    ):
        raise NotASuggestion
    student = student_data(student_profile, views=True)
    found = place_data([placement])
    if not found:
        raise NotASuggestion
    [place] = found
    if rules.reasons(student, place, on=today()):
        raise NotASuggestion
    model = active_model()
    context = model.context if model is not None else fit_context(load_places() or [place])
    X = build_features([(student, place)], context)  # noqa: N806
    score = float(model.predict(X)[0] if model is not None else rule_score(X)[0])
    [contribution] = contributions(model, X)
    factors = []
    for group, value in sorted(contribution.items(), key=lambda kv: -kv[1]):
        reason = reason_text(group, student, place, X[0]) if value > 0 else None
        factors.append({
            "group": group, "label": to_data(Phrase(FACTORS.get(group, group))),
            "contribution": round(float(value), 4),
            "maximum": RULE_MAXIMA.get(group) if model is None else None,
            "reason": to_data(reason) if reason else None,
        })  # fmt: skip
    passed = [
        {"code": code, "text": to_data(Phrase(text)), "source": to_data(Phrase(source))}
        for code, _codes, text, source in RULES
        if code not in ("wage",) or place.leerweg == "BBL"  # the wage rule binds BBL places
    ]
    version_id = getattr(model, "version_id", None) if model is not None else None
    version = db.session.get(ModelVersion, version_id) if version_id is not None else None
    col = FEATURES.index("distance_km")
    return {
        "placement_id": placement.id,
        "student_id": student_profile.id,
        "perspective": perspective,
        "title": placement.title,
        "company": placement.company.name,
        "by": "model" if model is not None else "rule",
        "score": round(score, 4),
        "label": to_data(match_label(score, rule=model is None)),
        "distance_km": round(float(X[0, col]), 1),
        "factors": factors,
        "rules": passed,
        "model_version_id": version.id if version is not None else None,
        "family": (version.family if version is not None else getattr(model, "family", None)),
        "version_date": version.created_at.date().isoformat() if version is not None else None,
        "accuracy": _accuracy(version),
        "on": today().isoformat(),
    }


def suggested_profile(placement: Placement, profile_id: int) -> StudentProfile:
    """The student `profile_id` when the company's list of suggested students for `placement`
    holds them (the same rule the invitation uses); else NotASuggestion."""
    from stagematch.ranking import suggested_students

    if placement.status != PlacementStatus.OPEN or profile_id not in {
        s["profile_id"] for s in suggested_students(placement, limit=50)
    }:
        raise NotASuggestion
    profile = db.session.scalar(select(StudentProfile).where(StudentProfile.id == profile_id))
    if profile is None:
        raise NotASuggestion
    return profile


def readable(explanation: dict | None) -> dict | None:
    """An explanation (as stored) with its phrases back as `Phrase`s, for a template; the
    contributions also in points (the rule: of 100; a model: percentage points of the chance)."""
    if not explanation:
        return None
    shown = dict(explanation)
    shown["label"] = from_data(explanation["label"]) if explanation.get("label") else ""
    shown["factors"] = [
        {
            **f,
            "label": from_data(f["label"]),
            "reason": from_data(f["reason"]) if f.get("reason") else None,
            "points": round(100 * f["contribution"], 1),
            "max_points": round(100 * f["maximum"]) if f.get("maximum") else None,
        }
        for f in explanation.get("factors", [])
    ]
    shown["rules"] = [
        {**r, "text": from_data(r["text"]), "source": from_data(r["source"])}
        for r in explanation.get("rules", [])
    ]
    shown["on"] = date.fromisoformat(explanation["on"]) if explanation.get("on") else None
    return shown
