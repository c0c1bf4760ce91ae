"""Every table, imported in one place so `SQLModel.metadata` knows them all before create_all."""

from server.domains.audit.models import AuditEvent
from server.domains.competitors.models import CompetitorReport
from server.domains.complaints.models import Complaint
from server.domains.customers.models import Customer
from server.domains.development.models import CreditRatingChange
from server.domains.key_persons.models import KeyPerson
from server.domains.notes.models import Note
from server.domains.orders.models import Order
from server.domains.products.models import Product
from server.domains.routes.models import RoutePlan
from server.domains.sync.models import AppliedOp, ChangeLog, FieldConflict, RejectedOp
from server.domains.sync.tombstones import SyncHorizon
from server.domains.users.models import SignInThrottle, User
from server.domains.visits.models import Visit
from server.jobs import ScheduledJob

__all__ = [
    "AppliedOp",
    "AuditEvent",
    "ChangeLog",
    "CompetitorReport",
    "Complaint",
    "CreditRatingChange",
    "Customer",
    "FieldConflict",
    "KeyPerson",
    "Note",
    "Order",
    "Product",
    "RejectedOp",
    "RoutePlan",
    "ScheduledJob",
    "SignInThrottle",
    "SyncHorizon",
    "User",
    "Visit",
]
