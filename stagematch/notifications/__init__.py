"""The in-site list of notifications (/meldingen), for every role."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)

from stagematch.notifications import routes  # noqa: E402,F401
