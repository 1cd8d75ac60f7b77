"""The capacity module is the only place where learners, reserved seats and free seats are
counted (its docstring says so; this test holds the code to it), with one definition over a
place's period."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

from stagematch.extensions import db
from stagematch.models import Application, Internship
from stagematch.models.enums import ApplicationStatus, InternshipStatus, PlacementStatus
from stagematch.services import capacity
from stagematch.timeutil import today

PACKAGE = Path(capacity.__file__).resolve().parent.parent
HOME = Path(capacity.__file__).resolve()
# Counting learners: a statement that counts (or sums) internships or seats per mentor or place.
MENTOR_NAMES = ("meester_id", "gezel_id", "placement_id")


def _counting_statements(tree: ast.AST):
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt) or isinstance(
            node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef
        ):
            continue
        text = ast.unparse(node)
        if len(text) > 4000:  # a whole block: its statements are visited on their own
            continue
        counts = "func.count(" in text or "func.sum(" in text
        learners = "== InternshipStatus.ACTIVE" in text and any(n in text for n in MENTOR_NAMES)
        seats = ".seats -" in text and ("filled" in text or "taken" in text)
        if (counts and learners) or seats:
            yield node.lineno, text.splitlines()[0]


def test_no_code_outside_the_capacity_module_counts_learners_or_seats():
    assert "No code outside this module counts learners" in capacity.__doc__
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.resolve() == HOME or "migrations" in path.parts:
            continue
        for line, text in _counting_statements(ast.parse(path.read_text(encoding="utf-8"))):
            offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {text}")
    assert not offenders, "\n".join(offenders)


def test_the_check_finds_a_count_of_learners(tmp_path):
    source = (
        "n = db.session.scalar(select(func.count(Internship.id)).where("
        "Internship.meester_id == m, Internship.status == InternshipStatus.ACTIVE))"
    )
    assert list(_counting_statements(ast.parse(source)))


def test_learners_offers_and_reserved_seats_over_a_period(make):
    company = make.company()
    meester = make.meester(company, capacity=4)
    start = today() + timedelta(days=60)
    place = make.placement(company, meester, seats=2, start_date=start, duration_weeks=10)
    later = make.placement(company, meester, seats=1, start_date=start + timedelta(weeks=12))
    student = make.student()
    db.session.add(Internship(
        student_id=student.profile.id, placement=place, school_id=student.profile.school_id, meester_id=meester.id,
        start_date=start, end_date=place.end_date, status=InternshipStatus.ACTIVE,
    ))  # fmt: skip
    offered = make.student()
    db.session.add(Application(student_id=offered.profile.id, placement=place, status=ApplicationStatus.OFFERED,
                               respond_by=today() + timedelta(days=3)))  # fmt: skip
    expired = make.student()
    db.session.add(Application(student_id=expired.profile.id, placement=later, status=ApplicationStatus.OFFERED,
                               respond_by=today() - timedelta(days=1)))  # fmt: skip
    db.session.flush()
    rooms = capacity.place_rooms([place.id, later.id])
    # place: 2 seats, 1 learner, 1 open offer -> no seat; meester: 1 learner + 1 offer = 2 of 4.
    assert rooms[place.id].seats_free == 0 and rooms[place.id].meester_room == 2
    # later: does not overlap `place`; the expired offer holds nothing; its own seat is reserved.
    assert rooms[later.id].seats_free == 1 and rooms[later.id].meester_room == 3
    load = capacity.mentor_load(meester.id)
    assert (load.active, load.offered, load.reserved, load.free) == (1, 1, 1, 1)
    assert capacity.minimum_capacity(meester.id) == 2
    place.status = PlacementStatus.CLOSED
    db.session.flush()
    assert capacity.place_rooms([place.id])[place.id].seats_free == 0


def test_a_place_is_counted_once_when_its_meester_and_gezel_are_read_in_different_chunks(
    make, monkeypatch
):
    from stagematch.models import Mentor
    from stagematch.models.enums import MentorRole

    company = make.company()
    meester = make.meester(company, capacity=2)
    gezel = Mentor(
        company=company, role=MentorRole.GEZEL, name="Gijs", capacity=2, meester_id=meester.id
    )
    db.session.add(gezel)
    db.session.flush()
    place = make.placement(company, meester, gezel=gezel, seats=2)
    whole = capacity.place_rooms([place.id])[place.id]
    monkeypatch.setattr(capacity, "MENTOR_CHUNK", 1)  # as with more than 2,000 mentors
    assert capacity.place_rooms([place.id])[place.id] == whole
    assert (whole.meester_room, whole.gezel_room) == (0, 0)


def test_an_internship_without_a_student_does_not_hide_every_student(make):
    # NOT IN over a list with a NULL is never true: a deleted student's internship emptied lists.
    from stagematch.ranking import suggested_students

    student = make.student(discoverable=True)
    company = make.company(qualifications=[student.profile.qualification])
    place = make.placement(company, make.meester(company, capacity=3))
    other = make.placement(company, make.meester(company, capacity=3))
    db.session.add(Internship(placement=other, school_id=student.profile.school_id, student_id=None,
                              meester_id=other.meester_id, start_date=today(),
                              end_date=today() + timedelta(weeks=10), status="active"))  # fmt: skip
    db.session.commit()
    assert [s["profile_id"] for s in suggested_students(place)] == [student.profile.id]
