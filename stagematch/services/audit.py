"""Writing the audit log. Called inside a use case; the caller's commit stores the event."""

from __future__ import annotations

import json
from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from stagematch.extensions import db
from stagematch.models import AuditEvent, User


def record(action: str, obj: Any, *, actor: User | None = None, **detail: Any) -> AuditEvent:
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        actor_label=f"{actor.role}:{actor.email}" if actor is not None else "systeem",
        action=action,
        object_type=type(obj).__name__.lower(),
        object_id=getattr(obj, "id", None),
        detail=json.dumps(detail, default=str, ensure_ascii=False) if detail else "",
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event
