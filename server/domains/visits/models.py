"""Visit (拜访记录): created at check-in, completed at check-out by later puts of the same record id."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from shared.visit_fields import type_field_texts
from shared.visit_flags import flag_texts


class VisitBase(SQLModel):
    customer_id: str = Field(max_length=36)  # indexed first in (customer_id, visit_day)
    visit_type: str = Field(max_length=20)  # shared.enums.VisitType
    planned: bool = False
    check_in_at: str = Field(max_length=40)  # ISO 8601 with the device's UTC offset, kept as sent
    check_in_lat: float | None = None
    check_in_lng: float | None = None
    check_in_accuracy: float | None = None
    check_in_mocked: bool | None = None
    check_out_at: str | None = Field(default=None, max_length=40)
    check_out_lat: float | None = None
    check_out_lng: float | None = None
    person_met: str | None = Field(default=None, max_length=60)
    purpose: str | None = Field(default=None, max_length=200)
    attitude: str | None = Field(default=None, max_length=20)  # shared.enums.Attitude
    progress: str | None = Field(default=None, max_length=500)
    ordered: bool = False
    order_amount: float | None = None
    next_visit_date: dt.date | None = None
    notes: str | None = Field(default=None, max_length=2000)
    # Each visit type's own fields (shared.records.VISIT_TYPE_FIELDS; docs/visits.md): empty unless the type has it.
    needs: str | None = Field(default=None, max_length=500)
    key_persons_met: str | None = Field(default=None, max_length=200)
    competitors_in_use: str | None = Field(default=None, max_length=200)
    monthly_volume: float | None = None
    next_visit_agreed: bool | None = None
    appointment_booked: bool | None = None
    products_presented: str | None = Field(default=None, max_length=300)
    objections: str | None = Field(default=None, max_length=500)
    deal_outcome: str | None = Field(default=None, max_length=20)  # shared.enums.DealOutcome
    materials_delivered: bool | None = None
    prescription_reminded: bool | None = None
    promises: str | None = Field(default=None, max_length=500)
    follows_visit_id: str | None = Field(default=None, max_length=36, index=True)  # the home visit a 回访 follows
    carried_through: str | None = Field(default=None, max_length=500)
    satisfied: bool | None = None
    call_minutes: int | None = None


class Visit(VisitBase, table=True):
    __tablename__ = "visits"
    # The dashboard and the rep's day read visits by day and rep; the planner and the overdue filter a
    # customer's latest visit day. They also serve a query by day alone or by customer alone (their first
    # column), so those have no index of their own: every index costs each visit a push inserts.
    __table_args__ = (
        Index("ix_visits_visit_day_rep_id", "visit_day", "rep_id"),
        Index("ix_visits_customer_id_visit_day", "customer_id", "visit_day"),
    )

    id: str = Field(primary_key=True, max_length=36)
    rep_id: str = Field(max_length=36, index=True)
    device_id: str | None = Field(default=None, max_length=64)
    territory: str = Field(max_length=60, index=True)
    visit_day: dt.date  # the check-in's local day in settings.TIMEZONE
    updated_at: str = Field(max_length=40)
    # The check-in's flags for the supervisor (shared.enums.VisitFlag), computed by the server on every put.
    flags: list[str] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    flagged: bool = Field(default=False, index=True, sa_column_kwargs={"server_default": sa.false()})
    # Each flag's figures (shared/visit_rules.py): {code: {"distance_m": 812, ...}}, in `flags`' order.
    flag_figures: dict[str, dict[str, Any]] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    received_at: str | None = Field(default=None, max_length=40)  # when the server first got it (None: before 0021)
    made_at: str | None = Field(default=None, max_length=40)  # the device's clock when the rep saved it (an op's)

    def type_details(self, lang: str) -> list[tuple[str, str, str]]:
        """The type fields this visit has, as (name, label, text) in `lang`, for the supervisor's pages."""
        return type_field_texts(self.model_dump(), lang)

    def flag_reasons(self, lang: str) -> list[tuple[str, str, str]]:
        """Each flag as (code, name, reason with its figures) in `lang`, for the supervisor's pages."""
        return flag_texts(self.flags, self.flag_figures, lang)
