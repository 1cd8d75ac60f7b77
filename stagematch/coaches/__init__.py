"""Pages of a job coach (issue 18): the learners who gave the coach their consent, and applying
for them (services/acting.py)."""

from flask import Blueprint

bp = Blueprint("coaches", __name__)

from stagematch.coaches import routes  # noqa: E402,F401
