"""The administrator's pages under /beheer: users, companies, the mail log and jobs (the admin
home, the audit log and the model card stay in `main`)."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from stagematch.admin import routes  # noqa: E402,F401
