from flask import Blueprint

bp = Blueprint("places", __name__)

from stagematch.places import objections, routes  # noqa: E402,F401
