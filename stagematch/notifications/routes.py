"""Every user's notifications: newest first, unread in bold; opening one marks it read and goes to
the page it is about (a path on this site only); "alles gelezen" marks them all read. The unread
count in the top menu is `unread_notifications()` (one COUNT query, only for logged-in users)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from stagematch.extensions import db
from stagematch.notifications import bp
from stagematch.pagination import page_arg
from stagematch.services import notifications as service
from stagematch.urls import safe_next

PER_PAGE = 25
bp.add_app_template_global(service.CHANNELS, "notification_channels")


@bp.app_template_global()
def unread_notifications() -> int:
    """How many unread notifications the logged-in user has (0 for visitors); once per request."""
    if not current_user.is_authenticated:
        return 0
    # Kept in the request's environ: it lives exactly as long as the request (tests reuse one
    # app context for many requests, so `g` could outlive it).
    if UNREAD_KEY not in request.environ:
        request.environ[UNREAD_KEY] = service.unread_count(current_user.id)
    return request.environ[UNREAD_KEY]


UNREAD_KEY = "stagematch.unread"  # a page that counted them already puts the number here


@bp.app_template_global()
def answer_by(application) -> object:
    """The date a company must answer a waiting application by (None otherwise), for pages."""
    from stagematch.services.applications import waiting_answer_by

    return waiting_answer_by(application)


@bp.route("/meldingen")
@login_required
def index():
    page = db.paginate(
        service.list_for(current_user.id), page=page_arg(request), per_page=PER_PAGE,
        error_out=False,
    )  # fmt: skip
    if not page.items and page.page > 1:  # past the last page: the last one
        return redirect(url_for("notifications.index", page=max(1, page.pages)))
    return render_template("notifications/index.html", page=page, unread=unread_notifications(),
                           kinds=service.KINDS)  # fmt: skip


@bp.route("/meldingen/<int:notification_id>")
@login_required
def follow(notification_id: int):
    url = service.open_notification(user=current_user, notification_id=notification_id)
    if url is None:
        abort(404)  # not yours: it does not exist for you
    return redirect(safe_next(url) or url_for("notifications.index"))


@bp.route("/meldingen/alles-gelezen", methods=["POST"])
@login_required
def read_all():
    count = service.mark_all_read(user=current_user)
    if count:
        flash(_("Alle meldingen zijn gelezen."), "success")
    return redirect(url_for("notifications.index"))
