"""StageMatch: matches mbo students to stage (BOL) and BBL places, weighing supervision quality."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from stagematch import i18n
from stagematch.config import CONFIGS, Config
from stagematch.extensions import csrf, db, limiter, login_manager, mail, migrate
from stagematch.inputs import CleanRequest

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type[Config] | str | None = None, overrides: dict | None = None) -> Flask:
    """Build the app. `config` is a config class or its name ("test"); without it the class named
    by STAGEMATCH_CONFIG (default: development). `overrides` are settings on top."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=os.environ.get("STAGEMATCH_INSTANCE", str(ROOT / "instance")),
    )
    app.request_class = CleanRequest
    if config is None:
        config = os.environ.get("STAGEMATCH_CONFIG", "development")
    if isinstance(config, str):
        config = CONFIGS[config]
    app.config.from_object(config)
    app.config.update(overrides or {})

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'stagematch.db'}"
        )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Writers wait for each other instead of failing at once (accepting under load).
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "connect_args": {"timeout": 30},
        }
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # No JIT: the eligibility and capacity conditions make PostgreSQL estimate a high cost,
        # and compiling them took 34 ms of a 66 ms search; our queries are short lookups.
        # random_page_cost 1.1 (the default 4 is for spinning disks): the working set is in
        # memory, and with 4 the planner read every application and mentor to join a page's
        # few hundred places (issue #20: 22 ms -> 3 ms for the companies' answer rates).
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "connect_args": {"options": "-c jit=off -c random_page_cost=1.1"},
        }
    if not app.config.get("MAIL_FILE_PATH"):
        app.config["MAIL_FILE_PATH"] = str(Path(app.instance_path) / "outbox")
    config.check(app.config)
    if app.config["PROXY_COUNT"]:
        # Behind that many proxies, the client's address and scheme come from the headers they
        # set (the limiter and the audit log key on request.remote_addr); without one they are
        # ignored, since any client can send them.
        hops = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    # Ids in URLs fit the database's integer: bigger numbers are simply "not found" (404).
    app.url_map.converters["int"] = BoundedIntConverter
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    register_security_headers(app)
    from stagematch import ops

    ops.register(app)
    return app


class BoundedIntConverter(IntegerConverter):
    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def register_extensions(app: Flask) -> None:
    from stagematch import models  # noqa: F401  (the schema must be known before migrate)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    mail.init_app(app)
    # Built with its storage even when off, so a test can switch it on (one limiter object
    # serves every app); RATELIMIT_ENABLED decides whether it counts.
    enabled = app.config["RATELIMIT_ENABLED"]
    app.config["RATELIMIT_ENABLED"] = True
    limiter.init_app(app)
    app.config["RATELIMIT_ENABLED"] = limiter.enabled = enabled
    i18n.init_app(app)
    from stagematch import jobs
    from stagematch.services import stored_suggestions  # noqa: F401  (its session events)

    jobs.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in om deze pagina te zien."
    login_manager.login_message_category = "info"
    login_manager.anonymous_user = models.AnonymousUser

    @login_manager.user_loader
    def load_user(user_id: str):
        from stagematch.services.accounts import session_user

        return session_user(user_id)  # None for a cookie of an ended session


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection, _record) -> None:
    """SQLite enforces foreign keys only when asked, per connection. Write-ahead logging with
    `synchronous=NORMAL`: readers do not wait for the writer, and a commit does not wait for the
    disk (a power cut may lose the last commits, never corrupt the file) — the usual setting for
    a web site on SQLite; the default made every small write (the ranking log's row) wait for an
    fsync."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")  # kept in the file; memory databases ignore it
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def register_blueprints(app: Flask) -> None:
    from stagematch.admin import bp as admin_bp
    from stagematch.api import bp as api_bp
    from stagematch.auth import bp as auth_bp
    from stagematch.coaches import bp as coaches_bp
    from stagematch.companies import bp as companies_bp
    from stagematch.coordinators import bp as coordinators_bp
    from stagematch.internships import bp as internships_bp
    from stagematch.main import bp as main_bp
    from stagematch.notifications import bp as notifications_bp
    from stagematch.places import bp as places_bp
    from stagematch.students import bp as students_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp, url_prefix="/account")
    app.register_blueprint(students_bp, url_prefix="/student")
    app.register_blueprint(places_bp, url_prefix="/plekken")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(companies_bp, url_prefix="/leerbedrijf")
    app.register_blueprint(coordinators_bp, url_prefix="/coordinator")
    app.register_blueprint(coaches_bp, url_prefix="/jobcoach")
    app.register_blueprint(admin_bp, url_prefix="/beheer")
    app.register_blueprint(internships_bp, url_prefix="/stage")
    app.register_blueprint(notifications_bp)


def register_errorhandlers(app: Flask) -> None:
    from stagematch import urls
    from stagematch.errors import register

    register(app)
    urls.register(app)  # 400 for a Host header production does not serve


def register_commands(app: Flask) -> None:
    from stagematch.cli import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from stagematch.templating import register

    register(app)


def register_security_headers(app: Flask) -> None:
    csp = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.view_args and "token" in request.view_args:
            # A page reached through a mailed link (guardian's signature, invitation, password
            # reset, unsubscribe): a used or expired link must show the server's current answer.
            response.headers["Cache-Control"] = "no-store"
        return response
