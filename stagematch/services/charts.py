"""Data for the coordinator's charts. Each chart is drawn as inline SVG by templates/_charts.html
(no JavaScript, no CDN) and comes with the same numbers as a table."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, select

from stagematch.extensions import db
from stagematch.models import Evaluation, Internship, Qualification, School, StudentProfile
from stagematch.models.enums import EvaluationAuthor, InternshipStatus


@dataclass
class Chart:
    title: str
    kind: str  # "bars" (horizontal), "columns", "line"
    labels: list[str]
    values: list[float]
    unit: str = ""
    note: str = ""
    max_value: float | None = None

    @property
    def top(self) -> float:
        return self.max_value or max(self.values or [1]) or 1


def placement_rate(school: School, limit: int = 12) -> Chart:
    placed = exists().where(
        and_(
            Internship.student_id == StudentProfile.id,
            Internship.status.in_((InternshipStatus.ACTIVE, InternshipStatus.COMPLETED)),
        )  # fmt: skip
    )
    rows = db.session.execute(
        select(
            Qualification.name,
            func.count(StudentProfile.id),
            func.sum(func.cast(placed, db.Integer)),
        )
        .join(StudentProfile, StudentProfile.qualification_id == Qualification.id)
        .where(StudentProfile.school_id == school.id)
        .group_by(Qualification.name)
        .order_by(func.count(StudentProfile.id).desc())
        .limit(limit)
    ).all()
    return Chart(
        _("Geplaatst per opleiding"), "bars", [f"{name} ({n})" for name, n, _p in rows],
        [round(100 * (p or 0) / n) for _name, n, p in rows if n], unit="%", max_value=100,
        note=_("Aandeel studenten met een lopende of afgeronde stage; de grootste opleidingen van je school."),
    )  # fmt: skip


def sqi_distribution(school: School) -> Chart:
    from stagematch.ranking import school_host_sqis

    scores = school_host_sqis(school)
    bins = [0] * 10
    for score in scores:
        bins[min(9, int(score // 10))] += 1
    return Chart(
        _("Begeleidingskwaliteit (SQI) van leerbedrijven"), "columns", [f"{10 * i}-{10 * i + 9}" for i in range(10)],
        bins, unit="", note=_("Aantal meesters met studenten van je school per SQI-klasse (0-100), %(n)s in totaal.", n=len(scores)),
    )  # fmt: skip


def evaluation_trend(school: School) -> Chart:
    quarter = func.cast(func.extract("year", Evaluation.submitted_at), db.Integer) * 10 + (
        (func.cast(func.extract("month", Evaluation.submitted_at), db.Integer) + 2) // 3
    )
    rows = db.session.execute(
        select(quarter.label("q"), func.avg(Evaluation.overall), func.count(Evaluation.id))
        .join(Internship, Internship.id == Evaluation.internship_id)
        .where(
            Internship.school_id == school.id,
            Evaluation.author_role == EvaluationAuthor.STUDENT,
            Evaluation.submitted_at.is_not(None),
            Evaluation.overall.is_not(None),
        )  # fmt: skip
        .group_by(quarter)
        .order_by(quarter)
    ).all()
    rows = [r for r in rows if r[2] >= 3][
        -12:
    ]  # quarters with at least 3 evaluations, last three years
    return Chart(
        _("Oordeel van studenten over hun stage"), "line",
        [_("%(year)s K%(quarter)s", year=int(q) // 10, quarter=int(q) % 10) for q, _avg, _n in rows],
        [round(float(avg), 2) for _q, avg, _n in rows], unit="", max_value=5,
        note=_("Gemiddeld eindoordeel (1-5) per kwartaal, alleen kwartalen met minstens 3 evaluaties."),
    )  # fmt: skip


def dashboard_charts(school: School) -> list[Chart]:
    return [placement_rate(school), sqi_distribution(school), evaluation_trend(school)]
