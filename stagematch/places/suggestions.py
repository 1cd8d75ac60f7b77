"""The search form's autocomplete: `/plekken/suggesties?veld=plaats&q=zwo` answers a JSON list of
at most ten names (services.suggestions). Public like the search page; rate-limited per client;
cacheable, since the lists change only with the reference data."""

from __future__ import annotations

from flask import jsonify, request

from stagematch.extensions import limiter
from stagematch.places import bp
from stagematch.services.suggestions import suggest

# Typing sends a request per pause; a class behind one school address shares this.
SUGGEST_LIMIT = "300 per minute"


@bp.route("/suggesties")
@limiter.limit(SUGGEST_LIMIT)
def suggestions():
    names = suggest(request.args.get("veld", ""), request.args.get("q", ""))
    response = jsonify(names)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
