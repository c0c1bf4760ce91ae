"""Route plan (路线/拜访计划): for one rep and one day, the ordered customers to visit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


class RoutePlan(SQLModel, table=True):
    __tablename__ = "route_plans"
    __table_args__ = (UniqueConstraint("rep_id", "day", name="uq_route_plans_rep_day"),)

    id: str = Field(primary_key=True, max_length=36)
    rep_id: str = Field(max_length=36, index=True)
    day: dt.date = Field(index=True)
    customer_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    territory: str = Field(max_length=60)
    updated_at: str = Field(max_length=40)
