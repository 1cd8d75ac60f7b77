"""Operations: a health check, and one structured log line per request with a request id."""

from __future__ import annotations

import json
import logging
import time
import uuid

from flask import Flask, g, jsonify, request
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text

from stagematch.extensions import db

log = logging.getLogger("stagematch.requests")


def _user_id(user) -> int | None:
    """The logged-in user's id without a query: after a rollback (the interaction log gives up on
    a failing write) the user object is expired, and reading `.id` would ask the database again
    — which may be the thing that is down, turning a served page into a 500."""
    state = sa_inspect(user, raiseerr=False) if user is not None else None
    if state is not None:
        return state.identity[0] if state.identity else None
    return getattr(user, "id", None)


def register(app: Flask) -> None:
    @app.before_request
    def _start():
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = (
            incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        )
        g.started = time.perf_counter()

    @app.after_request
    def _log(response):
        response.headers["X-Request-Id"] = g.get("request_id", "")
        if not request.path.startswith("/static/"):
            log.info(json.dumps({
                "request_id": g.get("request_id"), "method": request.method, "path": request.path,
                "status": response.status_code,
                "ms": round(1000 * (time.perf_counter() - g.get("started", time.perf_counter())), 1),
                "user": _user_id(g.get("_login_user")),
            }))  # fmt: skip
        return response

    @app.route("/healthz")
    def healthz():
        """For load balancers: the app answers and the database is reachable."""
        try:
            db.session.execute(text("SELECT 1"))
        except Exception as error:  # the point is to report it, not to crash
            db.session.rollback()
            return jsonify(status="error", database=type(error).__name__), 503
        return jsonify(status="ok", database="ok")


# A write of at least this many rows leaves PostgreSQL planning with the statistics of before.
LARGE_WRITE = 500


def analyze(*tables: str) -> None:
    """Refresh the planner's statistics after a bulk write (demo data, large imports): until
    autovacuum gets to it, PostgreSQL plans with the old table sizes (training right after a bulk
    load took 42-58 s instead of 11-13 s, issue #20). No tables: the whole database. Runs outside
    the session's transaction, so call it after the commit. On SQLite ANALYZE is harmless and
    feeds its planner too. Only a table's owner may analyze it: others get a warning, no error."""
    engine = db.engine
    quote = engine.dialect.identifier_preparer.quote
    if engine.dialect.name == "postgresql":
        statements = [f"ANALYZE {', '.join(quote(t) for t in tables)}" if tables else "ANALYZE"]
    else:  # SQLite analyzes one table (or everything) per statement
        statements = [f"ANALYZE {quote(t)}" for t in tables] or ["ANALYZE"]
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        for statement in statements:
            conn.execute(text(statement))
