"""An approval request (审批): what waits for a supervisor's decision, with the rule's reason and figures."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


class ApprovalRequest(SQLModel, table=True):
    """One request per record and kind (`kind`, `record_id` unique: a push sent again finds it). Phones of the
    territory receive it (RecordKind.APPROVAL), so the rep sees 待审批 / 已批准 / 已驳回 and the comment."""

    __tablename__ = "approval_requests"
    __table_args__ = (UniqueConstraint("kind", "record_id", name="uq_approval_requests_kind_record"),)

    id: str = Field(primary_key=True, max_length=36)
    kind: str = Field(max_length=20, index=True)  # shared.approvals.ApprovalKind
    record_id: str = Field(max_length=36)  # the order, the customer, the claim op; a credit change: the customer
    customer_id: str = Field(max_length=36, index=True)
    customer_name: str | None = Field(default=None, max_length=100)
    territory: str = Field(max_length=60, index=True)
    rep_id: str | None = Field(default=None, max_length=36, index=True)  # who asked (a rep, or a supervisor)
    rep_name: str | None = Field(default=None, max_length=60)
    reason: str = Field(max_length=100)  # shared.approvals.ApprovalReason values, comma-separated
    figures: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, default=dict))
    # What an approval applies (a credit change's new values, a claim's op fields); not sent to phones.
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, default=dict))
    status: str = Field(default="pending", max_length=10, index=True)  # shared.approvals.ApprovalStatus
    requested_at: str = Field(max_length=40, index=True)
    decided_by_id: str | None = Field(default=None, max_length=36)
    decided_by_name: str | None = Field(default=None, max_length=60)
    decided_at: str | None = Field(default=None, max_length=40)
    comment: str | None = Field(default=None, max_length=500)
