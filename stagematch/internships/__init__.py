"""The placement page (issue 17): one page per placement for its student, its leerbedrijf and
the student's school, each seeing it from their side. Each section (agreement, hours, meetings,
assessment, ending early) lives in its own module here with its own actions and template."""

from flask import Blueprint

bp = Blueprint("internships", __name__)

from stagematch.internships import routes  # noqa: E402,F401
