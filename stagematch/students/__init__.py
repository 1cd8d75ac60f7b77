from flask import Blueprint

bp = Blueprint("students", __name__)

from stagematch.students import allocation, objections, routes  # noqa: E402,F401
