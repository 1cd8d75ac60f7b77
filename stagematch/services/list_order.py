"""The order of the lists the match model orders (a student's suggestions and search, the API's
matches, an allocation round's starting orders): the model's, or one without it (distance, start
date). Each user's choice is remembered in `User.list_order` (None: the model)."""

from __future__ import annotations

from flask_babel import gettext as _

from stagematch.extensions import db
from stagematch.models import User
from stagematch.services import DomainError

MODEL, DISTANCE, START = "model", "distance", "start"
ORDERS = (MODEL, DISTANCE, START)
# The search's `sort` for each order.
SEARCH_SORT = {MODEL: "relevance", DISTANCE: "distance", START: "start"}


def is_order(value: str | None) -> bool:
    return value in ORDERS


def order_of(user: User | None) -> str:
    """The user's remembered order; the model's when none (or an unknown value) is stored."""
    value = getattr(user, "list_order", None)
    return value if is_order(value) else MODEL


def search_sort(user: User | None) -> str:
    return SEARCH_SORT[order_of(user)]


def set_list_order(*, user: User, order: str) -> str:
    """Remember `order` for `user`'s lists."""
    if not is_order(order):
        raise DomainError(_("Kies een volgorde: beste match, afstand of startdatum."), "order")
    user.list_order = order
    db.session.commit()
    return order
