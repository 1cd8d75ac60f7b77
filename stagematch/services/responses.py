"""How companies answer applications, and how many applications a place is holding: the one
home for these numbers. The ranking reads them (as they stand now when it ranks, as they stood
on an earlier day when it trains: `history_rows`) and the place page shows them to students.

- An application is **answered** when the company shortlisted it, made an offer, or rejected
  it; its answer time is the first of those moments. A student who withdrew before any answer
  asked nothing of the company: such an application does not count.
- A company's **answer rate** on a day counts its applications whose answer period
  (`APPLICATION_ANSWER_DAYS`, 14 days) had ended by then, and of those the ones answered by
  then.
- A place's **open applications**: made and not decided yet (submitted, shortlisted or
  offered); divided by its free seats, the competition a new applicant meets."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, not_, or_, select

from stagematch.extensions import db
from stagematch.models import Application, Placement
from stagematch.models.enums import ApplicationStatus

DEFAULT_ANSWER_DAYS = 14
OPEN_STATUSES = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.SHORTLISTED,
    ApplicationStatus.OFFERED,
)
CHUNK = 5000


def answer_days() -> int:
    return int(current_app.config.get("APPLICATION_ANSWER_DAYS", DEFAULT_ANSWER_DAYS))


def answered_sql(a=Application):
    return or_(
        a.shortlisted_at.is_not(None),
        a.offered_at.is_not(None),
        a.status == ApplicationStatus.REJECTED,
    )


def counted_sql(a=Application):
    """Applications that asked the company something (not withdrawn before any answer)."""
    return not_(and_(a.status == ApplicationStatus.WITHDRAWN, not_(answered_sql(a))))


def answer_cutoff(on: date | None = None) -> datetime:
    """Applications made before this moment have had their answer period by `on` (today)."""
    from stagematch.timeutil import today

    return datetime.combine((on or today()) - timedelta(days=answer_days()), datetime.min.time())


def _asked_clause(cutoff, a=Application):
    """The applications `company_answers` counts: answer period ended, not withdrawn unanswered."""
    return and_(a.created_at < cutoff, counted_sql(a))


def company_answers(company_ids: Iterable[int], *, on: date | None = None) -> dict[int, tuple]:
    """Per company: (applications whose answer period has ended, of those answered)."""
    ids = sorted(set(company_ids))
    cutoff = answer_cutoff(on)
    result: dict[int, tuple[int, int]] = {}
    answered = func.sum(func.cast(answered_sql(), db.Integer))
    for start in range(0, len(ids), CHUNK):
        rows = db.session.execute(
            select(Placement.company_id, func.count(Application.id), answered)
            .join(Placement, Placement.id == Application.placement_id)
            .where(Placement.company_id.in_(ids[start : start + CHUNK]), _asked_clause(cutoff))
            .group_by(Placement.company_id)
        ).all()  # fmt: skip
        result.update({c: (n, int(ok or 0)) for c, n, ok in rows})
    return result


def company_answers_sql(company_id, cutoff):
    """SQL: `company_answers` of the company `company_id` (a correlated column, e.g. of the place
    being read), as two one-value subqueries (asked, answered) — for one SELECT of a place."""
    from sqlalchemy.orm import aliased

    A, P = aliased(Application), aliased(Placement)  # noqa: N806
    of_company = (
        select(func.count(A.id))
        .join(P, P.id == A.placement_id)
        .where(P.company_id == company_id, _asked_clause(cutoff, A))
    )
    answered = func.coalesce(func.sum(func.cast(answered_sql(A), db.Integer)), 0)
    return (
        of_company.scalar_subquery(),
        of_company.with_only_columns(answered).scalar_subquery(),
    )


def open_applications(placement_ids: Iterable[int]) -> dict[int, int]:
    ids = sorted(set(placement_ids))
    result: dict[int, int] = {}
    for start in range(0, len(ids), CHUNK):
        result.update(db.session.execute(
            select(Application.placement_id, func.count(Application.id))
            .where(Application.placement_id.in_(ids[start : start + CHUNK]),
                   Application.status.in_(OPEN_STATUSES))
            .group_by(Application.placement_id)
        ).tuples().all())  # fmt: skip
    return result


def open_applications_sql(place=Placement):
    """The correlated count of a place's open applications (for one SELECT of many places)."""
    return (
        select(func.count(Application.id))
        .where(Application.placement_id == place.id, Application.status.in_(OPEN_STATUSES))
        .scalar_subquery()
    )


@dataclass(frozen=True)
class HistoryRow:
    """One application, for the history as it stood on an earlier day."""

    company_id: int
    placement_id: int
    created: date
    answered: date | None  # when the company first answered
    closed: date | None  # when it was decided (no longer open)
    counted: bool  # it asked the company something


def history_rows() -> list[HistoryRow]:
    A = Application  # noqa: N806
    rows = db.session.execute(
        select(Placement.company_id, A.placement_id, A.created_at, A.shortlisted_at, A.offered_at,
               A.decided_at, A.updated_at, A.status)
        .join(Placement, Placement.id == A.placement_id)
    ).all()  # fmt: skip
    result = []
    for r in rows:
        answered = _answered_at(r)
        closed = None
        if r.status not in OPEN_STATUSES:
            closed = (r.decided_at or r.updated_at or r.created_at).date()
        withdrawn_unanswered = r.status == ApplicationStatus.WITHDRAWN and answered is None
        result.append(HistoryRow(r.company_id, r.placement_id, r.created_at.date(),
                                 answered.date() if answered else None, closed,
                                 not withdrawn_unanswered))  # fmt: skip
    return result


def _answered_at(r) -> datetime | None:
    moments = [m for m in (r.shortlisted_at, r.offered_at) if m is not None]
    if r.status == ApplicationStatus.REJECTED:
        moments.append(r.decided_at or r.updated_at or r.created_at)
    return min(moments) if moments else None


@dataclass(frozen=True)
class ResponseSummary:
    """What a student sees on a place page about the company's answers."""

    asked: int  # applications whose answer period has ended
    answered: int
    median_days: float | None  # median days to the first answer (answered ones)
    open_applications: int
    free_seats: int

    @property
    def rate(self) -> float | None:
        return self.answered / self.asked if self.asked else None

    @property
    def per_seat(self) -> float:
        return self.open_applications / max(1, self.free_seats)


MIN_SHOWN = 5  # fewer answered-or-not applications: "nog te weinig sollicitaties" instead


@dataclass(frozen=True)
class CompanyResponse:
    """How a company answers: of the applications whose answer period has ended (`asked`), how
    many it answered, and the median days to its first answer."""

    asked: int
    answered: int
    median_days: float | None

    @property
    def rate(self) -> float | None:
        return self.answered / self.asked if self.asked else None

    @property
    def shown(self) -> bool:
        return self.asked >= MIN_SHOWN


MEDIAN_OF = 200  # the median answer time is taken over a company's latest answered applications


def company_responses(company_ids: Iterable[int]) -> dict[int, CompanyResponse]:
    """`CompanyResponse` per company (for the place page and the coordinator's company list)."""
    ids = sorted(set(company_ids))
    answers = company_answers(ids)
    days = median_answer_days(ids)
    result = {}
    for company_id in ids:
        asked, ok = answers.get(company_id, (0, 0))
        result[company_id] = CompanyResponse(asked, ok, days.get(company_id))
    return result


def median_answer_days(company_ids: Iterable[int]) -> dict[int, float]:
    """Per company with answered applications: the median days to the first answer."""
    ids = sorted(set(company_ids))
    cutoff = answer_cutoff()
    A = Application  # noqa: N806
    newest = (
        func.row_number()
        .over(partition_by=Placement.company_id, order_by=(A.created_at.desc(), A.id.desc()))
        .label("n")
    )
    answered = (
        select(Placement.company_id.label("company_id"), A.created_at, A.shortlisted_at,
               A.offered_at, A.decided_at, A.updated_at, A.status, newest)
        .join(Placement, Placement.id == A.placement_id)
        .where(Placement.company_id.in_(ids), A.created_at < cutoff, answered_sql())
        .subquery()
    )  # fmt: skip
    days: dict[int, list[float]] = {}
    for r in db.session.execute(select(answered).where(answered.c.n <= MEDIAN_OF)):
        days.setdefault(r.company_id, []).append(
            (_answered_at(r) - r.created_at).total_seconds() / 86400
        )
    return {company_id: statistics.median(waited) for company_id, waited in days.items()}


def summary(placement: Placement, *, free_seats: int, place=None) -> ResponseSummary:
    """The company's answer rate and median answer time, and the place's open applications.
    `place`: the place's PlaceData (ranking.data), which holds the company's answers and the
    open applications as counted here (`company_answers_sql`, `open_applications_sql`); then
    only the median is read."""
    if place is None:
        company = company_responses([placement.company_id])[placement.company_id]
        asked, answered, median = company.asked, company.answered, company.median_days
        open_now = open_applications([placement.id]).get(placement.id, 0)
    else:
        asked, answered = place.company_asked, place.company_answered
        open_now = place.open_applications
        median = median_answer_days([placement.company_id]).get(placement.company_id)
    return ResponseSummary(
        asked=asked, answered=answered, median_days=median, open_applications=open_now,
        free_seats=free_seats,
    )  # fmt: skip
