"""Note (客户备注): free text on a customer, or on one of its visits."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class NoteBase(SQLModel):
    customer_id: str = Field(max_length=36, index=True)
    visit_id: str | None = Field(default=None, max_length=36)
    text: str = Field(max_length=2000)
    created_at: str = Field(max_length=40)


class Note(NoteBase, table=True):
    __tablename__ = "notes"

    id: str = Field(primary_key=True, max_length=36)
    author_id: str = Field(max_length=36)
    territory: str = Field(max_length=60, index=True)
    updated_at: str = Field(max_length=40)
