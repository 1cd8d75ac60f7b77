"""Issue 17, "Mijn stage": the placement page lists the evaluations due for it, to each party its
own — the student their evaluations of the meester (with the link to fill one in), the leerbedrijf
the meester's (never the student's ratings), the school whether each was filled in."""

from __future__ import annotations

from datetime import timedelta

from stagematch.extensions import db
from stagematch.models.enums import EvaluationAuthor
from stagematch.timeutil import today
from tests.test_hours import _sign


def _running(make):
    company = make.company()
    owner = make.company_user(company)
    place = make.placement(company, make.meester(company, capacity=2))
    student = make.student()
    coordinator = make.coordinator(student.school)
    internship = make.internship(student, place, start_date=today() - timedelta(weeks=9),
                                 end_date=today() + timedelta(weeks=9))  # fmt: skip
    _sign(internship)
    for e in internship.evaluations:  # the midterm ones are due now, the final ones later
        e.due_date = today() + timedelta(days=3 if e.moment == "midterm" else 60)
    db.session.commit()
    return internship, student, owner, coordinator


def _section(client, auth, user, internship) -> str:
    auth.logout()
    auth.login(user)
    page = client.get(f"/stage/{internship.id}").text
    start = page.find('id="evaluaties"')
    assert start != -1, "no evaluations section"
    return page[start : page.find("</article>", start)]


def test_each_party_sees_its_evaluations_on_the_placement_page(client, auth, make):
    internship, student, owner, coordinator = _running(make)
    mine = next(e for e in internship.evaluations
                if e.author_role == EvaluationAuthor.STUDENT and e.moment == "midterm")  # fmt: skip
    meesters = next(e for e in internship.evaluations
                    if e.author_role == EvaluationAuthor.MEESTER and e.moment == "midterm")  # fmt: skip

    as_student = _section(client, auth, student, internship)
    assert f"/student/evaluaties/{mine.id}" in as_student
    assert "/leerbedrijf/evaluaties/" not in as_student

    as_company = _section(client, auth, owner, internship)
    assert f"/leerbedrijf/evaluaties/{meesters.id}" in as_company
    assert "/student/evaluaties/" not in as_company and "Jouw evaluatie" not in as_company

    meesters.submitted_at = db.func.now()
    db.session.commit()
    as_school = _section(client, auth, coordinator, internship)
    assert "ingevuld" in as_school and "open" in as_school
    assert "/evaluaties/" not in as_school  # the school reads the status, fills in nothing
