"""The placement page's section on the midterm and final evaluations (issue 17, "Mijn stage"):
each party sees its own — the student their evaluations of the meester with the link to fill one
in, the leerbedrijf the meester's (never the student's ratings: those reach companies only as
averages), the school whether each was filled in."""

from __future__ import annotations

from stagematch.internships.sections import section
from stagematch.models.enums import EvaluationAuthor
from stagematch.services.evaluations import OPENS_DAYS_BEFORE
from stagematch.timeutil import today

AUTHOR_OF_SIDE = {"student": EvaluationAuthor.STUDENT, "company": EvaluationAuthor.MEESTER}


@section("internships/_evaluations.html", order=35)
def evaluations_section(internship, side):
    author = AUTHOR_OF_SIDE.get(side)
    shown = [e for e in internship.evaluations if author is None or e.author_role == author]
    if not shown:
        return None
    day = today()
    rows = []
    for e in sorted(shown, key=lambda e: (e.due_date, e.author_role)):
        if e.submitted_at is not None:
            status = "done"
        elif e.due_date < day:
            status = "late"
        elif (e.due_date - day).days <= OPENS_DAYS_BEFORE:
            status = "open"
        else:
            status = "later"
        rows.append({"evaluation": e, "status": status,
                     "fill_in": side in AUTHOR_OF_SIDE and status in ("open", "late")})  # fmt: skip
    return {"rows": rows}
