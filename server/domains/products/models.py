"""Product catalogue (产品目录): kept by supervisors on the server, received read-only by every phone."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class ProductBase(SQLModel):
    name: str = Field(max_length=100, index=True)
    spec: str | None = Field(default=None, max_length=100)  # 规格, e.g. "5ml x 100支/盒"
    unit: str | None = Field(default=None, max_length=20)  # 单位, e.g. "盒"
    unit_price: float  # list price in yuan; an order line may carry a negotiated price
    active: bool = True  # a product no longer sold stays (old orders name it) but is not offered


class Product(ProductBase, table=True):
    __tablename__ = "products"

    id: str = Field(primary_key=True, max_length=36)
    updated_at: str = Field(max_length=40)
