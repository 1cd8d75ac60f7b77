"""Links that leave the site, and redirects that must stay on it.

Every absolute link (mail, API `url` fields, the OpenAPI server) is built from the configured
`BASE_URL`, never from the request: the Host header is chosen by whoever sends the request, so a
password-reset mail built from it could point at an attacker's site. Redirect targets taken from
the request (`next`, the Referer) are reduced to a path on this site."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import Flask, Response, current_app, has_request_context, request
from flask_babel import gettext as _
from werkzeug.exceptions import SecurityError
from werkzeug.routing import MapAdapter

ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"  # as url_for quotes an anchor


def _adapter() -> MapAdapter:
    base = urlsplit(current_app.config["BASE_URL"])
    return current_app.url_map.bind(
        base.netloc,
        script_name=base.path.rstrip("/") or "/",
        url_scheme=base.scheme,
    )


def external_url(endpoint: str, *, _anchor: str | None = None, **values) -> str:
    """The absolute URL of `endpoint` on BASE_URL, inside or outside a request."""
    current_app.inject_url_defaults(endpoint, values)
    url = _adapter().build(endpoint, values, force_external=True)
    return f"{url}#{quote(_anchor, safe=ANCHOR_SAFE)}" if _anchor else url


def _own_origins() -> set[tuple[str, str]]:
    origins = set()
    base = urlsplit(current_app.config["BASE_URL"])
    origins.add((base.scheme, base.netloc.lower()))
    if has_request_context():
        origins.add((request.scheme, request.host.lower()))
    return origins


def safe_next(url: str | None, default: str | None = None, *, within: str = "/") -> str | None:
    """A same-site path to redirect to, else `default`.

    Accepts a path ("/student/?page=2") or an absolute URL on this site's own origin (as a Referer
    carries it; it is reduced to its path). Refuses other hosts, protocol-relative "//host",
    backslash tricks, control characters, and paths outside `within`."""
    if not url:
        return default
    target = url.strip()
    if any(ord(ch) < 32 or ch == "\\" for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        if (parts.scheme.lower(), parts.netloc.lower()) not in _own_origins():
            return default
        target = parts.path + (f"?{parts.query}" if parts.query else "")
    if not target.startswith("/") or target.startswith("//"):
        return default
    if not target.startswith(within):
        return default
    return target


def register(app: Flask) -> None:
    @app.errorhandler(SecurityError)
    def untrusted_host(error: SecurityError):
        # A Host header outside TRUSTED_HOSTS: no URL adapter exists for this request, so the
        # error page (which builds links) cannot be used; a short plain answer instead.
        return Response(
            _("Dit adres hoort niet bij StageMatch."),
            400,
            mimetype="text/plain",
        )
