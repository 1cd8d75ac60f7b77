"""The three meetings of a placement (issue 17, Stagepact mbo): start, midway and final, each of
student, school and company.

Any party plans a meeting with a date and who attends, and may move it until it is held; after
the date the school or the company records "gehouden op" and notes. A meeting is *missed* when
its date passed more than `MISSED_AFTER_DAYS` days without being held, or when the start meeting
of a running placement is still not planned when week 3 begins (it belongs in the first two
weeks). Missed meetings show on the placement page and become coordinator flags."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from stagematch.extensions import db
from stagematch.matching.text import N_
from stagematch.models import Internship, Meeting, MeetingKind, Placement, School, User
from stagematch.models.enums import InternshipStatus, Role
from stagematch.services import DomainError
from stagematch.services.audit import record
from stagematch.timeutil import today

KINDS = (MeetingKind.START, MeetingKind.MIDWAY, MeetingKind.FINAL)
KIND_LABELS = {
    MeetingKind.START: _l("Startgesprek"),
    MeetingKind.MIDWAY: _l("Tussengesprek"),
    MeetingKind.FINAL: _l("Eindgesprek"),
}
MISSED_AFTER_DAYS = 7  # a planned date this many days past without "gehouden op": missed
START_PLANNED_BY_DAYS = 14  # week 3 of the placement begins: the start meeting must be planned
PLAN_MARGIN_DAYS = 28  # a meeting may be planned this long before the start or after the end
NOTES_MAX = 5000
EXTRA_MAX = 200

# Notification texts, one per kind (translated for the reader).
PLANNED_TEXT = {
    MeetingKind.START: N_("Het startgesprek met %(name)s is gepland op %(date)s."),
    MeetingKind.MIDWAY: N_("Het tussengesprek met %(name)s is gepland op %(date)s."),
    MeetingKind.FINAL: N_("Het eindgesprek met %(name)s is gepland op %(date)s."),
}
MOVED_TEXT = {
    MeetingKind.START: N_("Het startgesprek met %(name)s is verzet naar %(date)s."),
    MeetingKind.MIDWAY: N_("Het tussengesprek met %(name)s is verzet naar %(date)s."),
    MeetingKind.FINAL: N_("Het eindgesprek met %(name)s is verzet naar %(date)s."),
}
# Flag texts (coordinator's work queue).
MISSED_TEXT = {
    MeetingKind.START: N_("Het startgesprek van %(name)s (gepland op %(date)s) is niet gehouden."),
    MeetingKind.MIDWAY: N_(
        "Het tussengesprek van %(name)s (gepland op %(date)s) is niet gehouden."
    ),
    MeetingKind.FINAL: N_("Het eindgesprek van %(name)s (gepland op %(date)s) is niet gehouden."),
}
START_NOT_PLANNED_TEXT = N_("Het startgesprek van %(name)s is in week 3 nog niet gepland.")


class Status:
    UNPLANNED = "unplanned"
    PLANNED = "planned"
    HELD = "held"
    MISSED = "missed"


@dataclass
class Attendees:
    """Who attends, as planned: names, so the record reads the same when accounts change."""

    student: str = ""
    meester: str = ""
    school: str = ""
    extra: str = ""

    def to_text(self) -> str:
        return json.dumps(
            {k: v for k, v in vars(self).items() if v}, ensure_ascii=False, sort_keys=True
        )

    @classmethod
    def from_text(cls, text: str | None) -> Attendees:
        try:
            data = json.loads(text or "{}")
        except ValueError:
            return cls(extra=text or "")
        if not isinstance(data, dict):
            return cls()
        return cls(**{k: str(data.get(k) or "") for k in ("student", "meester", "school", "extra")})

    def names(self) -> list[str]:
        return [v for v in (self.student, self.meester, self.school, self.extra) if v]


@dataclass
class MeetingRow:
    """One of the three meetings as a side sees it on the placement page."""

    kind: str
    label: object
    meeting: Meeting | None
    status: str
    suggested: date
    window: tuple[date, date]
    attendees: Attendees


def _weekday(day: date) -> date:
    """A working day near `day`: Saturday becomes Friday, Sunday Monday."""
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def window(internship: Internship, kind: str) -> tuple[date, date]:
    """When the meeting should take place: the start meeting in the first two weeks, the midway
    meeting around half-time, the final meeting in the last two weeks."""
    start, end = internship.start_date, internship.end_date
    if kind == MeetingKind.START:
        return start, min(end, start + timedelta(days=13))
    if kind == MeetingKind.FINAL:
        return max(start, end - timedelta(days=13)), end
    middle = start + (end - start) / 2
    return max(start, middle - timedelta(days=7)), min(end, middle + timedelta(days=7))


def suggested_date(internship: Internship, kind: str) -> date:
    start, end = internship.start_date, internship.end_date
    if kind == MeetingKind.START:
        day = start + timedelta(days=7)
    elif kind == MeetingKind.FINAL:
        day = end - timedelta(days=7)
    else:
        day = start + (end - start) / 2
    day = min(max(_weekday(day), start), end)
    return max(day, today()) if day < today() <= end else day


def status_of(internship: Internship, kind: str, meeting: Meeting | None, on: date) -> str:
    if meeting is not None and meeting.held_on is not None:
        return Status.HELD
    if meeting is not None and meeting.planned_on is not None:
        late = meeting.planned_on + timedelta(days=MISSED_AFTER_DAYS) < on
        return Status.MISSED if late else Status.PLANNED
    running = internship.status == InternshipStatus.ACTIVE and on <= internship.end_date
    if (
        kind == MeetingKind.START
        and running
        and on >= internship.start_date + timedelta(days=START_PLANNED_BY_DAYS)
    ):
        return Status.MISSED
    return Status.UNPLANNED


def rows(internship: Internship, on: date | None = None) -> list[MeetingRow]:
    on = on or today()
    by_kind = {m.kind: m for m in internship.meetings}
    return [
        MeetingRow(kind, KIND_LABELS[kind], by_kind.get(kind),
                   status_of(internship, kind, by_kind.get(kind), on),
                   suggested_date(internship, kind), window(internship, kind),
                   Attendees.from_text(by_kind[kind].attendees if kind in by_kind else ""))
        for kind in KINDS
    ]  # fmt: skip


def meeting_of(internship: Internship, kind: str) -> Meeting | None:
    return next((m for m in internship.meetings if m.kind == kind), None)


# --- planning ------------------------------------------------------------------------------------


def plan(internship: Internship, *, kind: str, user: User, side: str, planned_on: date,
         attendees: Attendees) -> Meeting:  # fmt: skip
    """Plan the meeting, or move it to another date (until it is held). The other parties are
    told. Raises DomainError (field `planned_on` or `attendees`)."""
    if kind not in KINDS:
        raise DomainError(_("Dit gesprek bestaat niet."))
    if internship.status != InternshipStatus.ACTIVE:
        raise DomainError(_("Deze stage is afgesloten; er valt niets meer te plannen."))
    meeting = meeting_of(internship, kind)
    if meeting is not None and meeting.held_on is not None:
        raise DomainError(_("Dit gesprek is al gehouden; de datum staat vast."), "planned_on")
    if planned_on < today():
        raise DomainError(_("Kies een datum vanaf vandaag."), "planned_on")
    first = internship.start_date - timedelta(days=PLAN_MARGIN_DAYS)
    last = internship.end_date + timedelta(days=PLAN_MARGIN_DAYS)
    if not first <= planned_on <= last:
        raise DomainError(
            _("Kies een datum tussen %(first)s en %(last)s (rond de stageperiode).",
              first=first.strftime("%d-%m-%Y"), last=last.strftime("%d-%m-%Y")),
            "planned_on",
        )  # fmt: skip
    if not attendees.names():
        raise DomainError(_("Kies wie er bij het gesprek zijn."), "attendees")
    if len(attendees.extra) > EXTRA_MAX:
        raise DomainError(_("Schrijf de andere deelnemers in hooguit 200 tekens."), "attendees")
    moved_from = meeting.planned_on if meeting is not None else None
    if meeting is None:
        meeting = Meeting(internship_id=internship.id, kind=kind)
        db.session.add(meeting)
    meeting.planned_on = planned_on
    meeting.attendees = attendees.to_text()
    meeting.planned_by_id = user.id
    db.session.flush()
    record("meeting.plan" if moved_from is None else "meeting.move", meeting,
           actor=user, kind=kind, planned_on=planned_on, moved_from=moved_from)  # fmt: skip
    try:
        db.session.commit()
    except IntegrityError as error:  # another party planned this meeting at the same moment
        db.session.rollback()
        raise DomainError(
            _(
                "Iemand anders heeft dit gesprek net gepland. Bekijk de datum en verzet hem zo nodig."
            ),
            "planned_on",
        ) from error
    if moved_from != planned_on:
        _tell_others(internship, meeting, side=side, moved=moved_from is not None)
    return meeting


def record_held(internship: Internship, *, kind: str, user: User, side: str, held_on: date,
                notes: str) -> Meeting:  # fmt: skip
    """The school or the company records that the meeting was held, with notes."""
    if side not in ("school", "company"):
        raise DomainError(_("Het verslag van een gesprek schrijft de school of het leerbedrijf."))
    meeting = meeting_of(internship, kind)
    if meeting is None or meeting.planned_on is None:
        raise DomainError(_("Plan dit gesprek eerst."), "held_on")
    if held_on > today():
        raise DomainError(_("Een gesprek kan niet in de toekomst gehouden zijn."), "held_on")
    if held_on < internship.start_date - timedelta(days=PLAN_MARGIN_DAYS):
        raise DomainError(_("Deze datum ligt ver voor het begin van de stage."), "held_on")
    notes = (notes or "").strip()
    if len(notes) < 3:
        raise DomainError(_("Schrijf kort wat er besproken is."), "notes")
    if len(notes) > NOTES_MAX:
        raise DomainError(_("Het verslag mag hooguit 5000 tekens zijn."), "notes")
    changed = meeting.held_on is not None
    meeting.held_on = held_on
    meeting.notes = notes
    meeting.notes_by_id = user.id
    record("meeting.notes" if changed else "meeting.held", meeting, actor=user, kind=kind,
           held_on=held_on)  # fmt: skip
    db.session.commit()
    return meeting


# --- who hears of it -----------------------------------------------------------------------------


def recipients(internship: Internship, side: str, *, actor: User | None = None) -> list[User]:
    """The other parties' accounts: the student, the company side's accounts (the place's firm
    and a partner firm whose meester supervises: `internships.company_accounts`), the school's
    coordinators — without the side that acted (when the company side acted, the other firm of
    a shared placement still hears of it: pass the `actor`)."""
    from stagematch.services.internships import company_accounts, company_ids_of

    users: list[User] = []
    if side != "student" and internship.student is not None:
        users.append(internship.student.user)
    if side != "company":
        users += company_accounts(internship)
    elif actor is not None and (firms := company_ids_of(internship) - {actor.company_id}):
        users += company_accounts(internship, firm_ids=firms)
    if side != "school":
        users += db.session.scalars(
            select(User)
            .where(User.school_id == internship.school_id, User.role == Role.COORDINATOR,
                   User.is_active_account.is_(True))
            .order_by(User.id)
        ).all()  # fmt: skip
    return users


def _tell_others(internship: Internship, meeting: Meeting, *, side: str, moved: bool) -> None:
    from stagematch.services.notifications import notify, phrase, site_path

    url = site_path("internships.page", internship_id=internship.id, _anchor="gesprekken")
    text = (MOVED_TEXT if moved else PLANNED_TEXT)[meeting.kind]
    student_name = internship.student.user.name if internship.student else "?"
    key = f"meeting:{meeting.id}:{meeting.planned_on.isoformat()}"
    actor = db.session.get(User, meeting.planned_by_id) if meeting.planned_by_id else None
    for user in recipients(internship, side, actor=actor):
        # The student reads the company's name, the others the student's.
        name = internship.placement.company.name if user.role == Role.STUDENT else student_name
        notify(user, "meeting_planned", key, phrase(text, name=name, date=meeting.planned_on), url)


# --- missed meetings for the coordinator's flags -------------------------------------------------


@dataclass
class Missed:
    internship_id: int
    company_id: int
    kind: str
    planned_on: date | None
    student_name: str | None


def missed_for_school(school: School, on: date | None = None) -> list[Missed]:
    """Missed meetings of the school's active placements, by two set-based queries."""
    from stagematch.models import StudentProfile

    on = on or today()
    student = aliased(User)
    base = (
        select(Internship.id, Placement.company_id, student.name)
        .join(Placement, Placement.id == Internship.placement_id)
        .outerjoin(StudentProfile, StudentProfile.id == Internship.student_id)
        .outerjoin(student, student.id == StudentProfile.user_id)
        .where(Internship.school_id == school.id, Internship.status == InternshipStatus.ACTIVE)
    )
    found = [
        Missed(iid, company_id, kind, planned_on, name)
        for iid, company_id, name, kind, planned_on in db.session.execute(
            base.add_columns(Meeting.kind, Meeting.planned_on)
            .join(Meeting, Meeting.internship_id == Internship.id)
            .where(
                Meeting.held_on.is_(None),
                Meeting.planned_on.is_not(None),
                Meeting.planned_on < on - timedelta(days=MISSED_AFTER_DAYS),
            )
        )  # fmt: skip
    ]
    start = aliased(Meeting)
    found += [
        Missed(iid, company_id, MeetingKind.START, None, name)
        for iid, company_id, name in db.session.execute(
            base.outerjoin(
                start, and_(start.internship_id == Internship.id, start.kind == MeetingKind.START)
            ).where(
                Internship.start_date <= on - timedelta(days=START_PLANNED_BY_DAYS),
                Internship.end_date >= on,
                start.planned_on.is_(None),
            )
        )  # fmt: skip
    ]
    return found
