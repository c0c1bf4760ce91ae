"""The history of a customer's credit rating (信用等级): who changed it, when, from what, and why."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class CreditRatingChange(SQLModel, table=True):
    __tablename__ = "credit_rating_changes"

    id: str = Field(primary_key=True, max_length=36)
    customer_id: str = Field(max_length=36, index=True)
    rating: str = Field(max_length=20)  # shared.enums.CreditRating
    previous: str | None = Field(default=None, max_length=20)
    reason: str | None = Field(default=None, max_length=200)
    changed_by: str = Field(max_length=36)
    changed_at: str = Field(max_length=40)
