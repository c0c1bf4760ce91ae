"""A customer's owner history: every change of `Customer.owner_rep_id`, with who made it and why."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class OwnerChange(SQLModel, table=True):
    """One change of a customer's owner. A phone's 认领 / 释放 op is stored here under the op's record id
    (`customer_id`, `action`, `at` and `reason` are the op's fields); the server's own changes get new ids."""

    __tablename__ = "owner_changes"

    id: str = Field(primary_key=True, max_length=36)
    customer_id: str = Field(max_length=36, index=True)
    territory: str = Field(max_length=60, index=True)
    action: str | None = Field(default=None, max_length=10)  # shared.enums.ClaimAction of a phone's op, else None
    how: str = Field(max_length=10)  # shared.enums.OwnerChangeReason
    from_rep_id: str | None = Field(default=None, max_length=36)  # None: it was in the pool (公海)
    from_name: str | None = Field(default=None, max_length=60)
    to_rep_id: str | None = Field(default=None, max_length=36, index=True)  # None: to the pool
    to_name: str | None = Field(default=None, max_length=60)
    by_id: str | None = Field(default=None, max_length=36)  # None: the scheduled pool return
    by_name: str | None = Field(default=None, max_length=60)
    reason: str | None = Field(default=None, max_length=200)
    at: str = Field(max_length=40)  # when the phone's rep tapped (their clock), else when the server changed it
    recorded_at: str = Field(max_length=40, index=True)  # when the server changed the owner
