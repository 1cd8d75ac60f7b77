from flask import Blueprint

bp = Blueprint("companies", __name__)

from stagematch.companies import allocation, networks, objections, routes  # noqa: E402,F401
