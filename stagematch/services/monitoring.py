"""The monitoring report (issue 19, item 4): per model version and per school, for each grouping
of students (level, leerweg, age band, region, school) and each group, how much the students were
shown (from the ranking log) and what came of it (applications, shortlists, offers, accepted
offers, internships that ended well); then disparity ratios (a group's rate / the best group's
rate) with the four-fifths rule: a ratio below THRESHOLD for a group of at least MIN_GROUP
students is a disparity, and the nightly check tells the administrators once per
(version, grouping, group, rate).

No special-category data (origin, religion, health …) is collected for this: the groups are
what the school's administration already holds for the matching (level, leerweg, birth date for
the youth wage, town, school).

Every figure is an SQL aggregate grouped by the grouping's column (level, leerweg, birth date,
town, school: at most a few thousand distinct values); Python only maps those values to groups
(a birth date to its age band, a town to its province) and adds the counts up.

Whom a report is about: all students (of the school, with `school_id`); with `model_version_id`,
the students that version ranked at least one list for in the period, and only those lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import partial

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from stagematch import geo
from stagematch.extensions import db
from stagematch.matching.text import N_
from stagematch.models import Application, Interaction, Internship, School, StudentProfile
from stagematch.models.enums import ApplicationStatus, InternshipOutcome, InternshipStatus
from stagematch.models.interaction import InteractionKind
from stagematch.ranking.review import age_band
from stagematch.timeutil import today

MIN_GROUP = 20  # students a group needs before its ratio counts (smaller groups are noise)
THRESHOLD = 0.8  # the four-fifths rule
UNKNOWN = "onbekend"

GROUPINGS = {
    "level": N_("Niveau"),
    "leerweg": N_("Leerweg"),
    "age_band": N_("Leeftijd"),
    "region": N_("Provincie"),
    "school": N_("School"),
}
# The measures per group; all but UNRATED get a disparity ratio (higher is better for the student).
RATES = {
    "shown_share": N_("Aandeel studenten dat plekken te zien kreeg"),
    "applications_per_student": N_("Sollicitaties per student"),
    "shortlist_rate": N_("Uitgenodigd of aanbod per sollicitatie"),
    "acceptance_rate": N_("Aangenomen aanbiedingen per aanbod"),
    "success_rate": N_("Goed afgeronde stages per afgeronde stage"),
}
# review.age_band's words, in order (marked here: the page translates them)
AGE_BANDS = (N_("tot 18"), N_("18–20"), N_("21 en ouder"), N_(UNKNOWN))


@dataclass
class Group:
    grouping: str
    key: str  # stable: the value, or the school's id
    label: str
    students: int = 0
    lists: int = 0  # ranked lists shown to the group's students
    lists_with_places: int = 0  # … that showed at least one place
    best_position_total: int = 0  # sum over those lists of the best shown position
    students_shown: int = 0  # students shown at least one place
    applications: int = 0
    shortlisted: int = 0  # invited for an interview or offered
    offered: int = 0
    accepted: int = 0
    finished: int = 0  # internships that ended
    successes: int = 0  # … with outcome success
    ratios: dict[str, float] = field(default_factory=dict)

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def mean_best_position(self) -> float | None:
        return self._share(self.best_position_total, self.lists_with_places)

    @property
    def shown_share(self) -> float | None:
        return self._share(self.students_shown, self.students)

    @property
    def applications_per_student(self) -> float | None:
        return self._share(self.applications, self.students)

    @property
    def shortlist_rate(self) -> float | None:
        return self._share(self.shortlisted, self.applications)

    @property
    def acceptance_rate(self) -> float | None:
        return self._share(self.accepted, self.offered)

    @property
    def success_rate(self) -> float | None:
        return self._share(self.successes, self.finished)

    def rate(self, name: str) -> float | None:
        return getattr(self, name)

    @property
    def counted(self) -> bool:
        """Large enough for its ratios to count."""
        return self.students >= MIN_GROUP


@dataclass(frozen=True)
class Disparity:
    grouping: str
    key: str
    label: str
    rate: str
    value: float
    best_label: str
    best_value: float
    ratio: float


@dataclass
class Report:
    model_version_id: int | None
    school_id: int | None
    since: date | None
    until: date | None
    groups: dict[str, list[Group]]  # grouping -> groups, in a fixed order

    def disparities(self) -> list[Disparity]:
        """Every (grouping, group, rate) whose ratio is below THRESHOLD, worst first."""
        found = []
        for grouping, groups in self.groups.items():
            best = {rate: _best(groups, rate) for rate in RATES}
            for group in groups:
                for rate, ratio in group.ratios.items():
                    if ratio < THRESHOLD:
                        top = best[rate]
                        found.append(Disparity(grouping, group.key, group.label, rate,
                                               group.rate(rate), top.label, top.rate(rate),
                                               ratio))  # fmt: skip
        return sorted(found, key=lambda d: (d.ratio, d.grouping, d.key, d.rate))


def _best(groups: list[Group], rate: str) -> Group | None:
    counted = [g for g in groups if g.counted and g.rate(rate) is not None]
    return max(counted, key=lambda g: g.rate(rate), default=None)


# Shown, but without a ratio: how many applications a student sends says more about who needs to
# apply (BBL, a crowded qualification) than about unequal treatment; more is not better.
UNRATED = frozenset({"applications_per_student"})


def _set_ratios(groups: list[Group]) -> None:
    for rate in RATES:
        if rate in UNRATED:
            continue
        top = _best(groups, rate)
        if top is None or not top.rate(rate):
            continue
        for group in groups:
            if group.counted and group.rate(rate) is not None:
                group.ratios[rate] = group.rate(rate) / top.rate(rate)


# --- SQL ---------------------------------------------------------------------------------------


def _bounds(since: date | None, until: date | None):
    return (
        datetime.combine(since, time.min) if since else None,
        datetime.combine(until, time.max) if until else None,
    )


def _in_period(column, start, end) -> list:
    return [c for c in (column >= start if start else None, column <= end if end else None)
            if c is not None]  # fmt: skip


def _lists_filter(model_version_id, start, end) -> list:
    where = [Interaction.kind == InteractionKind.LIST_SHOWN.value,
             *_in_period(Interaction.at, start, end)]  # fmt: skip
    if model_version_id is not None:
        where.append(Interaction.model_version_id == model_version_id)
    return where


def _shown_count():
    """How many places a logged list showed: `shown`, or the length of `places` in older rows."""
    if db.session.get_bind().dialect.name == "postgresql":
        length = func.json_array_length(Interaction.payload["places"])
    else:
        length = func.json_array_length(Interaction.payload, "$.places")
    return func.coalesce(Interaction.payload["shown"].as_integer(), length, 0)


def _raw_columns():
    """The column each grouping is computed from (grouped on in SQL, mapped in Python)."""
    return {
        "level": (StudentProfile.level,),
        "leerweg": (StudentProfile.leerweg,),
        "age_band": (StudentProfile.birth_date,),
        "region": (StudentProfile.city, School.city),
        "school": (School.id, School.name),
    }


def _population(model_version_id, school_id, start, end) -> list:
    where = []
    if school_id is not None:
        where.append(StudentProfile.school_id == school_id)
    if model_version_id is not None:
        served = aliased(Interaction)  # the lists query joins Interaction itself
        where.append(
            exists().where(
                served.student_id == StudentProfile.id,
                served.kind == InteractionKind.LIST_SHOWN.value,
                served.model_version_id == model_version_id,
                *_in_period(served.at, start, end),
            )
        )
    return where


def _grouped(columns, measures, *, join=None, where=()) -> list:
    """Rows of (raw columns…, measures…) over the population's students."""
    stmt = select(*columns, *measures).select_from(StudentProfile)
    if join is not None:
        stmt = stmt.join(*join)
    stmt = stmt.join(School, School.id == StudentProfile.school_id)
    return db.session.execute(stmt.where(*where).group_by(*columns)).all()


def _label(grouping: str, raw: tuple, on: date) -> tuple[str, str]:
    """(key, label) of the group a row's raw values belong to."""
    if grouping == "level":
        return str(raw[0]), str(raw[0])
    if grouping == "leerweg":
        return raw[0], raw[0]
    if grouping == "age_band":
        band = age_band(raw[0], on)
        return band, band
    if grouping == "region":
        town = geo.find_town(raw[0]) or geo.find_town(raw[1])
        province = town.province if town else UNKNOWN
        return province, province
    return str(raw[0]), raw[1]  # school: id, name


def _add(found: dict[str, Group], grouping: str, width: int, on: date, rows, names) -> None:
    """Add the rows' measures (after the `width` raw columns) to the groups they belong to."""
    for row in rows:
        key, label = _label(grouping, tuple(row[:width]), on)
        group = found.setdefault(key, Group(grouping, key, label))
        for name, value in zip(names, row[width:], strict=True):
            setattr(group, name, getattr(group, name) + int(value or 0))


def report(model_version_id: int | None = None, school_id: int | None = None,
           since: date | None = None, until: date | None = None) -> Report:  # fmt: skip
    """The monitoring report (see the module's docstring); `since`/`until` are days (UTC),
    inclusive, and bound the lists, the applications (by when they were sent) and the internships
    (by when they ended). Ages are taken on `until` (default today)."""
    start, end = _bounds(since, until)
    on = until or today()
    population = _population(model_version_id, school_id, start, end)
    lists = _lists_filter(model_version_id, start, end)
    shown = _shown_count()
    with_places = shown > 0
    offset = func.coalesce(Interaction.payload["offset"].as_integer(), 0)
    is_shortlisted = or_(
        Application.shortlisted_at.is_not(None), Application.offered_at.is_not(None)
    )
    is_accepted = Application.status == ApplicationStatus.ACCEPTED.value
    is_offered = or_(Application.offered_at.is_not(None), is_accepted)
    finished = Internship.status != InternshipStatus.ACTIVE.value

    def total(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    groups: dict[str, list[Group]] = {}
    for grouping, columns in _raw_columns().items():
        found: dict[str, Group] = {}
        add = partial(_add, found, grouping, len(columns), on)

        add(_grouped(columns, [func.count(StudentProfile.id)], where=population), ["students"])
        add(
            _grouped(
                columns,
                [func.count(Interaction.id), total(with_places),
                 func.coalesce(func.sum(case((with_places, offset + 1), else_=0)), 0),
                 func.count(func.distinct(case((with_places, Interaction.student_id))))],
                join=(Interaction, and_(Interaction.student_id == StudentProfile.id, *lists)),
                where=population,
            ),
            ["lists", "lists_with_places", "best_position_total", "students_shown"],
        )  # fmt: skip
        add(
            _grouped(
                columns,
                [func.count(Application.id), total(is_shortlisted), total(is_offered),
                 total(is_accepted)],
                join=(Application, and_(Application.student_id == StudentProfile.id,
                                        *_in_period(Application.created_at, start, end))),
                where=population,
            ),
            ["applications", "shortlisted", "offered", "accepted"],
        )  # fmt: skip
        add(
            _grouped(
                columns,
                [total(finished),
                 total(and_(finished, Internship.outcome == InternshipOutcome.SUCCESS.value))],
                join=(Internship, and_(Internship.student_id == StudentProfile.id,
                                       *_in_period(Internship.ended_at, since, until))),
                where=population,
            ),
            ["finished", "successes"],
        )  # fmt: skip
        ordered = sorted(found.values(), key=lambda g: _order(grouping, g))
        _set_ratios(ordered)
        groups[grouping] = ordered
    return Report(model_version_id, school_id, since, until, groups)


def _order(grouping: str, group: Group):
    if grouping == "age_band":
        return (AGE_BANDS.index(group.label) if group.label in AGE_BANDS else 99, "")
    if grouping == "level":
        return (int(group.key), "")
    return (group.label == UNKNOWN, group.label.lower())


# --- the nightly check -------------------------------------------------------------------------


def active_version_id() -> int | None:
    from stagematch.models import ModelVersion

    return db.session.scalar(select(ModelVersion.id).where(ModelVersion.active.is_(True)))


def check() -> int:
    """Tell every administrator about each disparity of the active version's report (all
    periods, all schools), once per (version, grouping, group, rate). The notifications made."""
    from stagematch.matching.text import Phrase
    from stagematch.models import User
    from stagematch.models.enums import Role
    from stagematch.services.notifications import notify, phrase, site_path

    version = active_version_id()
    found = report(model_version_id=version).disparities()
    if not found:
        return 0
    admins = db.session.scalars(select(User).where(User.role == Role.ADMIN.value)).all()
    url = site_path("admin.monitoring", **({"versie": version} if version else {}))
    made = 0
    for d in found:
        group = Phrase(d.label) if d.grouping == "age_band" else d.label
        message = phrase(
            N_("Monitoring: %(grouping)s %(group)s haalt bij „%(rate)s” %(ratio)s van de beste "
               "groep (grens %(threshold)s)."),
            grouping=Phrase(GROUPINGS[d.grouping]), group=group, rate=Phrase(RATES[d.rate]),
            ratio=f"{d.ratio:.2f}", threshold=f"{THRESHOLD:.2f}",
        )  # fmt: skip
        key = f"monitoring:{version or 'regel'}:{d.grouping}:{d.key}:{d.rate}"
        for admin in admins:
            if notify(admin, "monitoring_disparity", key, message, url) is not None:
                made += 1
    return made


# --- the administrator's page ------------------------------------------------------------------


@dataclass
class Filters:
    model_version_id: int | None = None
    school_id: int | None = None
    since: date | None = None
    until: date | None = None
    errors: dict[str, str] = field(default_factory=dict)  # field -> Dutch message
    raw: dict[str, str] = field(default_factory=dict)  # the input as typed, shown back

    @classmethod
    def from_args(cls, args, messages: dict[str, str]) -> Filters:
        """From a query string (versie, school, van, tot); a value that cannot be used is kept
        as typed with `messages[field]` as its error, and not applied."""
        from stagematch.inputs import parse_int
        from stagematch.models import ModelVersion
        from stagematch.services.ranking_log import parse_date

        raw = {k: args.get(k, "").strip()[:40] for k in ("versie", "school", "van", "tot")}
        found = cls(raw=raw)
        for key, attr, model in (("versie", "model_version_id", ModelVersion),
                                 ("school", "school_id", School)):  # fmt: skip
            if raw[key]:
                value = parse_int(raw[key], lo=1, hi=2**31 - 1)
                if value is None or db.session.get(model, value) is None:
                    found.errors[key] = messages[key]
                else:
                    setattr(found, attr, value)
        for key, attr in (("van", "since"), ("tot", "until")):
            if raw[key]:
                value = parse_date(raw[key])
                if value is None:
                    found.errors[key] = messages["date"]
                setattr(found, attr, value)
        return found

    @property
    def active(self) -> bool:
        return any(self.raw.values())


CSV_HEADER = ["indeling", "groep", "studenten", "lijsten", "gemiddelde_beste_positie",
              "aandeel_getoond", "sollicitaties", "sollicitaties_per_student", "uitgenodigd",
              "uitnodigingsgraad", "aanbod", "aangenomen", "aannamegraad", "afgerond",
              "goed_afgerond", "slagingsgraad", *(f"verhouding_{rate}" for rate in RATES)]  # fmt: skip


def csv_rows(found: Report):
    """The report's tables as CSV rows (numbers with a decimal point, 4 decimals)."""

    def number(value):
        return "" if value is None else f"{value:.4f}"

    for grouping, groups in found.groups.items():
        for g in groups:
            yield [grouping, g.label, g.students, g.lists, number(g.mean_best_position),
                   number(g.shown_share), g.applications, number(g.applications_per_student),
                   g.shortlisted, number(g.shortlist_rate), g.offered, g.accepted,
                   number(g.acceptance_rate), g.finished, g.successes, number(g.success_rate),
                   *(number(g.ratios.get(rate)) for rate in RATES)]  # fmt: skip


def versions() -> list[tuple[int, bool]]:
    """(id, active) of every model version, newest first, for the filter."""
    from stagematch.models import ModelVersion

    return db.session.execute(
        select(ModelVersion.id, ModelVersion.active).order_by(ModelVersion.id.desc())
    ).all()
