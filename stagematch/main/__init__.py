from flask import Blueprint

bp = Blueprint("main", __name__)

from stagematch.main import routes  # noqa: E402,F401
