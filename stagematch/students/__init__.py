from flask import Blueprint

bp = Blueprint("students", __name__)

from stagematch.students import allocation, routes  # noqa: E402,F401
