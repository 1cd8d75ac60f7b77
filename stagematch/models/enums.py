"""Closed vocabularies of the domain, stored as short strings (with CHECK constraints)."""

from enum import StrEnum


class Role(StrEnum):
    STUDENT = "student"
    COMPANY = "company"
    COORDINATOR = "coordinator"
    ADMIN = "admin"
    # A coach of a municipality, UWV, VluchtelingenWerk or a welcome organisation who helps
    # learners apply, with their consent (issue 18; services/acting.py). Invited by an admin.
    JOB_COACH = "job_coach"


class Leerweg(StrEnum):
    BOL = "BOL"  # school-based; the workplace part is a stage
    BBL = "BBL"  # work-based; an employment contract with a day or two of school


class MentorRole(StrEnum):
    MEESTER = "meester"
    GEZEL = "gezel"


class PlacementStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    FILLED = "filled"


class ApplicationStatus(StrEnum):
    SUBMITTED = "submitted"
    SHORTLISTED = "shortlisted"
    OFFERED = "offered"  # an allocation round gave the student this place; the student decides
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    DECLINED = "declined"  # the student said no to an offer
    # An offer the student did not answer before its respond-by date, or an application the
    # company did not answer within APPLICATION_ANSWER_DAYS (services/applications.py). Closed.
    EXPIRED = "expired"


class AccreditationVerification(StrEnum):
    """Whether an accreditation was checked against SBB's register of leerbedrijven."""

    DECLARED = "declared"  # entered by the company, not (yet) checked
    VERIFIED = "verified"  # found in SBB's register, or checked by a coordinator
    REJECTED = "rejected"  # not in the register, or the coordinator found it invalid


class AccreditationCheckSource(StrEnum):
    SBB_REGISTER = "sbb_register"
    COORDINATOR = "coordinator"


class InternshipStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    TERMINATED = "terminated"


class InternshipOutcome(StrEnum):
    """How a finished internship ended; `success` is what the match model learns to predict."""

    SUCCESS = "success"  # completed with a positive final evaluation
    COMPLETED_WEAK = "completed_weak"  # completed, but the final evaluation was negative
    DROPPED_OUT = "dropped_out"  # the student stopped early
    ENDED_BY_COMPANY = "ended_by_company"


class EvaluationAuthor(StrEnum):
    STUDENT = "student"
    MEESTER = "meester"


class EvaluationMoment(StrEnum):
    MIDTERM = "midterm"
    FINAL = "final"


class SizeBand(StrEnum):
    """Company size by employees, as the KvK and CBS group them."""

    SOLO = "1"
    MICRO = "2-9"
    SMALL = "10-49"
    MEDIUM = "50-249"
    LARGE = "250+"


def check_in(column: str, enum: type[StrEnum]) -> str:
    """SQL for a CHECK constraint that keeps `column` within the enum's values."""
    values = ", ".join(f"'{member.value}'" for member in enum)
    return f"{column} IN ({values})"
