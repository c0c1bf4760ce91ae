"""Every table, imported in one place so `SQLModel.metadata` knows them all before create_all."""

from server.domains.customers.models import Customer
from server.domains.notes.models import Note
from server.domains.routes.models import RoutePlan
from server.domains.sync.models import AppliedOp, ChangeLog
from server.domains.users.models import User
from server.domains.visits.models import Visit

__all__ = ["AppliedOp", "ChangeLog", "Customer", "Note", "RoutePlan", "User", "Visit"]
