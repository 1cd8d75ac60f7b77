from flask import Blueprint

bp = Blueprint("coordinators", __name__)

from stagematch.coordinators import (  # noqa: E402,F401
    acting,  # noqa: E402,F401  (applying for a student)
    allocation,
    cases,
    objections,
    routes,
    school,
)
