"""Creating, checking and revoking personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from stagematch.extensions import db
from stagematch.models import ApiToken, User
from stagematch.services import DomainError
from stagematch.services.audit import record
from stagematch.timeutil import utcnow

MAX_TOKENS = 10
# "Last used" is written at most once an hour: not a write and a commit on every API call.
TOUCH_EVERY = timedelta(hours=1)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Returns the token and its secret; the secret is shown once and never stored."""
    active = db.session.scalar(
        select(func.count(ApiToken.id)).where(
            ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)
        )
    )
    if active >= MAX_TOKENS:
        raise DomainError(
            _("Je hebt al %(n)s sleutels. Trek er eerst een in.", n=MAX_TOKENS), "name"
        )
    secret = "sm_" + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, name=name.strip() or "API", prefix=secret[:10], token_hash=_hash(secret)
    )
    db.session.add(token)
    db.session.flush()
    record("token.create", token, actor=user)
    db.session.commit()
    return token, secret


def user_for_secret(secret: str) -> User | None:
    if not secret or len(secret) > 200:
        return None
    from sqlalchemy.orm import joinedload

    from stagematch.services.accounts import user_load_options

    token = db.session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == _hash(secret))
        .options(joinedload(ApiToken.user).options(*user_load_options()))
    )
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        token.last_used_at = now
        db.session.commit()
    return token.user


def revoke(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record("token.revoke", token)
        db.session.commit()
