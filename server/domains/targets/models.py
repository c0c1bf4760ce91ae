"""销售目标: one rep's targets for one calendar month, set by a supervisor."""

from __future__ import annotations

from sqlmodel import Field, SQLModel, UniqueConstraint


class SalesTarget(SQLModel, table=True):
    __tablename__ = "sales_targets"
    __table_args__ = (UniqueConstraint("rep_id", "month", name="uq_sales_targets_rep_month"),)

    id: str = Field(primary_key=True, max_length=36)
    rep_id: str = Field(max_length=36, index=True)
    month: str = Field(max_length=7, index=True)  # YYYY-MM, a month of the server's time zone
    sales_amount: float  # 销售额, yuan
    new_customers: int  # 新客户数
    visits: int  # 拜访次数
    set_by: str = Field(max_length=36)
    updated_at: str = Field(max_length=40)
