"""Demo data after the match (issue 17): placements in every state of their lifecycle.

`build(b, seed=…)` runs inside `demo.generate` after the history simulation and before the rows
are written: it reads the rows the demo made (internships, places, students, mentors, accounts)
and adds agreement versions and signatures, weekly hours, meetings, assessments and requests to
end early, as plain rows for the same bulk insert. A random stream of its own (the rest of the
demo stays as it was) and no queries per internship, so the 60,000-student demo stays fast.

Every row is what the services would have written: version content from
`agreements.build_content` (the same function the site uses, on light stand-ins for the
internship's rows) and its `agreements.content_hash`; signatures in turn order (student, parent
or guardian for a learner under 18 on the start date, leerbedrijf, school), each recording the
hash it signed; hours only on weeks begun in a placement with a signed agreement; an assessment
on the dossier's work processes; an approved request to end early with a reason that gives the
outcome the internship has (`early_ending.REASON_OUTCOME`) and the end date `end_internship`
sets (the day after the last day).

Who gets what:

- placements still to start: the agreement waits for the student, the guardian, the company or
  the school, or is signed (most);
- running placements (started): most are signed, with weekly hours (approved, some corrected,
  the last week waiting; a few with a week missing or approvals overdue) and meetings (start
  held with notes, midway planned; a few start meetings missed); some have an amendment waiting
  for signatures, some an open request to end early, a few still wait for a signature; near the
  end the meester's assessment is a draft or submitted;
- finished placements that ended in the last `LIFECYCLE_DAYS` days (before that the platform had
  no agreements, as `agreements.draw_up` allows): a signed agreement and the meetings held;
  completed ones an assessment with the school's decision, ended-early ones the approved request
  and its reason. Older finished placements keep no lifecycle rows.

Every state exists at least once over the whole demo and, where the data allows, at each of the
five Overijssel schools (the coordinators named in README) and at one showcase leerbedrijf whose
account is added to the printed logins, with two students who have a placement."""

from __future__ import annotations

import copy
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

from faker import Faker
from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import (
    AgreementSignature,
    AgreementStatus,
    AgreementVersion,
    Assessment,
    AssessmentDecision,
    AssessmentScore,
    Company,
    EndRequest,
    EndRequestStatus,
    HoursEntry,
    HoursStatus,
    Internship,
    Meeting,
    MeetingKind,
    Mentor,
    Placement,
    Qualification,
    School,
    SignatureParty,
    StudentProfile,
    User,
    WorkProcess,
)
from stagematch.models.enums import InternshipOutcome, InternshipStatus, Role
from stagematch.reference import GENERIC_DOSSIER, SCHOOLS
from stagematch.services.agreements import build_content, content_hash, derive, minor_on
from stagematch.services.assessments import OPENS_DAYS_BEFORE_END
from stagematch.services.meetings import MISSED_AFTER_DAYS, Attendees

LIFECYCLE_DAYS = 180  # finished placements that ended this recently have their lifecycle rows
MODELS = (AgreementVersion, AgreementSignature, HoursEntry, Meeting, Assessment, AssessmentScore,
          EndRequest)  # fmt: skip
TABLES = ("agreement_version", "agreement_signature", "hours_entry", "meeting", "assessment",
          "assessment_score", "end_request")  # fmt: skip


class State:
    """The state of an active placement (finished ones: COMPLETED, ENDED_EARLY)."""

    WAIT_STUDENT = "wacht op student"
    WAIT_GUARDIAN = "wacht op ouder/verzorger"
    WAIT_COMPANY = "wacht op leerbedrijf"
    WAIT_SCHOOL = "wacht op school"
    SIGNED_COMING = "getekend, begint nog"
    RUNNING = "getekend, loopt"
    AMENDMENT = "wijziging wacht op handtekeningen"
    END_REQUESTED = "verzoek om eerder te stoppen"
    COMPLETED = "afgerond"
    ENDED_EARLY = "eerder beëindigd"


UNSIGNED = (State.WAIT_STUDENT, State.WAIT_GUARDIAN, State.WAIT_COMPANY, State.WAIT_SCHOOL)
SIGNED_RUNNING = (State.RUNNING, State.AMENDMENT, State.END_REQUESTED)
# How many parties have signed version 1 in each unsigned state (the guardian counted only for
# a minor: see `_signed_parties`).
WAITING_FOR = {State.WAIT_STUDENT: SignatureParty.STUDENT, State.WAIT_GUARDIAN: SignatureParty.GUARDIAN,
               State.WAIT_COMPANY: SignatureParty.COMPANY, State.WAIT_SCHOOL: SignatureParty.SCHOOL}  # fmt: skip
ORDER = (SignatureParty.STUDENT, SignatureParty.GUARDIAN, SignatureParty.COMPANY,
         SignatureParty.SCHOOL)  # fmt: skip

DRAFT, SUBMITTED = "concept", "verstuurd"  # the meester's assessment near the end

# Early endings: the coordinator's reason for each outcome, who asked, and what they wrote.
END_REASONS = {
    InternshipOutcome.DROPPED_OUT: [
        ("illness_personal", "student", "Ik ben al weken ziek en kan de stage niet afmaken."),
        ("not_suitable", "student", "Het werk past niet bij mijn opleiding; ik leer hier weinig."),
        ("student_quits", "student", "Ik stop met mijn opleiding."),
        ("switch_programme", "student", "Ik stap over naar een andere opleiding."),
    ],
    InternshipOutcome.ENDED_BY_COMPANY: [
        ("insufficient_supervision", "company", "Onze praktijkopleider is langdurig afwezig; "
         "we kunnen de begeleiding niet meer geven."),
        ("conduct", "company", "De student komt afspraken herhaaldelijk niet na, ook na twee "
         "gesprekken."),
        ("company_stops", "company", "Wij reorganiseren en de afdeling sluit."),
    ],
}  # fmt: skip
OPEN_REQUESTS = [
    ("student", "Het klikt niet met mijn begeleider en ik leer weinig. Ik wil graag een andere plek."),
    ("student", "Door de reistijd lukt het niet meer; ik ben vaak te laat."),
    ("company", "We hebben te weinig werk voor de student sinds een grote klant wegviel."),
]  # fmt: skip
AMENDMENTS = [
    ("Verlenging met twee weken: de student was drie weken ziek.", "longer"),
    ("Minder uren per week: de student volgt op school een extra keuzedeel.", "fewer_hours"),
]
MEETING_NOTES = {
    MeetingKind.START: [
        "Kennismaking en afspraken over werktijden en leerdoelen. De student begint met "
        "meelopen; na twee weken eigen taken.",
        "Leerdoelen besproken en in het portfolio gezet. De meester is er op dinsdag en "
        "donderdag; de gezel de andere dagen.",
    ],
    MeetingKind.MIDWAY: [
        "Goede voortgang; de student werkt zelfstandiger. Aandachtspunt: vaker vragen stellen.",
        "Werkprocessen grotendeels op niveau. Afgesproken: meer klantcontact in de tweede helft.",
    ],
    MeetingKind.FINAL: [
        "Stage afgerond; beoordeling besproken. De student kan hier na de opleiding aan de slag.",
        "Eindgesprek gevoerd; de student herkent zich in de beoordeling van de meester.",
    ],
}
REMARKS = [
    "Werkt zorgvuldig en is betrouwbaar; kan nog groeien in zelfstandig plannen.",
    "Leert snel en vraagt door. Prettig in het team.",
    "Heeft moeite met de planning, maar is gegroeid in het contact met klanten.",
]
NOT_PASSED_REMARK = "De werkprocessen zijn nog niet op het niveau van de kwalificatie."
CORRECTION_NOTES = ["Dinsdag eerder naar huis (ziek).", "Vrijdag was een vrije dag (feestdag).",
                    "Pauzes niet meegeteld."]  # fmt: skip


@dataclass
class Result:
    counts: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    states: dict[int, str] = field(default_factory=dict)  # internship id -> State
    assessments: dict[int, str] = field(default_factory=dict)  # internship id -> DRAFT/SUBMITTED


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _weekday(day: date) -> date:
    """A working day near `day` (as services.meetings suggests dates)."""
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour))


class _Lifecycle:
    def __init__(self, b, seed: int):
        self.b = b
        self.rng = random.Random(f"{seed}-lifecycle")
        self.fake = Faker("nl_NL")
        self.fake.seed_instance(f"{seed}-lifecycle")
        self.today, self.now = b.today, b.now
        rows = b.rows
        self.places = {r["id"]: r for r in rows[Placement]}
        self.profiles = {r["id"]: r for r in rows[StudentProfile]}
        self.users = {r["id"]: r for r in rows[User]}
        self.mentors = {r["id"]: r for r in rows[Mentor]}
        self.company_rows = {r["id"]: r for r in rows[Company]}
        self.company_account: dict[int, dict] = {}
        self.coordinator: dict[int, dict] = {}
        for user in rows[User]:
            if user["role"] == Role.COMPANY and user["company_id"] not in self.company_account:
                self.company_account[user["company_id"]] = user
            if user["role"] == Role.COORDINATOR and user["school_id"] not in self.coordinator:
                self.coordinator[user["school_id"]] = user
        self.quals = {q.id: q for q in db.session.scalars(select(Qualification))}
        self.schools = {s.id: s for s in db.session.scalars(select(School))}
        self.processes: dict[str, list[int]] = defaultdict(list)
        for wp_id, dossier in db.session.execute(
            select(WorkProcess.id, WorkProcess.dossier_crebo).order_by(
                WorkProcess.position, WorkProcess.id
            )
        ):
            self.processes[dossier].append(wp_id)
        self._companies: dict[int, SimpleNamespace] = {}
        self._mentors: dict[int, SimpleNamespace] = {}
        self.result = Result()

    # --- stand-ins for build_content ------------------------------------------------------

    def _company(self, company_id: int) -> SimpleNamespace:
        found = self._companies.get(company_id)
        if found is None:
            r = self.company_rows[company_id]
            found = self._companies[company_id] = SimpleNamespace(
                id=r["id"], name=r["name"], kvk_number=r["kvk_number"], sbb_id=r["sbb_id"],
                address=r.get("address"), city=r["city"],
            )  # fmt: skip
        return found

    def _mentor(self, mentor_id: int | None) -> SimpleNamespace | None:
        if mentor_id is None:
            return None
        found = self._mentors.get(mentor_id)
        if found is None:
            r = self.mentors[mentor_id]
            found = self._mentors[mentor_id] = SimpleNamespace(
                id=r["id"], name=r["name"], function=r["function"], email=r["email"]
            )
        return found

    def standin(self, row: dict) -> SimpleNamespace:
        """What `build_content` reads of an Internship, from the demo's rows. The agreement is for
        the place's period (an internship that ended early keeps its agreed end)."""
        place = self.places[row["placement_id"]]
        profile = self.profiles[row["student_id"]]
        user = self.users[profile["user_id"]]
        return SimpleNamespace(
            placement=SimpleNamespace(
                company=self._company(place["company_id"]), tasks=place["tasks"],
                description=place["description"], leerweg=place["leerweg"], id=place["id"],
                title=place["title"], hours_per_week=place["hours_per_week"],
                days_per_week=place["days_per_week"], pay_per_month=place["pay_per_month"],
            ),
            student=SimpleNamespace(
                user=SimpleNamespace(name=user["name"], email=user["email"]),
                birth_date=profile["birth_date"], student_number=profile["student_number"],
                qualification=self.quals[profile["qualification_id"]],
            ),
            school=self.schools[row["school_id"]], start_date=place["start_date"],
            end_date=place["end_date"], meester=self._mentor(row["meester_id"]),
            gezel=self._mentor(row["gezel_id"]), guardian_name=row["guardian_name"],
            guardian_email=row["guardian_email"],
        )  # fmt: skip

    # --- small helpers ---------------------------------------------------------------------

    def student_user(self, row: dict) -> dict:
        return self.users[self.profiles[row["student_id"]]["user_id"]]

    def company_user(self, row: dict) -> dict:
        return self.company_account[self.places[row["placement_id"]]["company_id"]]

    def minor(self, row: dict) -> bool:
        return minor_on(self.profiles[row["student_id"]]["birth_date"], row["start_date"])

    def moments(self, first: datetime, last: datetime, n: int) -> list[datetime]:
        """`n` increasing moments in [first, last] (last capped at now)."""
        last = min(max(last, first), self.now)
        first = min(first, last)
        span = (last - first).total_seconds()
        found = sorted(first + timedelta(seconds=self.rng.uniform(0, span)) for _ in range(n))
        for i in range(1, n):  # strictly increasing, so the order of signing is the order of time
            if found[i] <= found[i - 1]:
                found[i] = found[i - 1] + timedelta(seconds=1)
        return [min(m, self.now) for m in found]

    def give_guardian(self, row: dict) -> None:
        first, last = self.fake.first_name(), self.fake.last_name()
        slug = "".join(ch for ch in f"{first}.{last}".lower() if ch.isalnum() or ch == ".")
        row["guardian_name"] = f"{first} {last}"
        row["guardian_email"] = f"ouder.{slug}.{row['id']}@demo.stagematch.nl"

    # --- the agreement ---------------------------------------------------------------------

    def version(self, row: dict, number: int, content: dict, *, status: str, created: datetime,
                reason: str = "", by: int | None = None) -> dict:  # fmt: skip
        version = dict(
            id=self.b.new_id("agreement_version"), internship_id=row["id"], number=number,
            status=status, reason=reason, content=content, content_hash=content_hash(content),
            created_at=created, created_by_id=by, signed_at=None,
        )  # fmt: skip
        self.b.rows[AgreementVersion].append(version)
        return version

    def sign(self, row: dict, version: dict, parties: list[str], moments: list[datetime]) -> None:
        content = version["content"]
        for party, moment in zip(parties, moments, strict=True):
            user, email = None, None
            if party == SignatureParty.STUDENT:
                user = self.student_user(row)
            elif party == SignatureParty.COMPANY:
                user = self.company_user(row)
            elif party == SignatureParty.SCHOOL:
                user = self.coordinator[row["school_id"]]
            typed = user["name"] if user else content["guardian"]["name"]
            if party == SignatureParty.GUARDIAN:
                email = content["guardian"]["email"]
            self.b.rows[AgreementSignature].append(dict(
                id=self.b.new_id("agreement_signature"), version_id=version["id"], party=party,
                typed_name=typed, user_id=user["id"] if user else None, email=email,
                content_hash=version["content_hash"], signed_at=moment,
            ))  # fmt: skip

    def agreement(self, row: dict, state: str) -> dict:
        """Version 1 signed as far as `state` says; returns it."""
        minor = self.minor(row)
        if minor and state != State.WAIT_STUDENT:  # the student gave it before signing
            self.give_guardian(row)
        content = build_content(self.standin(row))
        parties = [p for p in ORDER if p != SignatureParty.GUARDIAN or minor]
        waiting = WAITING_FOR.get(state)
        done = parties[: parties.index(waiting)] if waiting else parties
        created = row["created_at"]
        signed = not waiting
        version = self.version(row, 1, content, created=created,
                               status=AgreementStatus.SIGNED if signed else AgreementStatus.PENDING)  # fmt: skip
        # Signed in the days after the offer was accepted, before the start when there was time.
        before_start = _at(row["start_date"], 8) - timedelta(days=1)
        last = created + timedelta(days=self.rng.randint(3, 20))
        if signed and before_start > created + timedelta(days=1):
            last = min(last, before_start)
        moments = self.moments(created + timedelta(hours=1), last, len(done))
        self.sign(row, version, done, moments)
        if signed:
            version["signed_at"] = moments[-1]
        return version

    def amendment(self, row: dict, first: dict) -> None:
        """Version 2 on the signed version 1: the school changed the dates or hours; some parties
        signed again."""
        reason, kind = self.rng.choice(AMENDMENTS)
        content = copy.deepcopy(first["content"])
        if kind == "longer":
            end = date.fromisoformat(content["end_date"]) + timedelta(days=14)
            content["end_date"] = end.isoformat()
        else:
            hours = max(16, int(content["hours_per_week"]) - 4)
            content["hours_per_week"] = hours
            content["schedule"] = f"{hours} uur per week; de vrijdagmiddag is voor het keuzedeel."
        known = (row["guardian_name"], row["guardian_email"])
        content = derive(content, guardian=known if row["guardian_email"] else None)
        school_user = self.coordinator[row["school_id"]]
        created = self.moments(first["signed_at"] + timedelta(days=7), self.now, 1)[0]
        version = self.version(row, 2, content, status=AgreementStatus.PENDING, created=created,
                               reason=reason, by=school_user["id"])  # fmt: skip
        parties = [p for p in ORDER if p != SignatureParty.GUARDIAN or self.minor(row)]
        done = parties[: self.rng.randint(0, len(parties) - 1)]
        self.sign(
            row, version, done, self.moments(created + timedelta(hours=1), self.now, len(done))
        )

    # --- hours and meetings ----------------------------------------------------------------

    def hours(self, row: dict, signed_at: datetime) -> None:
        """Every week of the placement that is over, logged; the meester approved all but the
        last (a few corrected). Some placements miss a week, some wait too long for approval."""
        place = self.places[row["placement_id"]]
        planned = float(place["hours_per_week"])
        student, company = self.student_user(row), self.company_user(row)
        weeks = []
        week = _monday(row["start_date"])
        while week + timedelta(days=6) < self.today:
            weeks.append(week)
            week += timedelta(weeks=1)
        habit = self.rng.random()
        missing = {self.rng.choice(weeks)} if weeks and habit < 0.1 else set()
        behind = 3 if 0.1 <= habit < 0.2 else (1 if self.rng.random() < 0.5 else 0)
        for n, week in enumerate(weeks):
            if week in missing:
                continue
            sunday = week + timedelta(days=6)
            days = 5 - max(0, min(5, (row["start_date"] - week).days))  # a first week begun late
            hours = planned * days / 5
            roll = self.rng.random()
            if roll < 0.15:
                hours -= self.rng.choice([2, 4, 8])
            elif roll < 0.2:
                hours += 1.5
            hours = max(0.0, min(80.0, round(hours * 2) / 2))
            by_student = self.rng.random() < 0.85
            entered = max(_at(sunday, 17) + timedelta(hours=self.rng.randint(0, 40)), signed_at)
            entered = min(entered, self.now)
            entry = dict(
                id=self.b.new_id("hours_entry"), internship_id=row["id"], week_start=week,
                hours=hours, note="" if roll >= 0.15 else "Een dag vrij genomen.",
                entered_by_id=(student if by_student else company)["id"],
                entered_role="student" if by_student else "company", entered_at=entered,
                status=HoursStatus.SUBMITTED, approved_hours=None, approved_by_id=None,
                approved_at=None, correction_note="",
            )  # fmt: skip
            approved = entered + timedelta(
                days=self.rng.randint(1, 4), hours=self.rng.randint(0, 8)
            )
            if n < len(weeks) - behind and approved <= self.now:
                entry.update(status=HoursStatus.APPROVED, approved_hours=hours,
                             approved_by_id=company["id"], approved_at=approved)  # fmt: skip
                if self.rng.random() < 0.05 and hours >= 2:
                    entry.update(status=HoursStatus.CORRECTED, approved_hours=hours - 2,
                                 correction_note=self.rng.choice(CORRECTION_NOTES))  # fmt: skip
            self.b.rows[HoursEntry].append(entry)

    def meeting(self, row: dict, kind: str, planned_on: date, *, held: bool, by: dict,
                planned_at: datetime) -> None:  # fmt: skip
        place = self.places[row["placement_id"]]
        school_user = self.coordinator[row["school_id"]]
        attendees = Attendees(student=self.student_user(row)["name"],
                              meester=self.mentors[place["meester_id"]]["name"],
                              school=school_user["name"])  # fmt: skip
        planned_at = min(planned_at, self.now)
        self.b.rows[Meeting].append(dict(
            id=self.b.new_id("meeting"), internship_id=row["id"], kind=kind, planned_on=planned_on,
            attendees=attendees.to_text(), planned_by_id=by["id"],
            held_on=planned_on if held else None,
            notes=self.rng.choice(MEETING_NOTES[kind]) if held else "",
            notes_by_id=school_user["id"] if held else None,
            updated_at=min(_at(planned_on, 16), self.now) if held else planned_at,
        ))  # fmt: skip

    def meetings(self, row: dict, *, signed_at: datetime, until: date, missed: bool) -> None:
        """Start (held, or `missed`: planned and never held), midway and final (held when their
        date is over by `until`, planned when it comes within the next weeks)."""
        start, end = row["start_date"], row["end_date"]
        school_user, company_user = self.coordinator[row["school_id"]], self.company_user(row)
        dates = {
            MeetingKind.START: _weekday(start + timedelta(days=7)),
            MeetingKind.MIDWAY: _weekday(start + (end - start) / 2),
            MeetingKind.FINAL: _weekday(end - timedelta(days=7)),
        }
        for kind, day in dates.items():
            if kind != MeetingKind.START and day > until + timedelta(days=42):
                continue  # not planned yet: far ahead
            if day > until and until < self.today:
                continue  # the placement ended before this meeting
            over = day < until if until < self.today else day <= self.today
            held = over and not (missed and kind == MeetingKind.START)
            if (
                missed
                and kind == MeetingKind.START
                and day + timedelta(days=MISSED_AFTER_DAYS) >= self.today
            ):
                held = False  # too recent to count as missed: it is just planned
            by = school_user if self.rng.random() < 0.6 else company_user
            planned_at = max(signed_at, _at(day, 10) - timedelta(days=self.rng.randint(7, 21)))
            self.meeting(row, kind, day, held=held, by=by, planned_at=planned_at)
            if missed and kind == MeetingKind.START:
                break  # nothing planned after a start meeting that did not happen

    # --- assessment and ending early -------------------------------------------------------

    def assessment(self, row: dict, *, submitted: bool, decision: str | None = None,
                   weak: bool = False) -> None:  # fmt: skip
        qualification = self.quals[self.profiles[row["student_id"]]["qualification_id"]]
        processes = (
            self.processes.get(qualification.dossier_crebo) or self.processes[GENERIC_DOSSIER]
        )
        end = row["end_date"]
        opens = max(row["start_date"], end - timedelta(days=OPENS_DAYS_BEFORE_END))
        company, school_user = self.company_user(row), self.coordinator[row["school_id"]]
        aid = self.b.new_id("assessment")
        scored = (
            processes if submitted else processes[: self.rng.randint(1, max(1, len(processes) - 1))]
        )
        for wp_id in scored:
            low, high = (1, 3) if weak else (2, 4)
            self.b.rows[AssessmentScore].append(dict(
                id=self.b.new_id("assessment_score"), assessment_id=aid, work_process_id=wp_id,
                score=self.rng.randint(low, high),
            ))  # fmt: skip
        row_ = dict(id=aid, internship_id=row["id"], remark="", submitted_at=None,
                    submitted_by_id=None, school_decision=None, school_remark="", decided_at=None,
                    decided_by_id=None)  # fmt: skip
        if submitted:
            last = min(_at(end, 8) - timedelta(days=1), self.now)
            row_.update(remark=self.rng.choice(REMARKS), submitted_by_id=company["id"],
                        submitted_at=self.moments(_at(opens, 9), last, 1)[0])  # fmt: skip
        if decision is not None:
            decided = min(_at(row["ended_at"], 11), self.now)
            row_.update(school_decision=decision, decided_at=max(decided, row_["submitted_at"]),
                        decided_by_id=school_user["id"],
                        school_remark=NOT_PASSED_REMARK if decision == AssessmentDecision.NOT_PASSED else "")  # fmt: skip
        self.b.rows[Assessment].append(row_)

    def ended_early(self, row: dict) -> None:
        """The approved request behind an internship that ended early; the end date becomes the
        day after the last day, as `applications.end_internship` sets it."""
        code, role, explanation = self.rng.choice(END_REASONS[row["outcome"]])
        last_day = row["ended_at"]
        user = self.student_user(row) if role == "student" else self.company_user(row)
        asked = max(
            _at(row["start_date"], 9), _at(last_day, 9) - timedelta(days=self.rng.randint(3, 14))
        )
        row["end_date"] = max(row["start_date"], last_day + timedelta(days=1))
        self.b.rows[EndRequest].append(dict(
            id=self.b.new_id("end_request"), internship_id=row["id"], requested_by_id=user["id"],
            requested_role=role, explanation=explanation, wanted_end=last_day, created_at=asked,
            status=EndRequestStatus.APPROVED, reason_code=code,
            decision_note="Besproken met student en leerbedrijf; de student krijgt hulp bij een nieuwe plek.",
            decided_by_id=self.coordinator[row["school_id"]]["id"],
            decided_at=min(max(asked + timedelta(hours=2), _at(last_day, 15)), self.now),
        ))  # fmt: skip

    def open_request(self, row: dict, signed_at: datetime) -> None:
        role, explanation = self.rng.choice(OPEN_REQUESTS)
        user = self.student_user(row) if role == "student" else self.company_user(row)
        first, last = row["start_date"] - timedelta(days=1), row["end_date"] - timedelta(days=1)
        wanted = max(first, min(last, self.today + timedelta(days=self.rng.randint(7, 28))))
        asked = max(signed_at, self.now - timedelta(days=self.rng.randint(1, 6)))
        self.b.rows[EndRequest].append(dict(
            id=self.b.new_id("end_request"), internship_id=row["id"], requested_by_id=user["id"],
            requested_role=role, explanation=explanation, wanted_end=wanted,
            created_at=min(asked, self.now), status=EndRequestStatus.OPEN, reason_code=None,
            decision_note="", decided_by_id=None, decided_at=None,
        ))  # fmt: skip

    # --- who is in which state ---------------------------------------------------------------

    def assign(self, active: list[dict]) -> tuple[dict[int, str], dict[int, str]]:
        rng, today = self.rng, self.today
        states: dict[int, str] = {}
        marks: dict[int, str] = {}  # assessments near the end
        for row in active:
            if row["start_date"] > today:
                state = rng.choices(
                    [State.WAIT_STUDENT, State.WAIT_GUARDIAN, State.WAIT_COMPANY, State.WAIT_SCHOOL,
                     State.SIGNED_COMING], [0.2, 0.15, 0.2, 0.15, 0.3])[0]  # fmt: skip
                if state == State.WAIT_GUARDIAN and not self.minor(row):
                    state = State.WAIT_STUDENT
            else:
                roll = rng.random()
                if roll < 0.04:  # signing is late: the placement may not start yet
                    state = rng.choice([State.WAIT_STUDENT, State.WAIT_COMPANY, State.WAIT_SCHOOL])
                elif roll < 0.10:
                    state = State.AMENDMENT
                elif roll < 0.14:
                    state = State.END_REQUESTED
                else:
                    state = State.RUNNING
            states[row["id"]] = state
            if self.near_end(row) and state in SIGNED_RUNNING:
                mark = rng.choices([DRAFT, SUBMITTED, None], [0.35, 0.4, 0.25])[0]
                if mark:
                    marks[row["id"]] = mark
        # Every state at least once: overall, at each README school, at the showcase company.
        groups = []
        names = {info.name for info in SCHOOLS}
        by_school = defaultdict(list)
        for row in active:
            if self.schools[row["school_id"]].name in names:
                by_school[row["school_id"]].append(row)
        groups += [by_school[k] for k in sorted(by_school)]
        keep: set[int] = set()
        if self.showcase is not None:
            theirs = [
                r for r in active if self.places[r["placement_id"]]["company_id"] == self.showcase
            ]
            # The showcase company's own login shows an agreement waiting for its signature,
            # also when it has only a few placements (each in a state of its own).
            if theirs and State.WAIT_COMPANY not in {states[r["id"]] for r in theirs}:
                pick = min(theirs, key=lambda r: (states[r["id"]] not in UNSIGNED, r["id"]))
                if pick["id"] not in marks:
                    states[pick["id"]] = State.WAIT_COMPANY
                    keep.add(pick["id"])
            groups.append(theirs)
        groups.append(active)  # last: every state at least once over the whole demo
        for group in groups:
            self._cover([r for r in group if r["id"] not in keep], states, marks)
        return states, marks

    def near_end(self, row: dict) -> bool:
        return (
            row["start_date"] <= self.today
            and row["end_date"] - timedelta(days=OPENS_DAYS_BEFORE_END) <= self.today
        )

    def _fits(self, row: dict, state: str, marks: dict[int, str]) -> bool:
        """Whether an active placement can be put in `state`."""
        if row["id"] in marks:
            return False
        if state == State.WAIT_GUARDIAN and not self.minor(row):
            return False
        if state == State.SIGNED_COMING:
            return row["start_date"] > self.today
        if state in UNSIGNED:
            return True
        return row["start_date"] <= self.today

    def _cover(self, group: list[dict], states: dict[int, str], marks: dict[int, str]) -> None:
        """Give missing states to members of `group` whose state is common there."""
        # Signed-and-coming first: few placements start later, the unsigned states can also be
        # placements that started while a signature is late.
        wanted = [State.SIGNED_COMING, State.WAIT_GUARDIAN, State.WAIT_STUDENT, State.WAIT_COMPANY,
                  State.WAIT_SCHOOL, State.AMENDMENT, State.END_REQUESTED, State.RUNNING]  # fmt: skip
        for state in wanted:
            count = Counter(states[r["id"]] for r in group)
            if count[state]:
                continue
            coming = state in UNSIGNED or state == State.SIGNED_COMING
            spare = [r for r in group
                     if count[states[r["id"]]] > 1 and self._fits(r, state, marks)]  # fmt: skip
            # Unsigned states prefer placements still to come; signed-running ones need a start.
            spare.sort(key=lambda r: (not (r["start_date"] > self.today) if coming else 0, r["id"]))
            if spare:
                states[spare[0]["id"]] = state
        for mark in (SUBMITTED, DRAFT):
            if mark in {marks.get(r["id"]) for r in group}:
                continue
            spare = [r for r in group if self.near_end(r) and states[r["id"]] in SIGNED_RUNNING
                     and r["id"] not in marks]  # fmt: skip
            if not spare:
                spare = [r for r in group if marks.get(r["id"]) and
                         Counter(marks.get(x["id"]) for x in group)[marks[r["id"]]] > 1]  # fmt: skip
            if spare:
                marks[spare[0]["id"]] = mark

    # --- all of it ---------------------------------------------------------------------------

    def run(self) -> Result:
        b, today = self.b, self.today
        self.addresses()
        internships = b.rows[Internship]
        for row in internships:
            row.setdefault("guardian_name", None)
            row.setdefault("guardian_email", None)
        active = [r for r in internships if r["status"] == InternshipStatus.ACTIVE]
        per_company = Counter(self.places[r["placement_id"]]["company_id"] for r in active)
        self.showcase = (
            min(per_company, key=lambda c: (-per_company[c], c)) if per_company else None
        )
        states, marks = self.assign(active)
        for row in active:
            state = states[row["id"]]
            version = self.agreement(row, state)
            if state in UNSIGNED:
                continue
            started = row["start_date"] <= today
            if state == State.SIGNED_COMING:
                if self.rng.random() < 0.5:  # the start meeting is planned already
                    day = _weekday(row["start_date"] + timedelta(days=7))
                    self.meeting(row, MeetingKind.START, day, held=False,
                                 by=self.coordinator[row["school_id"]], planned_at=version["signed_at"])  # fmt: skip
                continue
            assert started, row["id"]
            self.hours(row, version["signed_at"])
            self.meetings(row, signed_at=version["signed_at"], until=today,
                          missed=self.rng.random() < 0.04)  # fmt: skip
            if state == State.AMENDMENT:
                self.amendment(row, version)
            elif state == State.END_REQUESTED:
                self.open_request(row, version["signed_at"])
            if row["id"] in marks:
                self.assessment(row, submitted=marks[row["id"]] == SUBMITTED)
        recent = today - timedelta(days=LIFECYCLE_DAYS)
        for row in internships:
            if row["status"] == InternshipStatus.ACTIVE or row["ended_at"] < recent:
                continue
            early = row["status"] == InternshipStatus.TERMINATED
            states[row["id"]] = State.ENDED_EARLY if early else State.COMPLETED
            version = self.agreement(row, State.RUNNING)
            if early:
                self.ended_early(row)
            self.meetings(row, signed_at=version["signed_at"], until=row["ended_at"], missed=False)
            if not early:
                passed = row["outcome"] == InternshipOutcome.SUCCESS
                self.assessment(row, submitted=True, weak=not passed,
                                decision=AssessmentDecision.PASSED if passed else AssessmentDecision.NOT_PASSED)  # fmt: skip
        self.result.states, self.result.assessments = states, marks
        self.logins(active, states)
        counts = Counter(states.values())
        self.result.counts = {
            "overeenkomsten (versies)": len(b.rows[AgreementVersion]),
            "urenweken": len(b.rows[HoursEntry]),
            "gesprekken": len(b.rows[Meeting]),
            "beoordelingen": len(b.rows[Assessment]),
            "verzoeken om eerder te stoppen": len(b.rows[EndRequest]),
            **{f"stages: {s}": counts[s] for s in (*UNSIGNED, State.SIGNED_COMING, *SIGNED_RUNNING)},
        }  # fmt: skip
        return self.result

    def addresses(self) -> None:
        """A street address (street, number, postcode) for every company; an SBB id where none.
        Faker's Dutch street names and postcodes, drawn once into pools (Faker per company would
        take a second at 12,500 companies)."""
        fake, rng = Faker("nl_NL"), self.rng
        fake.seed_instance(f"{rng.random()}-address")
        streets = [fake.street_name() for _ in range(400)]
        postcodes = [fake.postcode().replace(" ", "") for _ in range(900)]
        postcodes = [f"{code[:4]} {code[4:]}" for code in postcodes]  # "7551 AB"
        for row in self.b.rows[Company]:
            if not row.get("address"):
                number = rng.randint(1, 180)
                row["address"] = f"{rng.choice(streets)} {number}, {rng.choice(postcodes)}"
            if not row.get("sbb_id"):
                row["sbb_id"] = f"SBB{100000 + row['id']}"

    def logins(self, active: list[dict], states: dict[int, str]) -> None:
        """The showcase company's account, and two students of README's first school with a
        placement: one whose signature is awaited, one running."""
        if self.showcase is not None:
            user = self.company_account[self.showcase]
            self.result.logins.append(("leerbedrijf", user["email"], "stages in elke fase"))
        first_school = next(
            (s.id for s in self.schools.values() if s.name == SCHOOLS[0].name), None
        )
        for state, note in ((State.WAIT_STUDENT, "overeenkomst wacht op handtekening"),
                            (State.RUNNING, "lopende stage met uren en gesprekken")):  # fmt: skip
            pick = [r for r in active if states[r["id"]] == state]
            pick.sort(key=lambda r: (r["school_id"] != first_school, r["id"]))
            if pick:
                self.result.logins.append(("student", self.student_user(pick[0])["email"], note))


def build(b, *, seed: int) -> Result:
    """Add the lifecycle rows to the demo's rows (`b.rows`, before they are written)."""
    b.progress("Overeenkomsten, uren, gesprekken en beoordelingen …")
    return _Lifecycle(b, seed).run()
