"""Weekly hours of a placement (issue 17, item 3).

The student (or an account of the leerbedrijf for them) logs the hours of a week, Monday
`week_start`; the meester's side (any account of the place's company) approves them as logged or
corrects them (another number, with a note). Rules:

- only weeks that overlap the placement, not weeks still to come, and only once the agreement is
  signed (before that the placement cannot start);
- a week still `submitted` may be logged again (it replaces the entry); an approved or corrected
  week is locked: the meester corrects it;
- approving is one conditional UPDATE on the status and the hours the meester saw, so a number the
  student changed a moment earlier is never approved unseen (the meester is told to look again);
- a submitted week not approved `OVERDUE_AFTER_DAYS` days after its Sunday is *overdue*; a past week
  of a running, signed placement without an entry is *missing*. Both become coordinator flags.

`totals(internship)` and `approved_total(ids)` are what the agreement, the exports and the API read."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from stagematch.extensions import db
from stagematch.matching.text import N_
from stagematch.models import (
    AgreementStatus,
    AgreementVersion,
    HoursEntry,
    HoursStatus,
    Internship,
    Placement,
    School,
    StudentProfile,
    User,
)
from stagematch.models.enums import InternshipStatus, Leerweg
from stagematch.services import DomainError
from stagematch.services.audit import record
from stagematch.timeutil import age_on, today, utcnow

MAX_HOURS = 80
NOTE_MAX = 1000
OVERDUE_AFTER_DAYS = 7  # a submitted week not approved this long after its Sunday: overdue
SAME = 0.05  # hours are kept to one decimal: closer than this is the same number

STATUS_LABELS = {
    HoursStatus.SUBMITTED: _l("Wacht op goedkeuring"),
    HoursStatus.APPROVED: _l("Goedgekeurd"),
    HoursStatus.CORRECTED: _l("Aangepast door de meester"),
}

# Notification and flag texts (translated for the reader).
WAITING_TEXT = N_("%(name)s heeft uren ingevuld die wachten op goedkeuring.")
CORRECTED_TEXT = N_(
    "Je meester heeft je uren van de week van %(date)s aangepast naar %(hours)s uur: %(note)s"
)
OVERDUE_TEXT = N_(
    "De uren van %(name)s wachten te lang op goedkeuring (sinds de week van %(date)s)."
)
MISSING_TEXT = N_("%(name)s heeft geen uren ingevuld voor de week van %(date)s.")


# --- weeks ---------------------------------------------------------------------------------------


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def last_day(internship: Internship) -> date:
    """The placement's last day: the day it ended early, else its end date."""
    if internship.ended_at is not None and internship.ended_at < internship.end_date:
        return max(internship.ended_at, internship.start_date)
    return internship.end_date


def placement_weeks(internship: Internship, *, until: date | None = None) -> list[date]:
    """The Mondays of the weeks that overlap the placement, up to the week of `until`."""
    first = monday(internship.start_date)
    last = monday(last_day(internship))
    if until is not None:
        last = min(last, monday(until))
    weeks = []
    week = first
    while week <= last:
        weeks.append(week)
        week += timedelta(weeks=1)
    return weeks


def loggable_weeks(internship: Internship, on: date | None = None) -> list[date]:
    """Weeks that may be logged now, newest first: begun (not in the future) and in the placement."""
    return list(reversed(placement_weeks(internship, until=on or today())))


def is_overdue(entry: HoursEntry, on: date | None = None) -> bool:
    sunday = entry.week_start + timedelta(days=6)
    return entry.status == HoursStatus.SUBMITTED and (on or today()) > sunday + timedelta(
        days=OVERDUE_AFTER_DAYS
    )


def agreement_signed(internship: Internship) -> bool:
    from stagematch.services import agreements

    return agreements.is_signed(internship)


def planned_per_week(internship: Internship) -> float:
    """Hours a week as agreed: the agreement in force says (an amendment may change them), else
    the place."""
    from stagematch.services import agreements

    version = agreements.current_version(internship)
    content = version.content if version is not None and version.status == "signed" else {}
    value = (content or {}).get("hours_per_week")
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= MAX_HOURS:
        return float(value)
    return float(internship.placement.hours_per_week)


# --- reading -------------------------------------------------------------------------------------


@dataclass
class Totals:
    """Hours of a placement: logged (every entry), approved (as approved or corrected), planned
    (hours a week × the weeks begun so far), and the weeks behind those numbers."""

    logged: float
    approved: float
    planned: float
    weeks_so_far: int
    waiting: int = 0  # weeks submitted, not approved yet
    overdue: int = 0
    missing: int = 0


@dataclass
class WeekRow:
    week_start: date
    entry: HoursEntry | None
    state: str  # submitted | approved | corrected | overdue | missing | open (the current week)

    @property
    def week_number(self) -> int:
        return self.week_start.isocalendar().week

    @property
    def sunday(self) -> date:
        return self.week_start + timedelta(days=6)


def entries_of(internship: Internship) -> dict[date, HoursEntry]:
    return {
        e.week_start: e
        for e in db.session.scalars(
            select(HoursEntry).where(HoursEntry.internship_id == internship.id)
        )
    }


def rows(internship: Internship, on: date | None = None) -> list[WeekRow]:
    """Every week of the placement begun so far (plus any logged week), newest first."""
    on = on or today()
    entries = entries_of(internship)
    # Missing weeks count for an active placement with a signed agreement (as in `attention`).
    tracked = internship.status == InternshipStatus.ACTIVE and agreement_signed(internship)
    found = []
    for week in sorted(set(placement_weeks(internship, until=on)) | set(entries), reverse=True):
        entry = entries.get(week)
        if entry is not None:
            state = "overdue" if is_overdue(entry, on) else entry.status
        elif week + timedelta(days=6) < on and tracked:
            state = "missing"
        else:
            state = "open"
        found.append(WeekRow(week, entry, state))
    return found


def totals(internship: Internship, on: date | None = None) -> Totals:
    """Logged, approved and planned hours of the placement (for the agreement, the exports, the
    API and the coordinator's view)."""
    on = on or today()
    week_rows = rows(internship, on)
    entries = [r.entry for r in week_rows if r.entry is not None]
    weeks_so_far = len(placement_weeks(internship, until=on)) if internship.start_date <= on else 0
    return Totals(
        logged=round(sum(e.hours for e in entries), 1),
        approved=round(sum(_approved(e) for e in entries), 1),
        planned=round(planned_per_week(internship) * weeks_so_far, 1),
        weeks_so_far=weeks_so_far,
        waiting=sum(1 for e in entries if e.status == HoursStatus.SUBMITTED),
        overdue=sum(1 for r in week_rows if r.state == "overdue"),
        missing=sum(1 for r in week_rows if r.state == "missing"),
    )


def _approved(entry: HoursEntry) -> float:
    if entry.status == HoursStatus.SUBMITTED:
        return 0.0
    return entry.approved_hours if entry.approved_hours is not None else entry.hours


def approved_total(internship_ids) -> dict[int, float]:
    """Approved hours per placement id (0.0 for none), in one query."""
    ids = list(internship_ids)
    result = {i: 0.0 for i in ids}
    if not ids:
        return result
    approved = func.coalesce(HoursEntry.approved_hours, HoursEntry.hours)
    for internship_id, total in db.session.execute(
        select(HoursEntry.internship_id, func.sum(approved))
        .where(HoursEntry.internship_id.in_(ids), HoursEntry.status != HoursStatus.SUBMITTED)
        .group_by(HoursEntry.internship_id)
    ):
        result[internship_id] = round(float(total or 0), 1)
    return result


def waiting(internship: Internship) -> list[HoursEntry]:
    """Weeks waiting for the meester, oldest first."""
    return list(
        db.session.scalars(
            select(HoursEntry)
            .where(
                HoursEntry.internship_id == internship.id,
                HoursEntry.status == HoursStatus.SUBMITTED,
            )
            .order_by(HoursEntry.week_start)
        )
    )


# --- the student's side: logging -----------------------------------------------------------------


def parse_hours(value) -> float:
    """Hours as a number 0–80 with at most one decimal; DomainError (field `hours`) otherwise."""
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError) as error:
        raise DomainError(_("Vul een aantal uren in, bijvoorbeeld 32 of 32,5."), "hours") from error
    if not number.is_finite() or not 0 <= number <= MAX_HOURS:
        raise DomainError(_("Vul tussen 0 en 80 uur in."), "hours")
    if number != number.quantize(Decimal("0.1")):
        raise DomainError(_("Vul de uren in met hoogstens één cijfer achter de komma."), "hours")
    return float(number)


def _check_week(internship: Internship, week_start: date, on: date) -> None:
    if week_start.weekday() != 0:
        raise DomainError(_("Kies een week (die begint op maandag)."), "week_start")
    if not agreement_signed(internship):
        raise DomainError(
            _("De stage kan pas beginnen als iedereen de praktijkovereenkomst heeft ondertekend. "
              "Daarna kun je uren invullen."),
            "week_start",
        )  # fmt: skip
    if week_start > on:
        raise DomainError(_("Je kunt geen uren invullen voor een week die nog moet komen."),
                          "week_start")  # fmt: skip
    if week_start + timedelta(days=6) < internship.start_date or week_start > last_day(internship):
        raise DomainError(
            _("Deze week valt buiten de stage (%(first)s tot en met %(last)s).",
              first=internship.start_date.strftime("%d-%m-%Y"),
              last=last_day(internship).strftime("%d-%m-%Y")),
            "week_start",
        )  # fmt: skip


def working_time_warnings(internship: Internship, week_start: date, hours: float) -> list[str]:
    """Arbeidstijdenwet: the rule texts of `placements.working_time_problems`, for the hours of one
    week (a learner under 18 on that Monday: more than 45 hours). The week's hours are the work
    itself, so they are checked as a five-day week without a school day."""
    from stagematch.services.placements import working_time_problems

    profile = internship.student
    age = age_on(profile.birth_date, week_start) if profile and profile.birth_date else None
    week = SimpleNamespace(leerweg=Leerweg.BOL, hours_per_week=hours, days_per_week=None,
                           wage_age=age)  # fmt: skip
    return [p.message for p in working_time_problems(week) if p.field == "hours_per_week"]


@dataclass
class Logged:
    entry: HoursEntry
    replaced: bool
    warnings: list[str] = field(default_factory=list)


def log_week(internship: Internship, *, user: User, side: str, week_start: date, hours,
             note: str = "", on: date | None = None) -> Logged:  # fmt: skip
    """Log (or log again, while it waits) the hours of one week. Raises DomainError with the field
    (`week_start`, `hours`, `note`). Warnings (Arbeidstijdenwet) do not stop it."""
    on = on or today()
    if side not in ("student", "company"):
        raise DomainError(_("Uren vult de student in, of het leerbedrijf voor de student."))
    _check_week(internship, week_start, on)
    value = parse_hours(hours)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(_("De toelichting mag hooguit 1000 tekens zijn."), "note")
    locked = _("Deze week is al goedgekeurd. Klopt er iets niet? Vraag de meester om het aan te "
               "passen.")  # fmt: skip
    entry = db.session.scalar(
        select(HoursEntry).where(
            HoursEntry.internship_id == internship.id, HoursEntry.week_start == week_start
        )
    )
    values = dict(hours=value, note=note, entered_by_id=user.id, entered_role=side,
                  entered_at=utcnow())  # fmt: skip
    if entry is not None:
        if entry.status != HoursStatus.SUBMITTED:
            raise DomainError(locked, "week_start")
        # Only while it still waits: the meester may be approving it at this very moment.
        changed = db.session.execute(
            update(HoursEntry)
            .where(HoursEntry.id == entry.id, HoursEntry.status == HoursStatus.SUBMITTED)
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            db.session.rollback()
            raise DomainError(locked, "week_start")
        db.session.refresh(entry)
        replaced = True
    else:
        entry = HoursEntry(internship_id=internship.id, week_start=week_start, **values)
        db.session.add(entry)
        replaced = False
    try:
        db.session.flush()
        record("hours.relog" if replaced else "hours.log", entry, actor=user,
               week=week_start, hours=value, side=side)  # fmt: skip
        db.session.commit()
    except IntegrityError as error:  # the same week logged twice at the same moment
        db.session.rollback()
        raise DomainError(
            _("Deze week is net door iemand anders ingevuld. Bekijk de uren en pas ze zo nodig aan."),
            "week_start",
        ) from error  # fmt: skip
    if side == "student":
        _tell_company(internship, on)
    return Logged(entry, replaced, working_time_warnings(internship, week_start, value))


# --- the meester's side: approving and correcting ------------------------------------------------


def _changed_error(week_start: date) -> DomainError:
    return DomainError(_("De uren van de week van %(date)s zijn net aangepast. Bekijk ze opnieuw.",
                         date=week_start.strftime("%d-%m-%Y")))  # fmt: skip


def _entry(internship: Internship, week_start: date) -> HoursEntry:
    entry = db.session.scalar(
        select(HoursEntry).where(
            HoursEntry.internship_id == internship.id, HoursEntry.week_start == week_start
        )
    )
    if entry is None:
        raise DomainError(_("Voor deze week zijn geen uren ingevuld."))
    return entry


def _approve_one(entry_id: int, seen: float, user: User) -> bool:
    """One conditional UPDATE: approved only while it waits with the hours the meester saw."""
    return (
        db.session.execute(
            update(HoursEntry)
            .where(
                HoursEntry.id == entry_id,
                HoursEntry.status == HoursStatus.SUBMITTED,
                func.abs(HoursEntry.hours - seen) < SAME,
            )
            .values(
                status=HoursStatus.APPROVED,
                approved_hours=HoursEntry.hours,
                approved_by_id=user.id,
                approved_at=utcnow(),
                correction_note="",
            )  # fmt: skip
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


def approve(internship: Internship, *, user: User, side: str, week_start: date, seen) -> None:
    """The meester approves a week as logged; `seen` is the number of hours they saw."""
    if side != "company":
        raise DomainError(_("Uren keurt het leerbedrijf goed."))
    entry = _entry(internship, week_start)
    if entry.status != HoursStatus.SUBMITTED:
        raise DomainError(_("Deze week is al goedgekeurd."))
    seen_hours = _seen(seen)
    if seen_hours is None or not _approve_one(entry.id, seen_hours, user):
        db.session.rollback()
        raise _changed_error(week_start)
    record("hours.approve", entry, actor=user, week=week_start, hours=seen_hours)
    db.session.commit()


def approve_all(internship: Internship, *, user: User, side: str,
                seen: dict[date, object]) -> tuple[int, list[date]]:  # fmt: skip
    """ "Alles goedkeuren" for the weeks listed on the meester's page (`seen`: week -> hours shown).
    Returns how many were approved and the weeks that changed meanwhile (left waiting)."""
    if side != "company":
        raise DomainError(_("Uren keurt het leerbedrijf goed."))
    entries = {e.week_start: e for e in waiting(internship)}
    approved, changed = 0, []
    for week in sorted(seen):
        entry = entries.get(week)
        seen_hours = _seen(seen[week])
        if entry is None or seen_hours is None or not _approve_one(entry.id, seen_hours, user):
            changed.append(week)
            continue
        approved += 1
    if approved:
        record("hours.approve_all", internship, actor=user, weeks=approved)
    db.session.commit()
    return approved, changed


def correct(internship: Internship, *, user: User, side: str, week_start: date, seen, hours,
            note: str) -> HoursEntry:  # fmt: skip
    """The meester approves another number than logged, with a note (also for a week approved
    before). The student is told."""
    if side != "company":
        raise DomainError(_("Uren past het leerbedrijf aan."))
    entry = _entry(internship, week_start)
    value = parse_hours(hours)
    note = (note or "").strip()
    if len(note) < 3:
        raise DomainError(_("Schrijf kort waarom je de uren aanpast."), "note")
    if len(note) > NOTE_MAX:
        raise DomainError(_("De toelichting mag hooguit 1000 tekens zijn."), "note")
    if abs(value - entry.hours) < SAME:
        raise DomainError(
            _("Dit is het aantal dat de student invulde: keur de week dan goed."), "hours"
        )
    seen_hours = _seen(seen)
    done = (
        seen_hours is not None
        and db.session.execute(
            update(HoursEntry)
            .where(HoursEntry.id == entry.id, func.abs(HoursEntry.hours - seen_hours) < SAME)
            .values(
                status=HoursStatus.CORRECTED,
                approved_hours=value,
                approved_by_id=user.id,
                approved_at=utcnow(),
                correction_note=note,
            )  # fmt: skip
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    if not done:
        db.session.rollback()
        raise _changed_error(week_start)
    db.session.refresh(entry)
    record("hours.correct", entry, actor=user, week=week_start, hours=entry.hours,
           approved_hours=value, note=note)  # fmt: skip
    db.session.commit()
    _tell_student(internship, entry)
    return entry


def _seen(value) -> float | None:
    try:
        return parse_hours(value)
    except DomainError:
        return None


# --- who hears of it -----------------------------------------------------------------------------


def _tell_company(internship: Internship, on: date) -> None:
    """The company side (the place's firm and a partner firm whose meester supervises) hears that
    hours wait, at most once per placement per week."""
    from stagematch.services.internships import company_accounts
    from stagematch.services.notifications import notify, phrase, site_path

    name = internship.student.user.name if internship.student else "?"
    url = site_path("internships.page", internship_id=internship.id, _anchor="uren")
    key = f"hours:{internship.id}:{monday(on).isoformat()}"
    for user in company_accounts(internship):
        notify(user, "hours_waiting", key, phrase(WAITING_TEXT, name=name), url)


def _tell_student(internship: Internship, entry: HoursEntry) -> None:
    from stagematch.services.notifications import notify, phrase, site_path

    if internship.student is None:
        return
    url = site_path("internships.page", internship_id=internship.id, _anchor="uren")
    key = f"hours_corrected:{entry.id}:{entry.approved_at:%Y%m%d%H%M%S}"
    notify(internship.student.user, "hours_corrected", key,
           phrase(CORRECTED_TEXT, date=entry.week_start, hours=entry.approved_hours,
                  note=entry.correction_note), url)  # fmt: skip


# --- overdue and missing weeks for the coordinator -----------------------------------------------


@dataclass
class Attention:
    """A placement whose hours need the coordinator's attention."""

    internship_id: int
    company_id: int
    student_name: str | None
    overdue: list[date] = field(default_factory=list)  # weeks submitted, waiting too long
    missing: list[date] = field(default_factory=list)  # past weeks without an entry

    @property
    def count(self) -> int:
        return len(self.overdue) + len(self.missing)


def attention(*, school: School | None = None, internship_ids=None,
              on: date | None = None) -> dict[int, Attention]:  # fmt: skip
    """Overdue and missing weeks of the active placements of `school` (or of `internship_ids`),
    by three queries: the placements, their signed agreements, their entries."""
    on = on or today()
    student = aliased(User)
    stmt = (
        select(Internship.id, Placement.company_id, student.name, Internship.start_date,
               Internship.end_date, Internship.ended_at)
        .join(Placement, Placement.id == Internship.placement_id)
        .outerjoin(StudentProfile, StudentProfile.id == Internship.student_id)
        .outerjoin(student, student.id == StudentProfile.user_id)
        .where(Internship.status == InternshipStatus.ACTIVE, Internship.start_date <= on)
    )  # fmt: skip
    if school is not None:
        stmt = stmt.where(Internship.school_id == school.id)
    if internship_ids is not None:
        ids = list(internship_ids)
        if not ids:
            return {}
        stmt = stmt.where(Internship.id.in_(ids))
    placements = db.session.execute(stmt).all()
    if not placements:
        return {}
    ids = [row[0] for row in placements]
    signed = set(
        db.session.scalars(
            select(AgreementVersion.internship_id)
            .where(AgreementVersion.internship_id.in_(ids),
                   AgreementVersion.status == AgreementStatus.SIGNED)
            .distinct()
        )
    )  # fmt: skip
    logged: dict[int, dict[date, str]] = defaultdict(dict)
    for internship_id, week, status in db.session.execute(
        select(HoursEntry.internship_id, HoursEntry.week_start, HoursEntry.status).where(
            HoursEntry.internship_id.in_(ids)
        )
    ):
        logged[internship_id][week] = status
    overdue_before = on - timedelta(days=6 + OVERDUE_AFTER_DAYS)  # Mondays before this are late
    found: dict[int, Attention] = {}
    for internship_id, company_id, name, start, end, ended_at in placements:
        item = Attention(internship_id, company_id, name)
        entries = logged.get(internship_id, {})
        item.overdue = sorted(
            w for w, s in entries.items() if s == HoursStatus.SUBMITTED and w < overdue_before
        )
        if internship_id in signed:
            shape = SimpleNamespace(start_date=start, end_date=end, ended_at=ended_at)
            item.missing = [
                w
                for w in placement_weeks(shape, until=on)
                if w + timedelta(days=6) < on and w not in entries
            ]
        if item.count:
            found[internship_id] = item
    return found


def attention_counts(internship_ids, on: date | None = None) -> dict[int, int]:
    """Overdue plus missing weeks per placement (for the coordinator's list)."""
    return {i: a.count for i, a in attention(internship_ids=internship_ids, on=on).items()}


def flag_candidates(
    school: School, on: date | None = None
) -> list[tuple[str, str, object, int, int]]:
    """(flag kind, subject key, phrase, internship id, company id) per placement with overdue or
    missing weeks; keyed on the oldest such week, so a backlog is flagged once (and again only
    when a later week falls behind after the earlier ones were dealt with)."""
    from stagematch.matching.text import Phrase

    found = []
    for a in attention(school=school, on=on).values():
        name = a.student_name or "?"
        if a.overdue:
            found.append(("hours_overdue", f"hours:{a.internship_id}:{a.overdue[0].isoformat()}",
                          Phrase(OVERDUE_TEXT, name=name, date=a.overdue[0]),
                          a.internship_id, a.company_id))  # fmt: skip
        if a.missing:
            found.append(("hours_missing", f"hours:{a.internship_id}:{a.missing[0].isoformat()}",
                          Phrase(MISSING_TEXT, name=name, date=a.missing[0]),
                          a.internship_id, a.company_id))  # fmt: skip
    return found
