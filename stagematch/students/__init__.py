from flask import Blueprint

bp = Blueprint("students", __name__)

from stagematch.students import (  # noqa: E402,F401
    allocation,
    help,  # noqa: E402,F401  (help with applying: consent)
    objections,
    routes,
)
