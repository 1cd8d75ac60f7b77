"""All models, imported here so Alembic and the app see the whole schema."""

from stagematch.models.allocation import (
    AllocationRound,
    MeesterRanking,
    RoundChoice,
    RoundPlace,
    RoundStatus,
    RoundStudent,
)
from stagematch.models.application import REJECTION_REASONS, Application, Internship
from stagematch.models.audit import AuditEvent
from stagematch.models.bpv import (
    AgreementSignature,
    AgreementStatus,
    AgreementVersion,
    Assessment,
    AssessmentDecision,
    AssessmentScore,
    EndRequest,
    EndRequestStatus,
    HoursEntry,
    HoursStatus,
    Meeting,
    MeetingKind,
    SchoolContact,
    SignatureParty,
    WorkProcess,
)
from stagematch.models.company import Accreditation, Company, Mentor
from stagematch.models.consent import ActingConsent
from stagematch.models.evaluation import Evaluation, VisitNote
from stagematch.models.interaction import Interaction, InteractionKind
from stagematch.models.invitation import CompanyInvitation
from stagematch.models.job import Job
from stagematch.models.model_version import ModelVersion
from stagematch.models.network import LeerbedrijfNetwork, NetworkMember, PlaceRotation
from stagematch.models.notification import FlagAction, MailLog, Notification, SavedPlace
from stagematch.models.oversight import AdCheck, Objection
from stagematch.models.placement import Placement, placement_qualification
from stagematch.models.qualification import Qualification
from stagematch.models.school import School
from stagematch.models.signals import DiscriminationReport, Flag, SavedSearch
from stagematch.models.student import EvcClaim, EvcLevel, StudentProfile, split_tags
from stagematch.models.suggestion import StoredSuggestions, SuggestionEpoch
from stagematch.models.token import ApiToken
from stagematch.models.user import AnonymousUser, User

__all__ = [
    "ActingConsent",
    "AgreementSignature",
    "AgreementStatus",
    "AgreementVersion",
    "Assessment",
    "AssessmentDecision",
    "AssessmentScore",
    "EndRequest",
    "EndRequestStatus",
    "HoursEntry",
    "HoursStatus",
    "Meeting",
    "MeetingKind",
    "SchoolContact",
    "SignatureParty",
    "WorkProcess",
    "AdCheck",
    "AllocationRound",
    "MeesterRanking",
    "RoundChoice",
    "RoundPlace",
    "RoundStatus",
    "RoundStudent",
    "ApiToken",
    "REJECTION_REASONS",
    "Accreditation",
    "AnonymousUser",
    "Application",
    "AuditEvent",
    "Company",
    "CompanyInvitation",
    "DiscriminationReport",
    "Evaluation",
    "Flag",
    "FlagAction",
    "Job",
    "MailLog",
    "Internship",
    "Interaction",
    "InteractionKind",
    "Mentor",
    "LeerbedrijfNetwork",
    "NetworkMember",
    "PlaceRotation",
    "ModelVersion",
    "StoredSuggestions",
    "SuggestionEpoch",
    "Notification",
    "Objection",
    "Placement",
    "Qualification",
    "SavedPlace",
    "SavedSearch",
    "School",
    "StudentProfile",
    "EvcClaim",
    "EvcLevel",
    "User",
    "VisitNote",
    "placement_qualification",
    "split_tags",
]
