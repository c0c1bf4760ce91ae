"""营销活动 (campaign) planned by a supervisor, and the participation reps record on visits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class Campaign(SQLModel, table=True):
    """A promotion, order meeting (订货会), display or trial in one territory over a period, with its cost."""

    __tablename__ = "campaigns"

    id: str = Field(primary_key=True, max_length=36)
    campaign_type: str = Field(max_length=20)  # shared.enums.CampaignType
    name: str = Field(max_length=100)
    territory: str = Field(max_length=60, index=True)
    starts_on: dt.date = Field(index=True)
    ends_on: dt.date
    customer_ids: list[str] = Field(sa_column=Column(JSON, nullable=False))  # the invited customers
    cost: float  # 费用, yuan
    notes: str | None = Field(default=None, max_length=2000)
    created_by: str = Field(max_length=36)
    created_at: str = Field(max_length=40)
    updated_at: str = Field(max_length=40)


class CampaignResult(SQLModel, table=True):
    """One customer's participation in a campaign, as the rep recorded it on a visit (append-only)."""

    __tablename__ = "campaign_results"

    id: str = Field(primary_key=True, max_length=36)
    campaign_id: str = Field(max_length=36, index=True)
    customer_id: str = Field(max_length=36, index=True)
    visit_id: str = Field(max_length=36, index=True)
    participated: bool
    amount: float | None = None  # ordered amount the rep attributes to the campaign
    order_id: str | None = Field(default=None, max_length=36)
    feedback: str | None = Field(default=None, max_length=500)
    recorded_at: str = Field(max_length=40)  # ISO 8601 with the device's UTC offset, kept as sent
    # Derived by the server:
    rep_id: str = Field(max_length=36, index=True)
    territory: str = Field(max_length=60, index=True)
    created_at: str = Field(max_length=40)
