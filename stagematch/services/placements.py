"""Places: saving, publishing under the hard rules (accreditation, meester capacity, minimum wage),
closing, confirming, duplicating; and which places are stale."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from stagematch import geo
from stagematch.extensions import db
from stagematch.models import Company, Mentor, Placement, Qualification, User
from stagematch.models.enums import Leerweg, MentorRole, PlacementStatus
from stagematch.services import DomainError
from stagematch.services.audit import record
from stagematch.services.capacity import free_seats, lock_mentors, lock_place_and_mentors
from stagematch.templating import format_date, format_euro, format_money, format_number
from stagematch.timeutil import today, utcnow
from stagematch.wages import ADULT, minimum_wage

STALE_AFTER_DAYS = 60
SUBSIDY_PER_PLACE_EUR = 2700  # Subsidieregeling praktijkleren: at most, per filled place per year


@dataclass
class PlacementData:
    """What the place form collects; validated field by field by the form, by rule here."""

    title: str
    description: str
    tasks: str
    leerweg: str
    qualifications: list[Qualification]
    town: geo.Town
    start_date: date
    duration_weeks: int
    hours_per_week: float
    days_per_week: int | None
    pay_per_month: int
    wage_age: int | None
    seats: int
    meester: Mentor
    gezel: Mentor | None
    required_skills: str
    languages: str
    national: bool = False  # "landelijk": the learner may come from anywhere (issue 18)
    lodging_allowance: int = 0  # € per month towards travel or lodging
    for_switchers: bool = False  # "ook voor zij-instromers" (issue 18; BBL only)


class PublishRefused(DomainError):
    """Publishing broke one or more rules; `problems` lists each (message, field)."""

    def __init__(self, problems: list[DomainError]):
        super().__init__(
            " ".join(p.message for p in problems), problems[0].field if problems else None
        )
        self.problems = problems


def _check_fields(company: Company, data: PlacementData) -> list[DomainError]:
    problems: list[DomainError] = []
    from stagematch.services.eligibility import may_supervise

    meester = data.meester
    if (meester is not None and meester.company_id == company.id
            and meester.role == MentorRole.MEESTER and not meester.active):  # fmt: skip
        problems.append(
            DomainError(
                _("%(name)s is niet meer actief als meester.", name=data.meester.name), "meester"
            )
        )
    elif not may_supervise(data.meester, company.id, role=MentorRole.MEESTER):
        problems.append(
            DomainError(_("Kies een meester van je eigen bedrijf of uit je netwerk."), "meester")
        )
    if data.gezel is not None and not may_supervise(data.gezel, company.id, role=MentorRole.GEZEL):
        problems.append(
            DomainError(_("Kies een gezel van je eigen bedrijf of uit je netwerk."), "gezel")
        )
    levels = {q.level for q in data.qualifications}
    if len(levels) > 1:
        problems.append(
            DomainError(
                _("Kies opleidingen van hetzelfde niveau; maak anders een tweede plek."),
                "qualifications",
            )
        )
    for q in data.qualifications:
        if not q.offers(data.leerweg):
            problems.append(
                DomainError(
                    _(
                        "%(name)s bestaat niet in de %(leerweg)s.",
                        name=q.name,
                        leerweg=data.leerweg,
                    ),
                    "qualifications",
                )
            )
    if data.leerweg == Leerweg.BBL:
        if data.days_per_week is None:
            problems.append(
                DomainError(
                    _("Vul in hoeveel dagen per week de leerling bij je werkt."), "days_per_week"
                )
            )
        if data.wage_age is None:
            problems.append(
                DomainError(_("Vul in voor welke leeftijd het loon geldt."), "wage_age")
            )
        else:
            problems += check_wage(
                pay=data.pay_per_month,
                age=data.wage_age,
                hours=data.hours_per_week,
                on=data.start_date,
            )
        if data.for_switchers and data.wage_age is not None and data.wage_age < ADULT:
            # Zij-instromers are adults: the place must pay at least the adult minimum (21+).
            problems += check_wage(
                pay=data.pay_per_month, age=ADULT, hours=data.hours_per_week, on=data.start_date
            )
    elif data.for_switchers:
        problems.append(
            DomainError(_("Alleen een BBL-plek kan ook voor zij-instromers zijn."), "for_switchers")
        )
    return problems


def check_wage(*, pay: int, age: int, hours: float, on: date) -> list[DomainError]:
    minimum = minimum_wage(age, max(on, today()))
    if minimum is None:
        return [DomainError(_("Een BBL-leerling is minstens 15 jaar."), "wage_age")]
    floor = minimum.monthly(hours)
    if pay < floor - 0.5:
        return [
            DomainError(
                _(
                    "Het loon is lager dan het wettelijk minimumloon voor %(age)s-jarigen: minstens "
                    "%(floor)s per maand bij %(hours)s uur per week (%(hourly)s per uur, geldig "
                    "vanaf %(date)s).",
                    age=f"{minimum.age}{'+' if minimum.age == 21 else ''}",
                    floor=format_euro(floor),
                    hours=format_number(hours, 1),
                    hourly=format_money(minimum.hourly),
                    date=format_date(minimum.valid_from),
                ),
                "pay_per_month",
            )
        ]
    return []


def publish_problems(placement: Placement, *, on: date | None = None) -> list[DomainError]:
    """Every rule that stops this place from going online, each with the form field it concerns.
    The rules are `matching.eligibility.place_reasons` (seats and capacity counted by
    `services.capacity` as if the place were open), worded for the company."""
    from stagematch.matching import eligibility as rules
    from stagematch.services.capacity import mentor_load, place_rooms

    on = on or today()
    company = placement.company
    problems: list[DomainError] = []
    if not placement.qualifications:
        problems.append(DomainError(_("Kies minstens één opleiding (crebo)."), "qualifications"))
    for q in placement.qualifications:
        if not company.accredited_for(q.id, placement.start_date):
            problems.append(
                DomainError(
                    _(
                        "Je bedrijf heeft geen geldige erkenning voor %(name)s (crebo %(crebo)s). Voeg "
                        "de erkenning van SBB toe bij je bedrijfsgegevens, of kies een andere opleiding.",
                        name=q.name,
                        crebo=q.crebo,
                    ),
                    "qualifications",
                )
            )
    if placement.start_date < on:
        problems.append(
            DomainError(_("De startdatum is al voorbij. Kies een nieuwe startdatum."), "start_date")
        )
    elif placement.start_date > on + rules.MAX_START_AHEAD:
        problems.append(
            DomainError(
                _("Een plek kan hoogstens twee jaar vooruit beginnen (uiterlijk %(date)s).",
                  date=f"{on + rules.MAX_START_AHEAD:%d-%m-%Y}"),
                "start_date",
            )
        )  # fmt: skip
    if not rules.MIN_WEEKS <= placement.duration_weeks <= rules.MAX_WEEKS:
        problems.append(DomainError(_("Een plek duurt 1 tot 104 weken."), "duration_weeks"))
    from stagematch.services.eligibility import may_supervise

    meester = placement.meester
    if not may_supervise(meester, company.id, role=MentorRole.MEESTER):
        problems.append(
            DomainError(_("Kies een actieve meester van je bedrijf of uit je netwerk."), "meester")
        )
    elif placement.gezel is not None and not may_supervise(placement.gezel, company.id,
                                                           role=MentorRole.GEZEL):  # fmt: skip
        problems.append(
            DomainError(_("Kies een gezel van je eigen bedrijf of uit je netwerk."), "gezel")
        )
    elif placement.seats < 1:
        problems.append(DomainError(_("Zet minstens één plaats open."), "seats"))
    elif placement.id is not None:
        room = place_rooms([placement.id], on=on, as_open=True)[placement.id]
        if room.meester_room < 0:
            load = mentor_load(meester.id, start=placement.start_date, end=placement.end_date,
                               exclude_placement_id=placement.id, on=on)  # fmt: skip
            problems.append(
                DomainError(
                    ngettext(
                        "%(name)s kan nog %(num)s leerling begeleiden (capaciteit %(capacity)s: "
                        "%(active)s bezig, %(reserved)s gereserveerd op andere open plekken). Zet "
                        "minder plaatsen open, kies een andere meester, of voeg een meester toe.",
                        "%(name)s kan nog %(num)s leerlingen begeleiden (capaciteit %(capacity)s: "
                        "%(active)s bezig, %(reserved)s gereserveerd op andere open plekken). Zet "
                        "minder plaatsen open, kies een andere meester, of voeg een meester toe.",
                        load.free,
                        name=meester.name,
                        capacity=load.capacity,
                        active=load.active,
                        reserved=load.reserved + load.offered,
                    ),
                    "seats",
                )
            )
        if room.gezel_room is not None and room.gezel_room < 0:
            load = mentor_load(placement.gezel.id, start=placement.start_date, end=placement.end_date,
                               exclude_placement_id=placement.id, on=on)  # fmt: skip
            problems.append(
                DomainError(
                    ngettext(
                        "Gezel %(name)s heeft nog ruimte voor %(num)s leerling. Kies een andere "
                        "gezel of geen gezel.",
                        "Gezel %(name)s heeft nog ruimte voor %(num)s leerlingen. Kies een andere "
                        "gezel of geen gezel.",
                        load.free,
                        name=placement.gezel.name,
                    ),
                    "gezel",
                )
            )
    problems += working_time_problems(placement)
    if placement.leerweg == Leerweg.BBL and placement.wage_age is not None:
        problems += check_wage(
            pay=placement.pay_per_month, age=placement.wage_age, hours=placement.hours_per_week,
            on=placement.start_date,
        )  # fmt: skip
    return problems


def working_time_problems(placement) -> list[DomainError]:
    """Arbeidstijdenwet (rules in `matching.eligibility`): a school day for BBL; the limits for
    adults always, and those for minors when the wage is quoted for an age under 18."""
    from stagematch.matching import eligibility as rules

    minor = placement.wage_age is not None and placement.wage_age < rules.ADULT_AGE
    found = rules.working_time_reasons(
        placement.leerweg, placement.hours_per_week, placement.days_per_week, minor=minor
    )
    problems = []
    if rules.SCHOOL_DAY in found:
        problems.append(
            DomainError(
                _("Een BBL-leerling gaat minstens één dag per week naar school: kies hoogstens 4 "
                  "werkdagen."),
                "days_per_week",
            )
        )  # fmt: skip
    if rules.WORKING_TIME in found:
        if minor:
            message = _(
                "Te veel uren voor een leerling onder de 18 (Arbeidstijdenwet): hoogstens 9 uur per "
                "dag en 45 uur per week, schooltijd meegeteld."
            )
        else:
            message = _(
                "Te veel uren (Arbeidstijdenwet): hoogstens 12 uur per dag en 60 uur per week."
            )
        problems.append(DomainError(message, "hours_per_week"))
    return problems


def _apply(placement: Placement, data: PlacementData) -> None:
    placement.title = data.title.strip()
    placement.description = data.description.strip()
    placement.tasks = data.tasks.strip()
    placement.leerweg = data.leerweg
    placement.qualifications = list(data.qualifications)
    placement.level = data.qualifications[0].level if data.qualifications else placement.level
    placement.city, placement.lat, placement.lon = data.town.name, data.town.lat, data.town.lon
    placement.start_date = data.start_date
    placement.duration_weeks = data.duration_weeks
    placement.hours_per_week = data.hours_per_week
    placement.days_per_week = data.days_per_week if data.leerweg == Leerweg.BBL else None
    placement.pay_per_month = data.pay_per_month
    placement.wage_age = data.wage_age if data.leerweg == Leerweg.BBL else None
    placement.seats = data.seats
    placement.meester = data.meester
    placement.gezel = data.gezel
    placement.required_skills = data.required_skills.strip()
    placement.languages = data.languages.strip() or "Nederlands"
    placement.national = data.national
    placement.lodging_allowance = data.lodging_allowance
    placement.for_switchers = data.for_switchers and data.leerweg == Leerweg.BBL


def save_placement(
    *,
    company: Company,
    data: PlacementData,
    placement: Placement | None = None,
    publish: bool = False,
    by: User | None = None,
) -> Placement:
    """Create or update a place. An open place stays open only if it still meets every rule; with
    `publish`, a draft goes online. Nothing is written when a rule is broken."""
    problems = _check_fields(company, data)
    if problems:
        raise PublishRefused(problems)
    from stagematch.services import fair_ads

    creating = placement is None
    if creating:
        placement = Placement(company=company, status=PlacementStatus.DRAFT)
        db.session.add(placement)
    texts_before = fair_ads.placement_texts(placement)
    with db.session.no_autoflush:
        _apply(placement, data)
    if not creating and fair_ads.placement_texts(placement) != texts_before:
        fair_ads.withdraw_open(placement, by=by)
    going_online = publish or placement.status == PlacementStatus.OPEN
    check = None
    if going_online:
        db.session.flush()
        # Serialise with other publishes, offers and hires for the same mentors (row locks).
        lock_mentors([placement.meester_id, placement.gezel_id])
        check = _go_online(placement, by=by)
    db.session.flush()
    record(
        "placement.create" if creating else "placement.update", placement, status=placement.status
    )
    db.session.commit()
    if check is not None:
        fair_ads.notify_review(check)
    return placement


def _go_online(placement: Placement, *, by: User | None):
    """The one step by which a place becomes open (form, publish button, coordinator's approval;
    the place import does the same per row): every rule of `publish_problems`, then the check of
    its texts (`services.fair_ads`). Refused: rolled back, a blocked text's check recorded, and
    PublishRefused raised. A text under review: the place stays a draft and the open AdCheck is
    returned (notify after the commit). Else the place is open and None is returned."""
    from stagematch.services import fair_ads

    problems = publish_problems(placement)
    hits = fair_ads.check_texts(fair_ads.placement_texts(placement))
    if fair_ads.is_blocking(hits):
        problems.append(fair_ads.AdBlocked(hits))
    if problems:
        company_id, placement_id = placement.company_id, placement.id
        db.session.rollback()
        if fair_ads.is_blocking(hits):
            fair_ads.record_blocked(company_id=company_id, placement_id=placement_id, hits=hits,
                                    by=by)  # fmt: skip
        raise PublishRefused(problems)
    check = fair_ads.check_before_publishing(placement, by=by)
    if check is not None:
        return check
    if placement.status != PlacementStatus.OPEN:
        placement.status = PlacementStatus.OPEN
        placement.published_at = placement.published_at or utcnow()
    placement.confirmed_at = utcnow()
    return None


def publish(placement: Placement, *, by: User | None = None) -> bool:
    """Put a draft online; concurrent publishes for the same meester wait for each other, so
    together they never reserve more than the meester's capacity. False when its text waits for
    a coordinator's review (the place stays a draft)."""
    from stagematch.services import fair_ads

    placement_id = placement.id
    lock_place_and_mentors(placement_id)
    placement = db.session.get(Placement, placement_id, populate_existing=True)
    check = _go_online(placement, by=by)
    record("placement.publish" if check is None else "placement.review", placement, actor=by)
    db.session.commit()
    if check is not None:
        fair_ads.notify_review(check)
    return check is None


def close(placement: Placement) -> None:
    placement.status = PlacementStatus.CLOSED
    record("placement.close", placement)
    db.session.commit()


def confirm(placement: Placement) -> None:
    """The company says the place is still available: it shows in search again (if not expired)."""
    if placement.status != PlacementStatus.OPEN:
        raise DomainError(_("Alleen een open plek kun je bevestigen."))
    if placement.start_date < today():
        raise DomainError(
            _("De startdatum is voorbij. Pas de startdatum aan; dan staat de plek weer online.")
        )
    placement.confirmed_at = utcnow()
    record("placement.confirm", placement)
    db.session.commit()


def duplicate(placement: Placement) -> Placement:
    copy = Placement(
        company_id=placement.company_id, title=_("%(title)s (kopie)", title=placement.title), description=placement.description,
        tasks=placement.tasks, leerweg=placement.leerweg, level=placement.level, city=placement.city,
        lat=placement.lat, lon=placement.lon, start_date=max(placement.start_date, today()),
        duration_weeks=placement.duration_weeks, hours_per_week=placement.hours_per_week,
        days_per_week=placement.days_per_week, pay_per_month=placement.pay_per_month,
        wage_age=placement.wage_age, seats=placement.seats, meester_id=placement.meester_id,
        gezel_id=placement.gezel_id, required_skills=placement.required_skills,
        languages=placement.languages, status=PlacementStatus.DRAFT, national=placement.national,
        lodging_allowance=placement.lodging_allowance, for_switchers=placement.for_switchers,
    )  # fmt: skip
    copy.qualifications = list(placement.qualifications)
    db.session.add(copy)
    db.session.flush()
    record("placement.duplicate", copy, source=placement.id)
    db.session.commit()
    return copy


def stale_reason(placement: Placement, on: date | None = None) -> str | None:
    """Why an open place is hidden from search until the company confirms it, or None."""
    on = on or today()
    if placement.status != PlacementStatus.OPEN:
        return None
    if placement.start_date < on:
        return _("De startdatum is voorbij.")
    confirmed = placement.confirmed_at or placement.published_at
    if confirmed is None or confirmed.date() < on - timedelta(days=STALE_AFTER_DAYS):
        return _("Al meer dan %(days)s dagen niet bevestigd.", days=STALE_AFTER_DAYS)
    return None


def visible_in_search_clause(on: date | None = None):
    """SQL condition for places a student may find: open, not started, confirmed recently."""
    on = on or today()
    cutoff = utcnow() - timedelta(days=STALE_AFTER_DAYS)
    return (
        (Placement.status == PlacementStatus.OPEN)
        & (Placement.start_date >= on)
        & (Placement.confirmed_at >= cutoff)
    )


def subsidy_eligible(placement: Placement, on: date | None = None) -> bool:
    """Information only: an accredited company with a filled place may claim the Subsidieregeling
    praktijkleren (up to € 2.700 per place per year)."""
    on = on or today()
    accredited = all(placement.company.accredited_for(q.id, on) for q in placement.qualifications)
    return accredited and free_seats(placement) < placement.seats


def company_mentors(
    company: Company, role: MentorRole | None = None, *, active_only: bool = True
) -> list[Mentor]:
    stmt = (
        select(Mentor)
        .where(Mentor.company_id == company.id)
        .order_by(Mentor.role.desc(), Mentor.name)
    )
    if role:
        stmt = stmt.where(Mentor.role == role)
    if active_only:
        stmt = stmt.where(Mentor.active.is_(True))
    return list(db.session.scalars(stmt))
