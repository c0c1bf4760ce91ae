"""The duplicates queue (查重): pairs of customers the scorer (shared/duplicates.py) found likely the same."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel, UniqueConstraint


class DuplicatePair(SQLModel, table=True):
    __tablename__ = "duplicate_pairs"
    __table_args__ = (UniqueConstraint("customer_id", "other_id", name="uq_duplicate_pairs_customer_other"),)

    id: str = Field(primary_key=True, max_length=36)
    customer_id: str = Field(max_length=36, index=True)  # the customer just created
    other_id: str = Field(max_length=36, index=True)  # the existing customer it looks like
    territory: str = Field(max_length=60, index=True)  # the new customer's
    other_territory: str = Field(max_length=60, index=True)
    score: float
    # shared.duplicates.Reason as [key, {name: value}], shown in the reader's language
    reasons: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))
    status: str = Field(default="open", max_length=12, index=True)  # open, dismissed (不是重复)
    created_at: str = Field(max_length=40)
    decided_by: str | None = Field(default=None, max_length=36)
    decided_at: str | None = Field(default=None, max_length=40)
