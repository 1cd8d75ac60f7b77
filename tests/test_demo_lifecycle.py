"""The demo has placements in every state of the lifecycle (issue 17), and every lifecycle row is
one the services could have written: agreement content as `agreements.build_content` makes it,
hashes that match, signatures in turn order, hours and assessments under the services' rules,
early endings whose reason gives the internship's outcome. Built through `demo.generate`."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import select

from stagematch.demo import DEMO_DOMAIN, generate
from stagematch.extensions import db
from stagematch.models import (
    AgreementSignature,
    AgreementStatus,
    AgreementVersion,
    Assessment,
    Company,
    EndRequest,
    EndRequestStatus,
    Flag,
    HoursEntry,
    HoursStatus,
    Internship,
    Meeting,
    MeetingKind,
    School,
    SignatureParty,
    User,
)
from stagematch.models.enums import InternshipStatus, Role
from stagematch.services import agreements, assessments, early_ending, hours, meetings
from stagematch.services.flags import refresh_flags
from stagematch.services.internships import Phase, company_ids_of, phase
from stagematch.timeutil import today, utcnow

README_SCHOOL = "ROC van Twente"


@pytest.fixture
def demo(app):
    summary = generate(students=1500, companies=300, seed=14)
    db.session.expire_all()
    return summary


def _internships(status=None) -> list[Internship]:
    stmt = select(Internship).order_by(Internship.id)
    if status is not None:
        stmt = stmt.where(Internship.status == status)
    return list(db.session.scalars(stmt))


def _waiting_for(internship: Internship) -> str | None:
    pending = agreements.pending_version(internship)
    return agreements.next_party(pending) if pending is not None else None


def _states(internships: list[Internship]) -> Counter:
    """Each active placement's states as a user would name them, from the database alone."""
    day = today()
    found: Counter = Counter()
    for i in internships:
        if i.status != InternshipStatus.ACTIVE:
            continue
        signed = agreements.is_signed(i)
        waiting = _waiting_for(i)
        if not signed and waiting:
            found[f"waiting:{waiting}"] += 1
        if signed and i.start_date > day:
            found["signed_coming"] += 1
        if signed and i.start_date <= day:
            found["signed_running"] += 1
        if signed and waiting:
            found["amendment"] += 1
        if early_ending.open_request(i) is not None:
            found["end_requested"] += 1
        if i.assessment is not None:
            found["assessment_submitted" if i.assessment.submitted_at else "assessment_draft"] += 1
    return found


WANTED = ("waiting:student", "waiting:guardian", "waiting:company", "waiting:school",
          "signed_coming", "signed_running", "amendment", "end_requested", "assessment_draft",
          "assessment_submitted")  # fmt: skip


def test_every_state_exists(demo):
    found = _states(_internships())
    for state in WANTED:
        assert found[state] >= 1, (state, found)
    # A realistic mix: most running placements are fully signed.
    running = [i for i in _internships(InternshipStatus.ACTIVE) if i.start_date <= today()]
    signed = sum(agreements.is_signed(i) for i in running)
    assert signed >= 0.8 * len(running)
    # The coordinators named in README see every state at their school (the data allows it).
    school = db.session.scalar(select(School).where(School.name == README_SCHOOL))
    at_school = _states(_internships_of(school))
    assert all(at_school[s] >= 1 for s in WANTED), at_school
    # The printed logins name a company and students with placements in these states.
    emails = [email for _, email, _ in demo.logins]
    assert f"student1@{DEMO_DOMAIN}" in emails and f"bedrijf1@{DEMO_DOMAIN}" in emails
    showcase = [e for role, e, _ in demo.logins if role == "leerbedrijf"][-1]  # after bedrijf1
    user = db.session.scalar(select(User).where(User.email == showcase))
    theirs = [i for i in _internships(InternshipStatus.ACTIVE)
              if i.placement.company_id == user.company_id]  # fmt: skip
    assert len({phase(i) for i in theirs}) >= 2
    assert any(_waiting_for(i) == SignatureParty.COMPANY for i in theirs)


def _internships_of(school: School) -> list[Internship]:
    return [i for i in _internships() if i.school_id == school.id]


def test_running_placements_have_hours_and_meetings(demo):
    day = today()
    entries = list(db.session.scalars(select(HoursEntry)))
    statuses = Counter(e.status for e in entries)
    assert statuses[HoursStatus.APPROVED] and statuses[HoursStatus.CORRECTED]
    assert statuses[HoursStatus.SUBMITTED]
    assert any(hours.is_overdue(e) for e in entries)
    attention = hours.attention(
        internship_ids=[i.id for i in _internships(InternshipStatus.ACTIVE)]
    )
    assert any(a.missing for a in attention.values()) and any(a.overdue for a in attention.values())
    status = Counter()
    for i in _internships(InternshipStatus.ACTIVE):
        if i.start_date > day or not agreements.is_signed(i):
            continue
        for row in meetings.rows(i):
            status[(row.kind, row.status)] += 1
            if row.status == meetings.Status.HELD:
                assert row.meeting.notes and row.meeting.held_on <= day
    assert status[(MeetingKind.START, meetings.Status.HELD)]
    assert status[(MeetingKind.MIDWAY, meetings.Status.PLANNED)]
    assert sum(n for (_, s), n in status.items() if s == meetings.Status.MISSED) >= 1
    # Most running, signed placements are up to date: no missing or overdue weeks.
    running = [i for i in _internships(InternshipStatus.ACTIVE)
               if i.start_date <= day - timedelta(days=14) and agreements.is_signed(i)]  # fmt: skip
    assert len([i for i in running if i.id in attention]) <= 0.4 * len(running)


def test_finished_placements_have_their_ending(demo):
    completed = [i for i in _internships(InternshipStatus.COMPLETED) if i.assessment is not None]
    assert completed
    for i in completed:
        a = i.assessment
        assert a.submitted_at is not None and a.school_decision is not None
        decider = db.session.get(User, a.decided_by_id)
        assert decider.role == Role.COORDINATOR and decider.school_id == i.school_id
        assert assessments.outcome_for(i, a.school_decision) == i.outcome or (
            i.outcome == "success"  # passed, though a final evaluation was low
        )
        assert agreements.is_signed(i)
    ended = [i for i in _internships(InternshipStatus.TERMINATED) if i.end_requests]
    assert ended
    for i in ended:
        (request,) = i.end_requests
        assert request.status == EndRequestStatus.APPROVED
        assert request.reason_code in early_ending.REASONS
        assert early_ending.outcome_for(request.reason_code, request.requested_role) == i.outcome
        # As applications.end_internship leaves it: ended on the last day, the seat free after.
        assert i.ended_at == request.wanted_end
        assert i.end_date == request.wanted_end + timedelta(days=1)
        assert request.created_at <= request.decided_at <= utcnow()
        assert request.decided_by.role == Role.COORDINATOR
        assert phase(i) == Phase.ENDED_EARLY


def test_agreements_are_what_the_service_writes(demo):
    versions = list(db.session.scalars(select(AgreementVersion).order_by(AgreementVersion.id)))
    assert versions
    now = utcnow()
    by_internship = defaultdict(list)
    for v in versions:
        by_internship[v.internship_id].append(v)
        assert v.content_hash == agreements.content_hash(v.content), v.id
        assert v.created_at <= now
        parties = agreements.parties(v)
        signatures = sorted(v.signatures, key=lambda s: (s.signed_at, s.id))
        signed = [s.party for s in signatures]
        assert signed == parties[: len(signed)], (v.id, signed)  # in turn
        assert [s.id for s in signatures] == sorted(s.id for s in signatures)
        for s in signatures:
            assert s.content_hash == v.content_hash and v.created_at <= s.signed_at <= now
            _check_signer(v.internship, s)
        if v.status == AgreementStatus.SIGNED:
            assert signed == parties and v.signed_at == signatures[-1].signed_at
        else:
            assert v.signed_at is None and len(signed) < len(parties)
        guardian = v.content["guardian"]
        if agreements.needs_guardian(v) and SignatureParty.STUDENT in signed:
            assert guardian["name"] and guardian["email"]  # the student gave them first
    for internship_id, found in by_internship.items():
        internship = db.session.get(Internship, internship_id)
        assert [v.number for v in found] == list(range(1, len(found) + 1))
        assert sum(v.status == AgreementStatus.SIGNED for v in found) <= 1
        first = found[0]
        if internship.status == InternshipStatus.ACTIVE:
            # Version 1 is exactly what the site generates for this placement.
            assert first.content == agreements.build_content(internship), internship_id
            assert internship.guardian_email == (first.content["guardian"] or {}).get("email")
        if len(found) > 1:  # an amendment waits on the signed version
            assert first.status == AgreementStatus.SIGNED
            assert found[-1].reason and found[-1].status == AgreementStatus.PENDING
            assert found[-1].created_at >= first.signed_at
        if agreements.is_signed(internship) and internship.start_date <= today():
            assert agreements.signed_versions(internship)[0].signed_at is not None


def _check_signer(internship: Internship, s: AgreementSignature) -> None:
    if s.party == SignatureParty.GUARDIAN:
        assert s.user_id is None and s.email and s.typed_name
        return
    user = db.session.get(User, s.user_id)
    assert s.typed_name == user.name
    if s.party == SignatureParty.STUDENT:
        assert user.id == internship.student.user_id
    elif s.party == SignatureParty.COMPANY:
        assert user.role == Role.COMPANY and user.company_id == internship.placement.company_id
    else:
        assert user.role == Role.COORDINATOR and user.school_id == internship.school_id


def test_hours_assessments_and_requests_are_valid(demo):
    day, now = today(), utcnow()
    for e in db.session.scalars(select(HoursEntry)):
        i = e.internship
        assert e.week_start.weekday() == 0 and e.week_start + timedelta(days=6) < day
        assert e.week_start + timedelta(days=6) >= i.start_date and e.week_start <= hours.last_day(
            i
        )
        assert 0 <= e.hours <= hours.MAX_HOURS and e.hours == round(e.hours, 1)
        signed = agreements.signed_versions(i)
        assert signed and signed[0].signed_at <= e.entered_at <= now
        if e.status == HoursStatus.SUBMITTED:
            assert e.approved_hours is None and e.approved_at is None and e.approved_by_id is None
        else:
            assert e.approved_at >= e.entered_at and e.approved_at <= now
            approver = db.session.get(User, e.approved_by_id)
            # The place's firm, or a network partner whose meester supervises (demo_networks).
            assert approver.company_id in company_ids_of(i)
            if e.status == HoursStatus.APPROVED:
                assert e.approved_hours == e.hours
            else:
                assert e.approved_hours != e.hours and e.correction_note
    for a in db.session.scalars(select(Assessment)):
        i = a.internship
        allowed = {p.id for p in assessments.items_for(i).processes}
        scored = assessments.scores_of(a)
        assert set(scored) <= allowed and all(v in assessments.SCORES for v in scored.values())
        if a.submitted_at is not None:
            assert set(scored) == allowed and len(a.remark) >= 3 and a.submitted_at <= now
        else:
            assert a.school_decision is None
        if i.status == InternshipStatus.ACTIVE:
            assert assessments.is_open(i) and a.school_decision is None
    for r in db.session.scalars(
        select(EndRequest).where(EndRequest.status == EndRequestStatus.OPEN)
    ):
        i = r.internship
        assert i.status == InternshipStatus.ACTIVE and agreements.is_signed(i)
        first, last = early_ending.last_day_bounds(i)
        assert first <= r.wanted_end <= last and r.created_at <= now and r.explanation
    for m in db.session.scalars(select(Meeting)):
        assert m.planned_on is not None and meetings.Attendees.from_text(m.attendees).names()
        assert m.held_on is None or (m.held_on <= day and m.notes and m.notes_by_id)
        assert m.updated_at <= now


def test_companies_have_an_address_and_an_sbb_id(demo):
    for company in db.session.scalars(select(Company)):
        assert company.sbb_id and company.address
        assert any(ch.isdigit() for ch in company.address.split(",")[0])  # a house number
        postcode = company.address.split(",")[1].strip()
        assert re.fullmatch(r"[1-9][0-9]{3} [A-Z]{2}", postcode), company.address


def test_flags_and_pages_work_on_the_demo(demo, client, auth):
    raised = sum(refresh_flags(school) for school in db.session.scalars(select(School)).all())
    assert raised
    kinds = set(db.session.scalars(select(Flag.kind)))
    assert {"hours_missing", "hours_overdue", "meeting_missed"} <= kinds
    # The placement page as each party, one placement per state.
    seen = set()
    password = "stagematch-demo"
    for i in _internships():
        key = (phase(i), _waiting_for(i), i.assessment is not None)
        if key in seen:
            continue
        seen.add(key)
        company_user = db.session.scalar(
            select(User).where(User.company_id == i.placement.company_id).order_by(User.id)
        )
        coordinator = db.session.scalar(
            select(User).where(User.school_id == i.school_id, User.role == Role.COORDINATOR)
        )
        # A zij-instromer hired before choosing a school (demo_adults) has no school party yet.
        assert (coordinator is None) == (i.school_id is None)
        for user in filter(None, (i.student.user, company_user, coordinator)):
            auth.login(user.email, password)
            assert client.get(f"/stage/{i.id}").status_code == 200, (key, user.role)
            auth.logout()
    assert len(seen) >= 8
