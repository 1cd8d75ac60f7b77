"""Pagination of row queries (several columns), with the same interface as Flask-SQLAlchemy's."""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import request as flask_request
from sqlalchemy import func, select

from stagematch.extensions import db
from stagematch.inputs import MAX_PAGE, parse_int


@dataclass
class RowPage:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def paginate_rows(stmt, page: int | None, per_page: int = 25) -> RowPage:
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page or 1), pages)
    items = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return RowPage(items, total, page, per_page)


def page_arg(request=None) -> int:
    """The ?page= argument as a page number (ASCII digits, 1..MAX_PAGE); anything else is page 1."""
    args = (request or flask_request).args
    return parse_int(args.get("page"), lo=1, hi=MAX_PAGE) or 1
