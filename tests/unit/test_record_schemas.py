"""Each kind a phone writes: its schema (shared.records.SCHEMAS) and its server table agree.

Every field the schema lets a phone write is a column of the kind's table, of a type that holds what the field's
check lets through (text in a text column long enough for it, a whole number in an integer column, lists in JSON,
null only where the column takes null). And every column the phone never sends is named below as the server's, so
a column added to a table without deciding who writes it fails here, as does a field added to a schema without
its column.
"""

from __future__ import annotations

import datetime as dt
import inspect
from dataclasses import dataclass
from typing import Any, cast

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from server.models import (
    AttendancePunch,
    CampaignResult,
    CompetitorReport,
    Complaint,
    ComplaintStep,
    Customer,
    KeyPerson,
    Note,
    Opportunity,
    Order,
    OwnerChange,
    StageEvent,
    Visit,
    VisitPhoto,
    WorkReport,
)
from shared.enums import RecordKind
from shared.ids import new_id
from shared.photos import SHA256_HEX_LENGTH
from shared.records import DEVICE_WRITABLE_KINDS, SCHEMAS, SERVER_OWNED_CUSTOMER_FIELDS, Field

# The table a phone's record of each kind is stored in (the test's own map: the server's may move).
TABLES: dict[RecordKind, type[SQLModel]] = {
    RecordKind.CUSTOMER: Customer,
    RecordKind.VISIT: Visit,
    RecordKind.NOTE: Note,
    RecordKind.KEY_PERSON: KeyPerson,
    RecordKind.COMPLAINT: Complaint,
    RecordKind.COMPLAINT_STEP: ComplaintStep,
    RecordKind.ORDER: Order,
    RecordKind.COMPETITOR_REPORT: CompetitorReport,
    RecordKind.CAMPAIGN_RESULT: CampaignResult,
    RecordKind.OPPORTUNITY: Opportunity,
    RecordKind.STAGE_EVENT: StageEvent,
    RecordKind.VISIT_PHOTO: VisitPhoto,
    RecordKind.WORK_REPORT: WorkReport,
    RecordKind.ATTENDANCE: AttendancePunch,
    RecordKind.CUSTOMER_CLAIM: OwnerChange,
}

# Columns no phone writes: each is `id` (the op's record_id, not one of its fields) or one of these.
RECORD_ID = frozenset({"id"})
SERVER_OWNED: dict[RecordKind, frozenset[str]] = {
    RecordKind.CUSTOMER: frozenset(
        {
            "territory",  # the writing rep's
            "owner_rep_id",
            "tier",  # computed from orders
            "credit_rating",  # set by supervisors
            "credit_limit",  # 信用额度, set by supervisors (docs/approvals.md)
            "approval_status",  # a new customer's approval (APPROVE_NEW_CUSTOMERS)
            "updated_at",
            "deleted",  # a delete op's tombstone
            "field_clocks",  # each field's edit clock (sync.merge)
            "merged_into",  # a merged customer's survivor (server/domains/duplicates/merge.py)
        }
    ),
    RecordKind.VISIT: frozenset(
        {
            "rep_id",
            "device_id",
            "territory",
            "visit_day",  # the check-in's local day
            "updated_at",
            "flags",  # computed on every put (shared/visit_rules.py)
            "flagged",
            "flag_figures",
            "received_at",
            "made_at",  # the op's device clock, not a field
        }
    ),
    RecordKind.NOTE: frozenset({"author_id", "territory", "updated_at"}),
    RecordKind.KEY_PERSON: frozenset({"territory", "created_by", "updated_at", "deleted", "field_clocks"}),
    RecordKind.COMPLAINT: frozenset(
        {
            "territory",
            "reported_by",
            "responded_at",  # when the status first reached each step (server time)
            "resolved_at",
            "confirmed_at",
            "updated_at",
            "field_clocks",
        }
    ),
    RecordKind.COMPLAINT_STEP: frozenset({"clock", "author_id", "territory", "created_at"}),
    RecordKind.ORDER: frozenset({"rep_id", "territory", "order_day", "created_at", "approval_status"}),
    RecordKind.COMPETITOR_REPORT: frozenset({"reported_by", "territory", "created_at"}),
    RecordKind.CAMPAIGN_RESULT: frozenset({"rep_id", "territory", "created_at"}),
    RecordKind.OPPORTUNITY: frozenset(
        {
            "owner_rep_id",  # who opened it
            "territory",
            "stage",  # derived from the stage events (shared.pipeline.derive)
            "outcome",
            "loss_reason",
            "stage_changed_at",
            "closed_at",
            "created_at",
            "updated_at",
            "field_clocks",
        }
    ),
    RecordKind.STAGE_EVENT: frozenset({"clock", "rep_id", "order_id", "territory", "created_at"}),
    RecordKind.VISIT_PHOTO: frozenset({"rep_id", "territory", "created_at", "uploaded_at"}),
    RecordKind.WORK_REPORT: frozenset(
        {
            "rep_id",
            "territory",
            "comment",  # the supervisor's, on the web
            "commented_by",
            "commented_by_name",
            "commented_at",
            "created_at",
            "updated_at",
        }
    ),
    RecordKind.ATTENDANCE: frozenset({"day", "rep_id", "territory", "created_at"}),
    RecordKind.CUSTOMER_CLAIM: frozenset(
        {"territory", "how", "from_rep_id", "from_name", "to_rep_id", "to_name", "by_id", "by_name", "recorded_at"}
    ),
}


@dataclass(frozen=True)
class Holds:
    """What a schema field's values need of a column: its type, and for text the longest value let through."""

    column_types: tuple[type[sa.types.TypeEngine[Any]], ...]
    max_length: int | None = None


TEXT = (sa.String,)  # String, Text, SQLModel's AutoString
UUID_TEXT_LENGTH = len(new_id())


def holds(field: Field) -> Holds:
    """What a field's check lets through, from which check it is (shared.records' check makers and checks)."""
    check = field.check
    made_by = check.__qualname__.split(".")[0]  # text(100) makes `text.<locals>.check`
    bound = inspect.getclosurevars(check).nonlocals  # the maker's arguments: max_len, allowed, low, high
    if made_by == "text":
        return Holds(TEXT, bound["max_len"])
    if made_by == "one_of":
        return Holds(TEXT, max(len(value) for value in bound["allowed"]))
    if made_by == "record_id":
        return Holds(TEXT, UUID_TEXT_LENGTH)
    if made_by == "sha256_text":
        return Holds(TEXT, SHA256_HEX_LENGTH)
    if made_by == "timestamp":
        return Holds(TEXT)  # an ISO 8601 text of any precision, kept as the device sent it
    if made_by == "date":
        return Holds((sa.Date, sa.String), len(dt.date.max.isoformat()))
    if made_by == "number":
        return Holds((sa.Float, sa.Numeric))  # a number may have decimals: not an Integer column
    if made_by == "whole":
        return Holds((sa.Integer,))
    if made_by == "boolean":
        return Holds((sa.Boolean,))
    if made_by in {"id_list", "order_lines", "door_hours"}:
        return Holds((sa.JSON,))
    raise AssertionError(f"a field checked by {check.__qualname__}: say here what column holds its values")


def table(kind: RecordKind) -> sa.Table:
    return cast(sa.Table, TABLES[kind].__table__)  # type: ignore[attr-defined]


def test_every_kind_a_phone_writes_has_its_table_here() -> None:
    assert set(TABLES) == DEVICE_WRITABLE_KINDS
    assert set(SERVER_OWNED) == DEVICE_WRITABLE_KINDS


@pytest.mark.parametrize("kind", sorted(DEVICE_WRITABLE_KINDS))
def test_every_schema_field_is_a_column_that_holds_its_values(kind: RecordKind) -> None:
    columns = table(kind).columns
    problems = []
    for name, field in SCHEMAS[kind].items():
        column = columns.get(name)
        if column is None:
            problems.append(f"{name}: no column in {TABLES[kind].__name__}")
            continue
        need = holds(field)
        stored_as = column.type.impl_instance if isinstance(column.type, sa.TypeDecorator) else column.type
        if not isinstance(stored_as, need.column_types):  # AutoString stores as String
            wanted = " or ".join(wanted.__name__ for wanted in need.column_types)
            problems.append(f"{name}: a {column.type!r} column, its values need {wanted}")
        length = getattr(stored_as, "length", None)
        if need.max_length is not None and length is not None and length < need.max_length:
            problems.append(f"{name}: a column of {length} characters, the schema lets {need.max_length} through")
        if field.nullable and not column.nullable:
            problems.append(f"{name}: a phone may send null, the column is NOT NULL")
    assert problems == []


@pytest.mark.parametrize("kind", sorted(DEVICE_WRITABLE_KINDS))
def test_every_column_a_phone_never_sends_is_the_servers_by_name(kind: RecordKind) -> None:
    columns = set(table(kind).columns.keys())
    not_sent = columns - set(SCHEMAS[kind]) - RECORD_ID
    assert not_sent == SERVER_OWNED[kind], (
        f"columns of {TABLES[kind].__name__} not in SCHEMAS[{kind.value!r}] but not listed as the server's here: "
        f"{sorted(not_sent - SERVER_OWNED[kind])}; listed as the server's but no such column, or one a phone "
        f"writes: {sorted(SERVER_OWNED[kind] - not_sent)}"
    )


def test_the_customer_fields_the_server_keeps_are_columns_no_phone_writes() -> None:
    assert SERVER_OWNED_CUSTOMER_FIELDS.issubset(SERVER_OWNED[RecordKind.CUSTOMER])
