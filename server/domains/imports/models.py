"""A checked customer file waiting for the supervisor's confirmation (step 2 of an import).

The file itself is kept, not the parsed rows: the confirmation checks it again against the customers of
that moment and stores it only if it is still clean. Kept in the database because any server process
may answer the confirmation.
"""

from __future__ import annotations

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel


class ImportBatch(SQLModel, table=True):
    __tablename__ = "import_batches"

    id: str = Field(primary_key=True, max_length=36)
    created_by: str = Field(max_length=36, index=True)
    created_at: str = Field(max_length=40, index=True)
    file_name: str = Field(max_length=200)
    encoding: str = Field(max_length=20)  # as chosen on the form: auto, utf-8 or gbk
    digest: str = Field(max_length=64)  # sha256 of the file, for the audit log
    row_count: int
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    imported_at: str | None = Field(default=None, max_length=40)
