"""Each typed answer of the JSON API that carries a synced record (`record_answer`, server/changes/log.py) has
a field per column of the record's table, of the type `record_data` gives it (dates as ISO text), so a column
added to a table cannot be missing from the answer, nor an answer name a column that is not there."""

from __future__ import annotations

import datetime as dt
import types
import typing
from typing import Any

import msgspec
import pytest
from sqlalchemy import JSON, Column, String, TypeDecorator
from sqlmodel import SQLModel

import server.models as tables
from server.changes.log import record_answer
from server.domains.campaigns.controller import CampaignAnswer, CampaignResultAnswer
from server.domains.orders.controller import CompetitorReportAnswer, OrderAnswer
from server.domains.products.controller import ProductAnswer
from server.domains.targets.controller import SalesTargetAnswer

ANSWERS: list[tuple[type[msgspec.Struct], type[SQLModel]]] = [
    (ProductAnswer, tables.Product),
    (CampaignAnswer, tables.Campaign),
    (CampaignResultAnswer, tables.CampaignResult),
    (OrderAnswer, tables.Order),
    (CompetitorReportAnswer, tables.CompetitorReport),
    (SalesTargetAnswer, tables.SalesTarget),
]


def json_type(column: Column[Any]) -> Any:
    """What `record_data` makes of the column's value: dates as text; JSON as a list or an object."""
    stored = column.type.impl_instance if isinstance(column.type, TypeDecorator) else column.type
    if isinstance(stored, JSON):
        kind: Any = (list, dict)
    elif isinstance(stored, String):
        kind = str
    else:
        python = stored.python_type
        kind = str if python in (dt.date, dt.datetime) else python
    return kind


def outer_types(annotation: Any) -> tuple[set[Any], bool]:
    """The answer field's own types (a list[...] as list) and whether it may be None."""
    members = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else (annotation,)
    outer = {typing.get_origin(member) or member for member in members if member is not type(None)}
    return outer, type(None) in members


@pytest.mark.parametrize(("answer", "model"), ANSWERS, ids=[answer.__name__ for answer, _ in ANSWERS])
def test_the_answer_has_every_column_of_its_table_with_its_type(
    answer: type[msgspec.Struct], model: type[SQLModel]
) -> None:
    columns = {column.key: column for column in model.__table__.columns}  # type: ignore[attr-defined]
    fields = {field.name: field.type for field in msgspec.structs.fields(answer)}
    assert set(fields) == set(columns)
    for name, column in columns.items():
        outer, optional = outer_types(fields[name])
        expected = json_type(column)
        assert outer <= set(expected) if isinstance(expected, tuple) else outer == {expected}, name
        assert optional == bool(column.nullable), name


def test_a_record_becomes_its_answer() -> None:
    product = tables.Product(id="p1", name="阿莫西林", unit_price=12.5, updated_at="2026-12-08T09:00:00+08:00")
    assert record_answer(ProductAnswer, product) == ProductAnswer(
        name="阿莫西林", spec=None, unit=None, unit_price=12.5, active=True, id="p1", updated_at=product.updated_at
    )
    target = tables.SalesTarget(
        id="t1", rep_id="r1", month="2026-12", sales_amount=1, new_customers=2, visits=3, set_by="s", updated_at="x"
    )
    assert record_answer(SalesTargetAnswer, target).sales_amount == 1.0
    with pytest.raises(msgspec.ValidationError):  # a record without a column is never answered short of it
        msgspec.convert({"id": "p2", "name": "x", "unit_price": 1.0, "active": True}, ProductAnswer)
