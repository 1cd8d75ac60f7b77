"""The open API for school systems and sector bodies: /api/v1, described by an OpenAPI 3 file."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from stagematch.api import routes  # noqa: E402,F401
