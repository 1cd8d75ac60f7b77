"""Ending a placement early (issue 17, item 6), the school's protocol.

Any party — the student, an account of the leerbedrijf, a coordinator of the student's school —
asks to end the placement early, with an explanation and a proposed last day. A placement has at
most one open request (a partial unique index); the requester may withdraw it. A coordinator of
the student's school decides: approve with a reason from a fixed list and the last day, or reject
with a note. Of two coordinators deciding at once exactly one wins (one conditional UPDATE on the
request row).

Approving ends the placement through `applications.end_internship` (terminated), so the seat and
the meester's time are freed by `services.capacity` from the day after the last day; the outcome
follows the reason. Afterwards the student gets help to find a replacement place: suggestions
from the ordinary search (the eligibility rules as everywhere) narrowed to places that fit the
weeks left of the original period and start within four weeks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from stagematch.extensions import db
from stagematch.matching.text import N_
from stagematch.models import AuditEvent, EndRequest, EndRequestStatus, Internship, User
from stagematch.models.enums import InternshipOutcome, InternshipStatus, Role
from stagematch.services import DomainError
from stagematch.services.audit import record
from stagematch.timeutil import today, utcnow

EXPLANATION_MAX = 2000
NOTE_MAX = 2000
REPLACEMENT_START_WEEKS = 4  # a replacement place starts within this many weeks
OTHER = "other"

# The coordinator's reasons (fixed list) and the outcome each one gives the placement.
REASONS = {
    "insufficient_supervision": _l("Onvoldoende begeleiding"),
    "illness_personal": _l("Ziekte of persoonlijke omstandigheden"),
    "not_suitable": _l("Niet passend bij de opleiding"),
    "conduct": _l("Gedrag of afspraken niet nagekomen"),
    "company_stops": _l("Bedrijf stopt of reorganiseert"),
    "student_quits": _l("Student stopt met de opleiding"),
    "switch_programme": _l("Overstap naar een andere opleiding"),
    OTHER: _l("Anders"),
}
REASON_OUTCOME = {
    "insufficient_supervision": InternshipOutcome.ENDED_BY_COMPANY,
    "illness_personal": InternshipOutcome.DROPPED_OUT,
    "not_suitable": InternshipOutcome.DROPPED_OUT,
    "conduct": InternshipOutcome.ENDED_BY_COMPANY,
    "company_stops": InternshipOutcome.ENDED_BY_COMPANY,
    "student_quits": InternshipOutcome.DROPPED_OUT,
    "switch_programme": InternshipOutcome.DROPPED_OUT,
}
SIDE_LABELS = {
    "student": _l("de student"),
    "company": _l("het leerbedrijf"),
    "school": _l("de school"),
}

# Notification texts (translated for the reader): (for the student, for the others).
REQUESTED_TEXT = (
    N_("Er is gevraagd je stage bij %(name)s eerder te beëindigen (laatste dag %(date)s)."),
    N_("Er is gevraagd de stage van %(name)s eerder te beëindigen (laatste dag %(date)s)."),
)
WITHDRAWN_TEXT = (
    N_("Het verzoek om je stage bij %(name)s eerder te beëindigen is ingetrokken."),
    N_("Het verzoek om de stage van %(name)s eerder te beëindigen is ingetrokken."),
)
APPROVED_TEXT = (
    N_(
        "De school heeft besloten: je stage bij %(name)s eindigt op %(date)s. Er staat hulp "
        "klaar bij een nieuwe plek."
    ),
    N_("De school heeft besloten: de stage van %(name)s eindigt op %(date)s."),
)
REJECTED_TEXT = (
    N_("De school heeft besloten: je stage bij %(name)s gaat door."),
    N_("De school heeft besloten: de stage van %(name)s gaat door."),
)


def outcome_for(reason_code: str, requested_role: str) -> str:
    """The placement's outcome: by the reason; for "anders" by who asked."""
    if reason_code in REASON_OUTCOME:
        return REASON_OUTCOME[reason_code]
    if requested_role == "company":
        return InternshipOutcome.ENDED_BY_COMPANY
    return InternshipOutcome.DROPPED_OUT


# --- reading ---------------------------------------------------------------------------------------


def open_request(internship: Internship) -> EndRequest | None:
    return db.session.scalar(
        select(EndRequest).where(
            EndRequest.internship_id == internship.id, EndRequest.status == EndRequestStatus.OPEN
        )
    )


def approved_request(internship: Internship) -> EndRequest | None:
    return db.session.scalar(
        select(EndRequest)
        .where(
            EndRequest.internship_id == internship.id,
            EndRequest.status == EndRequestStatus.APPROVED,
        )
        .order_by(EndRequest.id.desc())
        .limit(1)
    )


def history(internship: Internship) -> list[EndRequest]:
    """Every request of the placement, newest first."""
    return list(
        db.session.scalars(
            select(EndRequest)
            .where(EndRequest.internship_id == internship.id)
            .order_by(EndRequest.created_at.desc(), EndRequest.id.desc())
        )
    )


def open_requests_statement(school_id: int):
    return (
        select(EndRequest)
        .join(Internship, Internship.id == EndRequest.internship_id)
        .where(Internship.school_id == school_id, EndRequest.status == EndRequestStatus.OPEN)
        .order_by(EndRequest.created_at, EndRequest.id)
    )


def open_count(school_id: int | None) -> int:
    if school_id is None:
        return 0
    return db.session.scalar(
        select(func.count(EndRequest.id))
        .join(Internship, Internship.id == EndRequest.internship_id)
        .where(Internship.school_id == school_id, EndRequest.status == EndRequestStatus.OPEN)
    )


def last_day_bounds(internship: Internship) -> tuple[date, date]:
    """The last day may be from the day before the start up to the day before the planned end
    (`end_date` is exclusive)."""
    first = internship.start_date - timedelta(days=1)
    last = max(first, internship.end_date - timedelta(days=1))
    return first, last


def _check_last_day(internship: Internship, last_day: date | None) -> date:
    if last_day is None:
        raise DomainError(_("Vul de laatste stagedag in."), field="last_day")
    first, last = last_day_bounds(internship)
    if not first <= last_day <= last:
        raise DomainError(
            _("Kies een laatste dag tussen %(first)s en %(last)s.",
              first=first.strftime("%d-%m-%Y"), last=last.strftime("%d-%m-%Y")),
            field="last_day",
        )  # fmt: skip
    return last_day


def _text(value: str | None, *, field: str, limit: int, required: str | None) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(required, field=field)
    if len(value) > limit:
        raise DomainError(_("Dit is te lang (hoogstens %(n)s tekens).", n=limit), field=field)
    return value


# --- asking and withdrawing --------------------------------------------------------------------------


def ask(internship: Internship, *, user: User, side: str, explanation: str,
        last_day: date | None) -> EndRequest:  # fmt: skip
    """`user` (of `side`) asks to end the placement early. A second open request is refused."""
    if internship.status != InternshipStatus.ACTIVE:
        raise DomainError(_("Deze stage is al afgesloten."))
    if internship.school_id is None:  # a zij-instromer hired before choosing a school
        raise DomainError(
            _("Er is nog geen school die hierover beslist: er is nog geen praktijkovereenkomst. "
              "Kies eerst samen een school.")
        )  # fmt: skip
    explanation = _text(explanation, field="explanation", limit=EXPLANATION_MAX,
                        required=_("Leg kort uit waarom de stage eerder moet stoppen."))  # fmt: skip
    last_day = _check_last_day(internship, last_day)
    if open_request(internship) is not None:
        raise DomainError(_("Er loopt al een verzoek om deze stage te beëindigen."))
    request = EndRequest(internship_id=internship.id, requested_by_id=user.id,
                         requested_role=side, explanation=explanation, wanted_end=last_day)  # fmt: skip
    db.session.add(request)
    try:
        db.session.flush()  # the partial unique index: one open request per placement
    except IntegrityError:
        db.session.rollback()
        raise DomainError(_("Er loopt al een verzoek om deze stage te beëindigen.")) from None
    record("end_request.ask", request, actor=user, internship=internship.id, last_day=last_day)
    db.session.commit()
    _tell(internship, "end_requested", f"end_request:{request.id}",
          REQUESTED_TEXT, exclude=user, date=last_day)  # fmt: skip
    return request


def withdraw(internship: Internship, *, user: User) -> EndRequest:
    """The requester takes back their open request."""
    request = open_request(internship)
    if request is None:
        raise DomainError(_("Er is geen open verzoek om deze stage te beëindigen."))
    if request.requested_by_id != user.id:
        raise DomainError(_("Alleen wie het verzoek deed, kan het intrekken."))
    done = db.session.execute(
        update(EndRequest)
        .where(EndRequest.id == request.id, EndRequest.status == EndRequestStatus.OPEN)
        .values(status=EndRequestStatus.WITHDRAWN, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        db.session.rollback()
        raise DomainError(_("Over dit verzoek is al besloten."))
    record("end_request.withdraw", request, actor=user, internship=internship.id)
    db.session.commit()
    db.session.refresh(request)
    _tell(internship, "end_withdrawn", f"end_request:{request.id}", WITHDRAWN_TEXT, exclude=user)
    return request


# --- the coordinator's decision ------------------------------------------------------------------------


def decide(internship: Internship, *, user: User, approve: bool, reason_code: str | None = None,
           note: str = "", last_day: date | None = None) -> EndRequest:  # fmt: skip
    """A coordinator of the student's school approves (with a reason from REASONS and the last
    day: the placement ends, `applications.end_internship`) or rejects (with a note) the open
    request. Of two decisions at once exactly one is taken; the other gets a DomainError."""
    from stagematch.services.applications import end_internship

    if user.role != Role.COORDINATOR or user.school_id != internship.school_id:
        raise DomainError(
            _("Alleen een coördinator van de school van de student beslist hierover.")
        )
    request = open_request(internship)
    if request is None:
        raise DomainError(_("Over dit verzoek is al besloten."))
    if approve:
        if reason_code not in REASONS:
            raise DomainError(_("Kies een reden."), field="reason")
        note = _text(note, field="note", limit=NOTE_MAX,
                     required=_("Schrijf bij 'anders' kort de reden.") if reason_code == OTHER else None)  # fmt: skip
        last_day = _check_last_day(internship, last_day)
    else:
        reason_code, last_day = None, None
        note = _text(note, field="note", limit=NOTE_MAX,
                     required=_("Schrijf kort waarom de stage doorgaat."))  # fmt: skip
    status = EndRequestStatus.APPROVED if approve else EndRequestStatus.REJECTED
    done = db.session.execute(
        update(EndRequest)
        .where(EndRequest.id == request.id, EndRequest.status == EndRequestStatus.OPEN)
        .values(status=status, reason_code=reason_code, decision_note=note,
                decided_by_id=user.id, decided_at=utcnow(),
                wanted_end=last_day if approve else EndRequest.wanted_end)
        .execution_options(synchronize_session=False)
    ).rowcount  # fmt: skip
    if done != 1:
        db.session.rollback()
        raise DomainError(_("Over dit verzoek is al besloten."))
    record(f"end_request.{status}", request, actor=user, internship=internship.id,
           reason=reason_code, last_day=last_day)  # fmt: skip
    try:
        if approve:
            # Commits the decision and the ending together; frees seat and capacity.
            end_internship(internship, outcome=outcome_for(reason_code, request.requested_role),
                           terminated=True, last_day=last_day)  # fmt: skip
        else:
            db.session.commit()
    except DomainError:
        db.session.rollback()
        raise
    db.session.refresh(request)
    key = f"end_request:{request.id}"
    if approve:
        _tell(internship, "end_decided", key, APPROVED_TEXT, exclude=user, date=last_day)
    else:
        _tell(internship, "end_decided", key, REJECTED_TEXT, exclude=user)
    return request


# --- a replacement place ---------------------------------------------------------------------------------


@dataclass
class Replacement:
    """Help to find a new place after an approved early ending."""

    request: EndRequest
    original_end: date  # the planned end of the original period (exclusive)
    weeks_left: int
    start_by: date
    hits: list  # search hits (services/search.py Hit)
    discussed_at: object = None  # when the coordinator noted it was discussed with the student


def original_end(internship: Internship) -> date:
    """The planned end of the original period: the agreement's, else the place's length from
    the start (ending early has moved `end_date`)."""
    from stagematch.services.agreements import current_version

    version = current_version(internship)
    content = (getattr(version, "content", None) or {}) if version is not None else {}
    planned = content.get("end_date") if isinstance(content, dict) else None
    try:
        if planned:
            return date.fromisoformat(str(planned)[:10])
    except ValueError:
        pass
    return internship.start_date + timedelta(weeks=internship.placement.duration_weeks)


def replacement(
    internship: Internship, *, limit: int = 5, on: date | None = None
) -> Replacement | None:
    """After an approved request: places of the student's qualification (its dossier) and leerweg
    that the rules allow, start within REPLACEMENT_START_WEEKS weeks and fit in the weeks left of
    the original period — through the ordinary search and its ranking."""
    from stagematch.ranking.rankers import make_ranker, profile_filters
    from stagematch.services.search import search

    request = approved_request(internship)
    profile = internship.student
    if request is None or profile is None:
        return None
    on = on or today()
    end = original_end(internship)
    free_from = max(on, (internship.ended_at or on) + timedelta(days=1))
    weeks_left = max(0, (end - free_from).days // 7)
    start_by = on + timedelta(weeks=REPLACEMENT_START_WEEKS)
    hits = []
    if weeks_left > 0:
        filters = profile_filters(profile)
        filters.start_from, filters.start_to = on, start_by
        result = search(filters, per_page=200, ranker=make_ranker(profile))
        hits = [h for h in result.hits if h.placement.duration_weeks <= weeks_left][:limit]
    return Replacement(request, end, weeks_left, start_by, hits, discussed_at(request))


def discussed_at(request: EndRequest):
    """When a coordinator last noted the replacement was discussed (kept in the audit log)."""
    return db.session.scalar(
        select(func.max(AuditEvent.at)).where(
            AuditEvent.action == "end_request.replacement_discussed",
            AuditEvent.object_type == "endrequest",
            AuditEvent.object_id == request.id,
        )
    )


def note_discussed(internship: Internship, *, user: User) -> None:
    """The coordinator notes that the replacement places were discussed with the student."""
    request = approved_request(internship)
    if request is None:
        raise DomainError(_("Deze stage is niet eerder beëindigd."))
    record("end_request.replacement_discussed", request, actor=user, internship=internship.id)
    db.session.commit()


# --- who hears of it ---------------------------------------------------------------------------------------


def _tell(internship: Internship, kind: str, key: str, texts: tuple[str, str], *, exclude: User,
          **values) -> None:  # fmt: skip
    """Every party of the placement but the one who acted: the student, the leerbedrijf's
    accounts, the school's coordinators."""
    from stagematch.services.meetings import recipients
    from stagematch.services.notifications import notify, phrase, site_path

    url = site_path("internships.page", internship_id=internship.id, _anchor="beeindigen")
    student_name = internship.student.user.name if internship.student else "?"
    seen = set()
    for user in recipients(internship, side=""):
        if user.id == exclude.id or user.id in seen:
            continue
        seen.add(user.id)
        # The student reads the company's name, the others the student's.
        if user.role == Role.STUDENT:
            message = phrase(texts[0], name=internship.placement.company.name, **values)
        else:
            message = phrase(texts[1], name=student_name, **values)
        notify(user, kind, key, message, url)
