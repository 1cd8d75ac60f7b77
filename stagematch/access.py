"""Role-based access: one decorator for views, one helper for object ownership."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required

from stagematch.models.enums import Role


def role_required(*roles: Role) -> Callable:
    """Only logged-in users with one of `roles`; anonymous users are sent to the login page,
    users with another role get 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def ensure(condition: bool) -> None:
    """Object-level check: 403 unless `condition` holds (e.g. the place belongs to your company)."""
    if not condition:
        abort(403)
