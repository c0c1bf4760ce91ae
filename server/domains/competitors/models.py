"""Competitor report (竞品信息): a competitor's product, price and promotion seen at a customer."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class CompetitorReportBase(SQLModel):
    customer_id: str = Field(max_length=36, index=True)
    visit_id: str | None = Field(default=None, max_length=36)
    brand: str = Field(max_length=60)
    product: str = Field(max_length=100)
    price: float | None = None
    promotion: str | None = Field(default=None, max_length=500)
    observed_at: str = Field(max_length=40)  # ISO 8601 with the device's UTC offset


class CompetitorReport(CompetitorReportBase, table=True):
    __tablename__ = "competitor_reports"

    id: str = Field(primary_key=True, max_length=36)
    reported_by: str = Field(max_length=36)
    territory: str = Field(max_length=60, index=True)
    created_at: str = Field(max_length=40)
