"""Importing a leerbedrijf's places from CSV, as a job: every row checked like the place form,
then all places written in one transaction, or none.

A row that the form would refuse, or that cannot go online when it asks to be published (the
eligibility and capacity rules of `services.placements`, counting the file's earlier places), is
a refused row; one refused row and nothing is written. Idempotent: a place's natural key is the
company's own reference (column `referentie`, stored in `Placement.reference`, unique per company);
a row without one gets a key made from its content ("#" and a hash), also matched against the
company's places that have no reference (made with the form). A row whose key exists changes
nothing and is reported "bestaat al"."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from stagematch import geo
from stagematch.csvutil import Column, CsvRow, read_csv
from stagematch.extensions import db
from stagematch.i18n import translate
from stagematch.importing import ImportResult
from stagematch.inputs import parse_int
from stagematch.jobs import JOB_TITLES, job_task, progress, submit
from stagematch.matching.text import N_, Phrase
from stagematch.models import Company, Job, Mentor, Placement, Qualification, User
from stagematch.models.enums import Leerweg, MentorRole, PlacementStatus
from stagematch.ops import LARGE_WRITE, analyze
from stagematch.services import fair_ads
from stagematch.services.audit import record
from stagematch.services.capacity import lock_mentors
from stagematch.services.eligibility import supervisors_for
from stagematch.services.placements import PlacementData, _apply, _check_fields, publish_problems
from stagematch.timeutil import today, utcnow

JOB_KIND = "place_import"
JOB_TITLES[JOB_KIND] = _l("Plekken importeren")

IMPORT_COLUMNS = [
    ("titel", _l("Titel van de plek"), True),
    ("leerweg", _l("BOL of BBL"), True),
    ("crebo", _l("Crebo-nummer(s), meer dan één gescheiden door ;"), True),
    ("plaats", _l("Plaats"), True),
    ("startdatum", _l("Startdatum, 2027-02-01 of 01-02-2027"), True),
    ("weken", _l("Duur in weken"), True),
    ("uren_per_week", _l("Uren per week"), True),
    ("dagen_per_week", _l("Dagen per week bij jou (BBL)"), False),
    ("vergoeding", _l("Vergoeding of loon per maand in euro"), True),
    ("loon_leeftijd", _l("Leeftijd waarvoor het loon geldt (BBL, 15-21)"), False),
    ("plaatsen", _l("Aantal plaatsen"), True),
    ("meester", _l("Naam of e-mailadres van de meester"), True),
    ("gezel", _l("Naam of e-mailadres van de gezel"), False),
    ("taken", _l("Wat gaat de leerling doen en leren"), True),
    ("vaardigheden", _l("Wat moet de leerling al kunnen (komma's)"), False),
    ("talen", _l("Talen"), False),
    ("publiceren", _l("ja = meteen online, anders concept"), False),
    ("referentie", _l("Je eigen kenmerk voor de plek (hoogstens 40 tekens). Een regel met een referentie die er al is, verandert niets."), False),
    # Issue 18: the place form's "ook voor zij-instromers", "landelijk" and allowance.
    ("zij_instromers", _l("ja = ook voor zij-instromers (alleen BBL; loon minstens het minimumloon voor 21 jaar en ouder)"), False),
    ("landelijk", _l("ja = de leerling mag uit het hele land komen"), False),
    ("reis_of_verblijfsvergoeding", _l("Bijdrage in reis- of verblijfskosten in euro per maand (0 tot 5.000; leeg = geen)"), False),
]  # fmt: skip
MAX_LENGTHS = {
    "titel": 160, "crebo": 200, "plaats": 80, "meester": 254, "gezel": 254, "taken": 4000,
    "vaardigheden": 500, "talen": 200, "referentie": 40,
}  # fmt: skip
COLUMNS = [
    Column(name, required=required, max_length=MAX_LENGTHS.get(name, 40))
    for name, _what, required in IMPORT_COLUMNS
]
MAX_ROWS = 2_000
MAX_BYTES = 1_000_000
PROGRESS_EVERY = 100
YES = ("ja", "j", "yes", "y", "1", "true", "waar")
NO = ("", "nee", "n", "no", "0", "false", "onwaar")
_DECIMAL = re.compile(r"[0-9]{1,3}([.,][0-9]{0,2})?", re.ASCII)


def check_upload(raw: bytes) -> str | None:
    """Why an upload cannot be queued (too big, unreadable, columns missing), or None."""
    if len(raw) > MAX_BYTES:
        return _("Het bestand is groter dan 1 MB. Splits het in kleinere bestanden.")
    header = read_csv(raw, COLUMNS, header_only=True)
    return translate(header.error) if header.error is not None else None


def start_import(*, company: Company, raw: bytes, by: User) -> Job:
    return submit(JOB_KIND, import_places_job, company.id, by.id, raw, owner=by)


@job_task()
def import_places_job(job: Job, company_id: int, by_id: int, raw: bytes) -> dict:
    company = db.session.get(Company, company_id)
    by = db.session.get(User, by_id)
    return import_places(company=company, raw=raw, by=by, job=job).to_data()


# --- one row ---------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    data: PlacementData
    publish: bool
    key: str
    cells: list[str]


def _date(text: str) -> date | None:
    if not text.isascii():
        return None
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _problem(column: str, msgid: str, **params) -> Phrase:
    return Phrase(N_("%(column)s: %(message)s"), column=column, message=Phrase(msgid, **params))


def _number(values, column, problems, *, lo, hi, missing, out_of_range, required=True):
    text = values[column]
    if not text:
        if required:
            problems.append(_problem(column, missing))
        return None
    number = parse_int(text, lo=-(10**9), hi=10**9)
    if number is None:
        problems.append(_problem(column, N_("Vul een heel getal in, zonder letters.")))
    elif not lo <= number <= hi:
        problems.append(_problem(column, out_of_range))
        return None
    return number


def _yes_no(values, column, problems) -> bool:
    text = values[column].strip().lower()
    if text in YES:
        return True
    if text not in NO:
        problems.append(_problem(column, N_("Vul ja of nee in.")))
    return False


def _find_mentor(mentors: list[Mentor], text: str, role: MentorRole) -> Mentor | None:
    text = text.strip().lower()
    if not text:
        return None
    for mentor in mentors:
        if (
            mentor.role == role
            and mentor.active
            and text in {mentor.name.lower(), (mentor.email or "").lower()}
        ):
            return mentor
    return None


def _town_problem(text: str) -> Phrase:
    message = Phrase(N_("We kennen de plaats ‘%(town)s’ niet."), town=text)
    suggestions = geo.suggest_towns(text)
    if not suggestions:
        return message
    towns: str = suggestions[0]
    for name in suggestions[1:]:
        towns = Phrase(N_("%(first)s of %(second)s"), first=towns, second=name)
    return Phrase.join(" ", [message, Phrase(N_("Bedoel je %(towns)s?"), towns=towns)])


def content_key(
    *, title: str, leerweg: str, crebos, city: str, start: date, weeks: int, hours: float,
    days: int | None, pay: int, wage_age: int | None, seats: int, meester_id: int,
    gezel_id: int | None, tasks: str, skills: str, languages: str, national: bool = False,
    allowance: int = 0, for_switchers: bool = False,
) -> str:  # fmt: skip
    """The natural key of a place without a reference: "#" and a hash of what it is, as stored
    (so a place made with the form has the same key as the same row in a file)."""

    def norm(text: str) -> str:
        return " ".join(text.split()).casefold()

    bbl = leerweg == Leerweg.BBL
    parts = [
        norm(title), leerweg, ",".join(sorted(crebos)), city, start.isoformat(), str(weeks),
        f"{float(hours):g}", str(days if bbl and days else ""), str(pay),
        str(wage_age if bbl and wage_age else ""), str(seats), str(meester_id), str(gezel_id or ""),
        norm(tasks), norm(skills), norm(languages) or "nederlands",
    ]  # fmt: skip
    if national or allowance or (for_switchers and bbl):
        # Only when set, so the keys of places without them stay what they were.
        parts += [str(int(national)), str(allowance), str(int(for_switchers and bbl))]
    return "#" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]


def _key_of_placement(place: Placement) -> str:
    return content_key(
        title=place.title, leerweg=place.leerweg, crebos=[q.crebo for q in place.qualifications],
        city=place.city, start=place.start_date, weeks=place.duration_weeks, hours=place.hours_per_week,
        days=place.days_per_week, pay=place.pay_per_month, wage_age=place.wage_age, seats=place.seats,
        meester_id=place.meester_id, gezel_id=place.gezel_id, tasks=place.tasks,
        skills=place.required_skills, languages=place.languages, national=place.national,
        allowance=place.lodging_allowance, for_switchers=place.for_switchers,
    )  # fmt: skip


def _check_row(row: CsvRow, company: Company, context: dict) -> tuple[_Row | None, list]:
    """The row as place data with its key, or the reasons it is refused."""
    from stagematch.matching.eligibility import MAX_START_AHEAD

    values, problems = row.values, []
    title = values["titel"]
    if not title:
        problems.append(_problem("titel", N_("Vul dit in.")))
    leerweg = values["leerweg"].upper()
    if leerweg not in (Leerweg.BOL, Leerweg.BBL):
        problems.append(Phrase(N_("leerweg moet BOL of BBL zijn")))
    qualifications = []
    crebos = [c.strip() for c in values["crebo"].replace(",", ";").split(";") if c.strip()]
    if not crebos:
        problems.append(_problem("crebo", N_("Kies minstens één opleiding.")))
    for crebo in crebos:
        q = context["qualifications"].get(crebo)
        if q is None:
            problems.append(Phrase(N_("crebo %(crebo)s bestaat niet"), crebo=crebo))
        elif q.id not in context["accredited"]:
            problems.append(
                Phrase(
                    N_("je bedrijf heeft geen geldige erkenning voor crebo %(crebo)s"), crebo=crebo
                )
            )
        else:
            qualifications.append(q)
    town = None
    if not values["plaats"]:
        problems.append(_problem("plaats", N_("Vul dit in.")))
    else:
        town = geo.find_town(values["plaats"])
        if town is None:
            problems.append(_town_problem(values["plaats"]))
    start = None
    if not values["startdatum"]:
        problems.append(_problem("startdatum", N_("Vul een geldige datum in.")))
    else:
        start = _date(values["startdatum"])
        if start is None:
            problems.append(
                _problem("startdatum", N_("Vul een geldige datum in, bijvoorbeeld 01-02-2027."))
            )
        elif not today() - timedelta(days=366) <= start <= today() + MAX_START_AHEAD:
            problems.append(
                _problem("startdatum", N_("Kies een startdatum binnen twee jaar vanaf vandaag."))
            )
            start = None
    weeks = _number(values, "weken", problems, lo=1, hi=104, missing=N_("Vul een aantal weken in."),
                    out_of_range=N_("Tussen 1 en 104 weken."))  # fmt: skip
    hours = None
    if not values["uren_per_week"]:
        problems.append(_problem("uren_per_week", N_("Vul een aantal uren in.")))
    elif not _DECIMAL.fullmatch(values["uren_per_week"]):
        problems.append(_problem("uren_per_week", N_("Vul een getal in, bijvoorbeeld 4 of 4,5.")))
    else:
        hours = float(Decimal(values["uren_per_week"].replace(",", ".")))
        if not 4 <= hours <= 60:
            problems.append(_problem("uren_per_week", N_("Tussen 4 en 60 uur.")))
            hours = None
    days = _number(values, "dagen_per_week", problems, lo=1, hi=5, missing="",
                   out_of_range=N_("Tussen 1 en 5 dagen."), required=False)  # fmt: skip
    pay = _number(values, "vergoeding", problems, lo=0, hi=10_000,
                  missing=N_("Vul een bedrag in (0 mag bij een stage)."),
                  out_of_range=N_("Tussen € 0 en € 10.000."))  # fmt: skip
    wage_age = _number(values, "loon_leeftijd", problems, lo=15, hi=21, missing="",
                       out_of_range=N_("Kies een leeftijd van 15 tot en met 21."), required=False)  # fmt: skip
    seats = _number(values, "plaatsen", problems, lo=1, hi=50, missing=N_("Vul een aantal in."),
                    out_of_range=N_("Tussen 1 en 50 plaatsen."))  # fmt: skip
    meester = _find_mentor(context["mentors"], values["meester"], MentorRole.MEESTER)
    if meester is None:
        problems.append(Phrase(N_("meester '%(name)s' niet gevonden bij je begeleiders"),
                               name=values["meester"]))  # fmt: skip
    gezel = _find_mentor(context["mentors"], values["gezel"], MentorRole.GEZEL)
    if values["gezel"] and gezel is None:
        problems.append(Phrase(N_("gezel '%(name)s' niet gevonden bij je begeleiders"),
                               name=values["gezel"]))  # fmt: skip
    for_switchers = _yes_no(values, "zij_instromers", problems)
    national = _yes_no(values, "landelijk", problems)
    allowance = _number(values, "reis_of_verblijfsvergoeding", problems, lo=0, hi=5000, missing="",
                        out_of_range=N_("Tussen € 0 en € 5.000."), required=False)  # fmt: skip
    tasks = values["taken"]
    if not tasks:
        problems.append(_problem("taken", N_("Beschrijf wat de leerling gaat doen en leren.")))
    elif len(tasks) < 20:
        problems.append(_problem("taken", N_("Schrijf minstens een paar zinnen (20 tekens).")))
    if problems:
        return None, problems
    data = PlacementData(
        title=title, description="", tasks=tasks, leerweg=leerweg, qualifications=qualifications,
        town=town, start_date=start, duration_weeks=weeks, hours_per_week=hours,
        days_per_week=days, pay_per_month=pay, wage_age=wage_age, seats=seats, meester=meester,
        gezel=gezel, required_skills=values["vaardigheden"], languages=values["talen"],
        national=national, lodging_allowance=allowance or 0, for_switchers=for_switchers,
    )  # fmt: skip
    # The place form's rules, among them the adult minimum wage of a place for zij-instromers.
    problems = [e.message for e in _check_fields(company, data)]
    if problems:
        return None, problems
    key = values["referentie"] or content_key(
        title=title.strip(), leerweg=leerweg, crebos=[q.crebo for q in qualifications],
        city=town.name, start=start, weeks=weeks, hours=hours, days=days, pay=pay,
        wage_age=wage_age, seats=seats, meester_id=meester.id, gezel_id=gezel.id if gezel else None,
        tasks=tasks.strip(), skills=values["vaardigheden"].strip(), languages=values["talen"].strip(),
        national=national, allowance=allowance or 0, for_switchers=for_switchers,
    )  # fmt: skip
    publish = values["publiceren"].lower() in YES
    return _Row(row.line, data, publish, key, row.cells), []


# --- the file --------------------------------------------------------------------------------


def import_places(
    *, company: Company, raw: bytes, by: User | None = None, job: Job | None = None
) -> ImportResult:
    """Check every row, then write all new places or none. `job` gets the progress."""
    csv_file = read_csv(raw, COLUMNS, max_rows=MAX_ROWS)
    result = ImportResult.for_file(csv_file)
    if result.error is not None:
        return result
    if not csv_file.rows and not csv_file.problems:
        result.error = Phrase(N_("Het bestand heeft geen regels met plekken."))
        return result
    if job is not None:
        progress(job, 0, csv_file.count, N_("Regels controleren"))
    on = today()
    context = {
        "qualifications": {q.crebo: q for q in db.session.scalars(select(Qualification))},
        "accredited": {a.qualification_id for a in company.accreditations if a.is_current(on)},
        # Its own mentors first, then those of its network partners (issue 18).
        "mentors": supervisors_for(company.id),
    }
    existing = _existing_keys(company)
    first_line: dict[str, int] = {}
    new: list[_Row] = []
    for i, row in enumerate(csv_file.rows, start=1):
        checked, problems = _check_row(row, company, context)
        if checked is not None and checked.key in first_line:
            problems = [_duplicate(checked, first_line[checked.key])]
        if problems:
            result.refuse(row.line, Phrase.join("; ", problems), row.cells)
        elif checked.key in existing:
            first_line[checked.key] = row.line
            result.exists(row.line, checked.data.title, existing[checked.key])
        else:
            first_line[checked.key] = row.line
            new.append(checked)
        if job is not None and i % PROGRESS_EVERY == 0:
            progress(job, i + len(csv_file.problems))
    blocked: list = []  # hits of rows refused for their text: recorded even when nothing is
    reviews: list = []  # open review checks, told to the school after the commit
    if new:
        # Written in this transaction to check publishing in file order (each open place counts
        # for the next one's meester), then committed only if no row at all was refused.
        try:
            _write(company, new, result, by=by, blocked=blocked, reviews=reviews)
        except IntegrityError:  # another import wrote one of these references meanwhile
            db.session.rollback()
            result.error = Phrase(
                N_("Tegelijk is een ander bestand met dezelfde plekken ingelezen. Er is niets "
                   "opgeslagen; lees het bestand opnieuw in.")
            )  # fmt: skip
            return result
    if not result.ok or not new:
        company_id = company.id
        db.session.rollback()
        for hits in blocked:  # counted per company, also when the file wrote nothing
            fair_ads.record_blocked(company_id=company_id, placement_id=None, hits=hits, by=by)
        return result
    db.session.commit()
    result.written = True
    if len(new) >= LARGE_WRITE:  # the search and the ranker plan with the new table sizes
        analyze("placement", "placement_qualification")
    for check in reviews:
        fair_ads.notify_review(check)
    return result


def _duplicate(row: _Row, first: int) -> Phrase:
    if row.key.startswith("#"):
        return Phrase(
            N_("deze regel is gelijk aan regel %(line)s; wil je meer plaatsen, verhoog dan "
               "'plaatsen', of geef elke regel een eigen referentie"),
            line=first,
        )  # fmt: skip
    return Phrase(N_("referentie %(reference)s staat ook op regel %(line)s"), reference=row.key,
                  line=first)  # fmt: skip


def _existing_keys(company: Company) -> dict[str, int]:
    """Key -> place id of the company's places: their reference, or for places without one
    (made with the form) the key of their content."""
    keys = {}
    places = db.session.scalars(
        select(Placement)
        .where(Placement.company_id == company.id)
        .options(selectinload(Placement.qualifications))
    )
    for place in places:
        keys[place.reference or _key_of_placement(place)] = place.id
    return keys


def _write(company: Company, rows: list[_Row], result: ImportResult, *, by: User | None,
           blocked: list, reviews: list) -> None:  # fmt: skip
    now = utcnow()
    for row in rows:
        placement = Placement(company=company, status=PlacementStatus.DRAFT, reference=row.key)
        db.session.add(placement)
        with db.session.no_autoflush:
            _apply(placement, row.data)
        db.session.flush()
        if row.publish:
            lock_mentors([placement.meester_id, placement.gezel_id])
            problems = publish_problems(placement)
            # The check of its texts, as `placements._go_online` does for the form: a blocked text
            # refuses the row (its check is recorded after the rollback), a doubtful one keeps
            # the place a draft under review.
            hits = fair_ads.check_texts(fair_ads.placement_texts(placement))
            if fair_ads.is_blocking(hits):
                problems.append(fair_ads.AdBlocked(hits))
                blocked.append(hits)
            if problems:
                result.refuse(row.line, "; ".join(p.message for p in problems), row.cells)
                continue
            check = fair_ads.check_before_publishing(placement, by=by)
            if check is not None:
                reviews.append(check)
            else:
                placement.status = PlacementStatus.OPEN
                placement.published_at = placement.confirmed_at = now
            db.session.flush()
        record("placement.create", placement, actor=by, status=placement.status, line=row.line,
               source="import")  # fmt: skip
        result.add(row.line, placement.title, placement.id)
