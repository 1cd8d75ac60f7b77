"""Accounts. Every user has exactly one role; students have a profile, company users a company."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_login import AnonymousUserMixin, UserMixin
from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from stagematch.extensions import db
from stagematch.models.enums import Role, check_in
from stagematch.timeutil import utcnow


class User(UserMixin, db.Model):
    __table_args__ = (
        CheckConstraint(check_in("role", Role), name="role_values"),
        # A company user always belongs to a company; a coordinator to a school.
        CheckConstraint(
            "role <> 'company' OR company_id IS NOT NULL", name="company_user_has_company"
        ),
        CheckConstraint(
            "role <> 'coordinator' OR school_id IS NOT NULL", name="coordinator_has_school"
        ),
        CheckConstraint(
            "role <> 'job_coach' OR organisation IS NOT NULL", name="job_coach_has_organisation"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(12), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"), index=True)
    # A job coach's organisation (gemeente, UWV, VluchtelingenWerk …), shown to learners.
    organisation: Mapped[str | None] = mapped_column(String(120))
    is_active_account: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(5), default="nl")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Bumped by a password change, a reset and "overal uitloggen": every session and remember
    # cookie carries the version it was made with and stops working when it no longer matches.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Per notification kind: 'mail', 'digest' or 'site' (missing kinds: the kind's default).
    notification_settings: Mapped[dict | None] = mapped_column(JSON)
    # The order of suggestion lists the user chose: 'model', 'distance' or 'start' (None: model).
    list_order: Mapped[str | None] = mapped_column(String(10))

    school: Mapped[School | None] = relationship(back_populates="users")  # noqa: F821
    company: Mapped[Company | None] = relationship(back_populates="users")  # noqa: F821
    profile: Mapped[StudentProfile | None] = relationship(  # noqa: F821
        back_populates="user", uselist=False, foreign_keys="StudentProfile.user_id"
    )

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(
            password, method=current_app.config["PASSWORD_HASH_METHOD"]
        )

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:
        """May use the site: the one check behind logging in, every session and remember cookie,
        API tokens and password links. Off for an account switched off (or removed), and for
        the users of a leerbedrijf an administrator deactivated."""
        if not self.is_active_account:
            return False
        return self.company_id is None or self.company.deactivated_at is None

    @property
    def awaiting_confirmation(self) -> bool:
        """Registered, but the address is not confirmed yet: inactive, never logged in, with a
        usable password (an anonymised account is inactive too, but its hash starts with "!").
        Without a column of its own, this reads the state from those three."""
        return (
            not self.is_active_account
            and self.last_login_at is None
            and not self.password_hash.startswith("!")
        )

    def get_id(self) -> str:
        """What the session and the remember cookie carry: id and session version, so a bumped
        version (logout, password change) makes every older cookie useless."""
        return f"{self.id}:{self.session_version or 0}"

    def has_role(self, *roles: Role | str) -> bool:
        return self.role in {str(r) for r in roles}

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class AnonymousUser(AnonymousUserMixin):
    """A visitor who is not logged in: has no role and can do nothing that needs one."""

    role = None
    school_id = None
    company_id = None

    def has_role(self, *roles: Role | str) -> bool:
        return False
