"""Customer (客户档案): the device-writable fields of shared.records.SCHEMAS[customer] plus server-kept ones."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class CustomerBase(SQLModel):
    name: str = Field(max_length=100, index=True)
    kind: str = Field(max_length=30)  # shared.enums.CustomerKind
    address: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    lat: float | None = None
    lng: float | None = None
    status: str = Field(default="prospect", max_length=20)  # shared.enums.CustomerStatus
    importance: str = Field(default="normal", max_length=20)  # shared.enums.Importance
    contact_person: str | None = Field(default=None, max_length=60)
    # When the customer receives reps (shared/door_hours.py as_dict); None: all day.
    door_hours: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    created_at: str | None = Field(default=None, max_length=40)  # ISO 8601 with offset, as the device sent it


class Customer(CustomerBase, table=True):
    __tablename__ = "customers"

    id: str = Field(primary_key=True, max_length=36)
    # Derived by the server from who writes, never from a device's fields:
    territory: str = Field(max_length=60, index=True)
    owner_rep_id: str | None = Field(default=None, max_length=36, index=True)
    tier: str | None = Field(default=None, max_length=1)  # shared.enums.ValueTier, computed from orders
    credit_rating: str | None = Field(default=None, max_length=20)  # shared.enums.CreditRating, by supervisors
    credit_limit: float | None = None  # 信用额度 in yuan, by supervisors; None: no limit (docs/approvals.md)
    # A customer a rep created while APPROVE_NEW_CUSTOMERS is on: shared.approvals.ApprovalStatus; else None.
    approval_status: str | None = Field(default=None, max_length=10)
    updated_at: str = Field(max_length=40)
    deleted: bool = False
    # A tombstone merged into another customer (server/domains/duplicates/merge.py): ops naming it go there.
    merged_into: str | None = Field(default=None, max_length=36)
    # The hybrid logical clock of the edit that wrote each field (sync.merge); devices receive it.
    field_clocks: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, default=dict))
