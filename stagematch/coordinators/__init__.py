from flask import Blueprint

bp = Blueprint("coordinators", __name__)

from stagematch.coordinators import allocation, cases, routes  # noqa: E402,F401
