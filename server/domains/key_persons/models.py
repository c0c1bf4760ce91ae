"""Key person (关键人) at a customer: who really decides, and what to know to care for them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class KeyPersonBase(SQLModel):
    customer_id: str = Field(max_length=36, index=True)
    name: str = Field(max_length=60)
    role: str = Field(max_length=20)  # shared.enums.KeyPersonRole
    phone: str | None = Field(default=None, max_length=40)
    birthday: str | None = Field(default=None, max_length=10)  # ISO date
    hobbies: str | None = Field(default=None, max_length=200)
    family_notes: str | None = Field(default=None, max_length=500)
    attitude: str | None = Field(default=None, max_length=20)  # shared.enums.Attitude


class KeyPerson(KeyPersonBase, table=True):
    __tablename__ = "key_persons"

    id: str = Field(primary_key=True, max_length=36)
    territory: str = Field(max_length=60, index=True)  # the customer's
    created_by: str = Field(max_length=36)
    updated_at: str = Field(max_length=40)
    deleted: bool = False
    field_clocks: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, default=dict))
