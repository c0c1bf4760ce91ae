"""Customers as phones push them (server/changes/kinds.py): fields merged by their clocks; deletable.
With APPROVE_NEW_CUSTOMERS=1 a customer a rep creates is stored pending with an approval request."""

from __future__ import annotations

from server.changes.kinds import Applying, KindHandler, delete_record
from server.domains.access import lookup
from server.domains.approvals.service import new_customer_needs_approval
from server.domains.customers.models import Customer
from server.domains.customers.service import delete_customer, put_customer
from shared.approvals import new_customer_need


def put(applying: Applying) -> None:
    session, op, actor = applying.session, applying.op, applying.actor
    is_new = lookup(session, Customer, op.record_id) is None
    customer = put_customer(session, actor, op.record_id, op.fields, path=applying.path, edit=applying.edit())
    need = new_customer_need(applying.settings.approval_rules) if is_new and actor.is_rep else None
    if need is not None and isinstance(customer, Customer):
        new_customer_needs_approval(session, actor, customer, need)


CUSTOMER = KindHandler(Customer, put=put, delete=delete_record(delete_customer))
