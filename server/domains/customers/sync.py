"""Customers as phones push them (server/domains/sync/kinds.py): fields merged by their clocks; deletable."""

from __future__ import annotations

from server.domains.customers.models import Customer
from server.domains.customers.service import delete_customer, put_customer
from server.domains.sync.kinds import KindHandler, delete_record, put_edit

CUSTOMER = KindHandler(Customer, put=put_edit(put_customer), delete=delete_record(delete_customer))
