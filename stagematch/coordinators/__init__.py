from flask import Blueprint

bp = Blueprint("coordinators", __name__)

from stagematch.coordinators import allocation, cases, objections, routes, school  # noqa: E402,F401
