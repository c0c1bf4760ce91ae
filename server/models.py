"""Every table, imported in one place so `SQLModel.metadata` knows them all before create_all."""

from server.changes.models import ChangeLog, FieldConflict, RejectedOp, SyncHorizon
from server.domains.approvals.models import ApprovalRequest
from server.domains.attendance.models import AttendancePunch
from server.domains.audit.models import AuditEvent
from server.domains.campaigns.models import Campaign, CampaignResult
from server.domains.chain.models import ChainOp
from server.domains.competitors.models import CompetitorReport
from server.domains.complaints.models import Complaint, ComplaintStep
from server.domains.customers.models import Customer
from server.domains.development.models import CreditRatingChange
from server.domains.devices.models import Device, QuarantinedOp
from server.domains.duplicates.models import DuplicatePair
from server.domains.health.models import HealthHeartbeat
from server.domains.holidays.models import CompanyHoliday
from server.domains.imports.models import ImportBatch
from server.domains.key_persons.models import KeyPerson
from server.domains.notes.models import Note
from server.domains.orders.models import Order
from server.domains.ownership.models import OwnerChange
from server.domains.photos.models import VisitPhoto, VisitPhotoChunk, VisitPhotoContent
from server.domains.pipeline.models import Opportunity, StageEvent, StageProbability
from server.domains.products.models import Product
from server.domains.routes.models import RoutePlan
from server.domains.sync.models import AppliedOp
from server.domains.targets.models import SalesTarget
from server.domains.territories.models import RepResync, Territory
from server.domains.users.models import AuthSession, RefreshToken, SignInThrottle, User
from server.domains.visits.models import Visit
from server.domains.work_reports.models import WorkReport
from server.jobs_models import ScheduledJob

__all__ = [
    "AppliedOp",
    "ApprovalRequest",
    "AttendancePunch",
    "AuditEvent",
    "AuthSession",
    "Campaign",
    "CampaignResult",
    "ChainOp",
    "ChangeLog",
    "CompanyHoliday",
    "CompetitorReport",
    "Complaint",
    "ComplaintStep",
    "CreditRatingChange",
    "Customer",
    "Device",
    "DuplicatePair",
    "FieldConflict",
    "HealthHeartbeat",
    "ImportBatch",
    "KeyPerson",
    "Note",
    "Opportunity",
    "Order",
    "OwnerChange",
    "Product",
    "QuarantinedOp",
    "RefreshToken",
    "RejectedOp",
    "RepResync",
    "RoutePlan",
    "SalesTarget",
    "ScheduledJob",
    "SignInThrottle",
    "StageEvent",
    "StageProbability",
    "SyncHorizon",
    "Territory",
    "User",
    "Visit",
    "VisitPhoto",
    "VisitPhotoChunk",
    "VisitPhotoContent",
    "WorkReport",
]
