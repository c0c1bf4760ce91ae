"""The development pipeline (客户开发流程): opportunities, their append-only stage events, stage probabilities."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class Opportunity(SQLModel, table=True):
    """A customer's development (开发机会). Phones write customer_id, expected_value, opened_at and notes
    (merged field by field by their clocks); the rest the server keeps: the owner (who opened it), and the
    state derived from the stage events (shared.pipeline.derive), stored here to list and count fast."""

    __tablename__ = "opportunities"

    id: str = Field(primary_key=True, max_length=36)
    customer_id: str = Field(max_length=36, index=True)
    expected_value: float | None = None
    opened_at: str = Field(max_length=40)
    notes: str | None = Field(default=None, max_length=500)
    owner_rep_id: str = Field(max_length=36, index=True)
    territory: str = Field(max_length=60, index=True)
    stage: str = Field(max_length=20, index=True)  # shared.enums.PipelineStage, derived
    outcome: str = Field(max_length=10, index=True)  # shared.enums.PipelineOutcome, derived
    loss_reason: str | None = Field(default=None, max_length=20)  # shared.enums.LossReason, derived
    stage_changed_at: str | None = Field(default=None, max_length=40)
    closed_at: str | None = Field(default=None, max_length=40)
    created_at: str = Field(max_length=40)
    updated_at: str = Field(max_length=40)
    field_clocks: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, default=dict))


class StageEvent(SQLModel, table=True):
    """A move to a stage, or the won / lost of an opportunity: never changed, never deleted."""

    __tablename__ = "stage_events"

    id: str = Field(primary_key=True, max_length=36)
    opportunity_id: str = Field(max_length=36, index=True)
    customer_id: str = Field(max_length=36, index=True)
    action: str = Field(max_length=10)  # shared.enums.StageAction
    stage: str | None = Field(default=None, max_length=20)
    loss_reason: str | None = Field(default=None, max_length=20)
    note: str | None = Field(default=None, max_length=500)
    at: str = Field(max_length=40)  # the device's time, shown to people
    clock: str = Field(max_length=120)  # the edit's hybrid logical clock: orders the events
    rep_id: str = Field(max_length=36)  # who recorded it
    order_id: str | None = Field(default=None, max_length=36)  # set when a first or repeat order made it
    territory: str = Field(max_length=60, index=True)
    created_at: str = Field(max_length=40)


class StageProbability(SQLModel, table=True):
    """An admin's chance (%) that an opportunity at `stage` is won; a stage without a row uses the default."""

    __tablename__ = "stage_probabilities"

    stage: str = Field(primary_key=True, max_length=20)
    probability: int
    updated_by: str = Field(max_length=36)
    updated_at: str = Field(max_length=40)
