"""Record schemas of the synced kinds, and the validation both sides apply to an op's fields.

A schema lists, per kind, the fields a device may write. Fields the server derives from who is
writing (owner, rep, author, territory) are not in it: a device cannot set them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from shared.approvals import ApprovalKind, ApprovalStatus
from shared.door_hours import DoorHours, DoorHoursError
from shared.enums import (
    AttendanceAction,
    Attitude,
    CampaignType,
    ClaimAction,
    ComplaintCategory,
    ComplaintStatus,
    CustomerKind,
    CustomerStatus,
    DealOutcome,
    Importance,
    KeyPersonRole,
    LossReason,
    PhotoSource,
    PhotoType,
    PipelineStage,
    RecordKind,
    ReportPeriod,
    Severity,
    StageAction,
    VisitType,
)
from shared.ids import is_valid_id
from shared.photos import MAX_PHOTO_BYTES, SHA256_HEX_LENGTH

Check = Callable[[object], str | None]


@dataclass(frozen=True)
class Field:
    check: Check
    required: bool = False  # required when the record is created
    nullable: bool = True


@dataclass(frozen=True)
class FieldError:
    field: str
    problem: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "problem": self.problem}


_SURROGATE = re.compile("[\ud800-\udfff]")


def unstorable_text(value: str) -> str | None:
    """What no database can hold, said as a field's problem: a NUL (PostgreSQL stores none in text or JSON;
    SQLite would keep it and hand it to every phone) or a lone surrogate (half an emoji: no UTF-8 form).
    The one rule for every write path: record fields (push, web forms, JSON API, import) and, when a row is
    stored, every text column (server/domains/storable.py)."""
    if "\x00" in value:
        return "must not contain the NUL character (\\u0000)"
    if not value.isascii() and _SURROGATE.search(value) is not None:
        return "must not contain a lone surrogate (half an emoji, \\ud800-\\udfff)"
    return None


def text(max_len: int, min_len: int = 0) -> Check:
    def check(value: object) -> str | None:
        if not isinstance(value, str):
            return f"must be text, got {type(value).__name__}"
        unstorable = unstorable_text(value)
        if unstorable is not None:
            return unstorable
        if len(value.strip()) < min_len:
            return "must not be empty" if min_len == 1 else f"must have at least {min_len} characters"
        if len(value) > max_len:
            return f"must be at most {max_len} characters"
        return None

    return check


def number(low: float, high: float) -> Check:
    def check(value: object) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"must be a number, got {type(value).__name__}"
        if not math.isfinite(value) or not low <= value <= high:
            return f"must be between {low:g} and {high:g}"
        return None

    return check


def boolean(value: object) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false, got {type(value).__name__}"


def one_of(enum: type[StrEnum]) -> Check:
    allowed = [member.value for member in enum]

    def check(value: object) -> str | None:
        return None if value in allowed else f"must be one of {', '.join(allowed)}"

    return check


def record_id(value: object) -> str | None:
    return None if is_valid_id(value) else "must be a record id (UUID)"


def id_list(value: object) -> str | None:
    if not isinstance(value, list) or not all(is_valid_id(item) for item in value):
        return "must be a list of record ids"
    return None


def timestamp(value: object) -> str | None:
    """An ISO 8601 date-time with its UTC offset, as devices record check-in and check-out."""
    if not isinstance(value, str):
        return "must be an ISO 8601 date-time text"
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return "must be an ISO 8601 date-time, e.g. 2026-11-26T08:05:00+08:00"
    return None if parsed.tzinfo is not None else "must include a UTC offset"


def date(value: object) -> str | None:
    if not isinstance(value, str):
        return "must be an ISO 8601 date text"
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return "must be an ISO 8601 date, e.g. 2026-11-27"
    return None


def sha256_text(value: object) -> str | None:
    """A SHA-256 digest as 64 lowercase hex digits (a visit photo's bytes)."""
    if not isinstance(value, str) or len(value) != SHA256_HEX_LENGTH or value.strip("0123456789abcdef"):
        return "must be a SHA-256 digest: 64 lowercase hex digits"
    return None


def whole(low: int, high: int) -> Check:
    """A whole number (a count) in [low, high]."""

    def check(value: object) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be a whole number, got {type(value).__name__}"
        return None if low <= value <= high else f"must be between {low} and {high}"

    return check


def month(value: object) -> str | None:
    """A calendar month as YYYY-MM, e.g. 2026-11."""
    if not isinstance(value, str) or len(value) != 7 or value[4] != "-":
        return "must be a month YYYY-MM, e.g. 2026-11"
    try:
        dt.date.fromisoformat(f"{value}-01")
    except ValueError:
        return "must be a month YYYY-MM, e.g. 2026-11"
    return None


def month_day(value: object) -> str | None:
    """A day of every year as MM-DD, e.g. 10-01 (02-29 allowed: it is kept in leap years only)."""
    if not isinstance(value, str) or len(value) != 5 or value[2] != "-":
        return "must be a day of the year MM-DD, e.g. 10-01"
    try:
        dt.date.fromisoformat(f"2000-{value}")  # a leap year: 02-29 is a day
    except ValueError:
        return "must be a day of the year MM-DD, e.g. 10-01"
    return None


MAX_ORDER_LINES = 100
MAX_QUANTITY = 1_000_000
MAX_UNIT_PRICE = 10_000_000
MAX_CAMPAIGN_COST = 100_000_000
ORDER_LINE_KEYS = frozenset({"product_id", "quantity", "unit_price"})
CENT = Decimal("0.01")


def _line_problem(line: object) -> str | None:
    if not isinstance(line, Mapping):
        return "must be an object {product_id, quantity, unit_price}"
    unknown = sorted(set(line) - ORDER_LINE_KEYS)
    if unknown:
        return f"{unknown[0]} is not a field of an order line"
    missing = sorted(ORDER_LINE_KEYS - set(line))
    if missing:
        return f"{missing[0]} is required"
    if not is_valid_id(line["product_id"]):
        return "product_id must be a record id (UUID)"
    quantity, price = line["quantity"], line["unit_price"]
    if isinstance(quantity, bool) or not isinstance(quantity, int | float) or not math.isfinite(quantity):
        return "quantity must be a number"
    if not 0 < quantity <= MAX_QUANTITY:
        return f"quantity must be more than 0 and at most {MAX_QUANTITY}"
    if isinstance(price, bool) or not isinstance(price, int | float) or not math.isfinite(price):
        return "unit_price must be a number"
    if not 0 <= price <= MAX_UNIT_PRICE:
        return f"unit_price must be between 0 and {MAX_UNIT_PRICE}"
    return None


def door_hours(value: object) -> str | None:
    """A customer's reception windows (shared/door_hours.py): {"weekly": {"1": ["08:00-10:00"]}, "closed": [...]}."""
    try:
        DoorHours.from_dict(value)
    except DoorHoursError as error:
        return str(error)
    return None


def order_lines(value: object) -> str | None:
    """An order's lines: 1 to 100 of {product_id, quantity > 0, unit_price >= 0}, each product once."""
    if not isinstance(value, list) or not value:
        return "must be a non-empty list of order lines"
    if len(value) > MAX_ORDER_LINES:
        return f"must have at most {MAX_ORDER_LINES} lines"
    seen: set[object] = set()
    for index, line in enumerate(value):
        problem = _line_problem(line)
        if problem:
            return f"line {index + 1}: {problem}"
        assert isinstance(line, Mapping)
        if line["product_id"] in seen:
            return f"line {index + 1}: product {line['product_id']} is on an earlier line already"
        seen.add(line["product_id"])
    return None


def order_total(lines: Sequence[Mapping[str, object]]) -> Decimal:
    """The amount of an order: each line's quantity x unit price, summed, rounded to the fen (cent).

    Computed in decimal so the phone and the server get the same figure from the same lines."""
    total = sum((Decimal(str(line["quantity"])) * Decimal(str(line["unit_price"])) for line in lines), Decimal(0))
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


def amount_matches(amount: object, lines: Sequence[Mapping[str, object]]) -> bool:
    """True when `amount` is the lines' total to the fen (a phone may send 12.3 or 12.30)."""
    if isinstance(amount, bool) or not isinstance(amount, int | float) or not math.isfinite(amount):
        return False
    return abs(Decimal(str(amount)) - order_total(lines)) < CENT / 2


MAX_CALL_MINUTES = 240
LATITUDE = Field(number(-90, 90))
LONGITUDE = Field(number(-180, 180))

SCHEMAS: dict[RecordKind, dict[str, Field]] = {
    RecordKind.CUSTOMER: {
        "name": Field(text(100, 1), required=True, nullable=False),
        "kind": Field(one_of(CustomerKind), required=True, nullable=False),
        "address": Field(text(200)),
        "phone": Field(text(40)),
        "lat": LATITUDE,
        "lng": LONGITUDE,
        "status": Field(one_of(CustomerStatus), nullable=False),
        "importance": Field(one_of(Importance), nullable=False),
        "contact_person": Field(text(60)),
        "door_hours": Field(door_hours),  # when the customer receives reps; none: all day
        "created_at": Field(timestamp),
    },
    RecordKind.VISIT: {
        "customer_id": Field(record_id, required=True, nullable=False),
        "visit_type": Field(one_of(VisitType), required=True, nullable=False),
        "planned": Field(boolean, nullable=False),
        "check_in_at": Field(timestamp, required=True, nullable=False),
        "check_in_lat": LATITUDE,
        "check_in_lng": LONGITUDE,
        "check_in_accuracy": Field(number(0, 100_000)),
        "check_in_mocked": Field(boolean),  # the phone said the location was simulated (a mock provider)
        "check_out_at": Field(timestamp),
        "check_out_lat": LATITUDE,
        "check_out_lng": LONGITUDE,
        "person_met": Field(text(60)),
        "purpose": Field(text(200)),
        "attitude": Field(one_of(Attitude)),
        "progress": Field(text(500)),
        "ordered": Field(boolean, nullable=False),
        "order_amount": Field(number(0, 100_000_000)),
        "next_visit_date": Field(date),
        "notes": Field(text(2000)),
        # Each visit type's own fields (VISIT_TYPE_FIELDS says which type has which; docs/visits.md).
        "needs": Field(text(500)),  # 初次拜访: the customer's needs heard
        "key_persons_met": Field(text(200)),  # 初次拜访: key persons met (names, roles)
        "competitors_in_use": Field(text(200)),  # 初次拜访: competitors' products in use
        "monthly_volume": Field(number(0, 100_000_000)),  # 初次拜访: monthly usage (purchases), yuan
        "next_visit_agreed": Field(boolean),  # 初次拜访: the next visit was agreed (约定下次拜访)
        "appointment_booked": Field(boolean),  # 二次拜访: booked by phone beforehand (电话预约)
        "products_presented": Field(text(300)),  # 二次拜访, 日访: the offer / products presented
        "objections": Field(text(500)),  # 二次拜访, 日访: objections heard and the answer given
        "deal_outcome": Field(one_of(DealOutcome)),  # 二次拜访, 日访: how it ended
        "materials_delivered": Field(boolean),  # 早访: newspaper and product material handed over
        "prescription_reminded": Field(boolean),  # 早访: the doctor reminded to prescribe our product
        "promises": Field(text(500)),  # 家访: what was talked about and promised, for the 回访 to carry through
        "follows_visit_id": Field(record_id),  # 回访: the home visit it follows
        "carried_through": Field(text(500)),  # 回访, 日访: what was carried through of earlier promises
        "satisfied": Field(boolean),  # 回访: the customer is satisfied
        "call_minutes": Field(whole(1, MAX_CALL_MINUTES)),  # 电话拜访: how long the call took
    },
    RecordKind.NOTE: {
        "customer_id": Field(record_id, required=True, nullable=False),
        "visit_id": Field(record_id),
        "text": Field(text(2000, 1), required=True, nullable=False),
        "created_at": Field(timestamp, required=True, nullable=False),
    },
    RecordKind.KEY_PERSON: {
        "customer_id": Field(record_id, required=True, nullable=False),
        "name": Field(text(60, 1), required=True, nullable=False),
        "role": Field(one_of(KeyPersonRole), required=True, nullable=False),
        "phone": Field(text(40)),
        "birthday": Field(date),
        "hobbies": Field(text(200)),
        "family_notes": Field(text(500)),
        "attitude": Field(one_of(Attitude)),
    },
    RecordKind.COMPLAINT: {
        "customer_id": Field(record_id, required=True, nullable=False),
        "visit_id": Field(record_id),
        "category": Field(one_of(ComplaintCategory), required=True, nullable=False),
        "severity": Field(one_of(Severity), required=True, nullable=False),
        "description": Field(text(2000, 1), required=True, nullable=False),
        "status": Field(one_of(ComplaintStatus), nullable=False),
        "solution": Field(text(2000)),
        "received_at": Field(timestamp, required=True, nullable=False),
    },
    # A complaint moved to a step past 受理 (the step, its note, when): append-only; the complaint's status is
    # the furthest step reached (shared/complaints.py).
    RecordKind.COMPLAINT_STEP: {
        "complaint_id": Field(record_id, required=True, nullable=False),
        "customer_id": Field(record_id, required=True, nullable=False),
        "status": Field(one_of(ComplaintStatus), required=True, nullable=False),
        "note": Field(text(2000)),
        "at": Field(timestamp, required=True, nullable=False),
    },
    # An order taken during a visit; `amount` must be the lines' total (order_total), checked on both sides.
    RecordKind.ORDER: {
        "customer_id": Field(record_id, required=True, nullable=False),
        "visit_id": Field(record_id, required=True, nullable=False),
        "lines": Field(order_lines, required=True, nullable=False),
        "amount": Field(number(0, 1_000_000_000), required=True, nullable=False),
        "ordered_at": Field(timestamp, required=True, nullable=False),
        "notes": Field(text(500)),
    },
    # What a rep saw of a competitor at a customer (竞品信息: brand, product, price, promotion).
    RecordKind.COMPETITOR_REPORT: {
        "customer_id": Field(record_id, required=True, nullable=False),
        "visit_id": Field(record_id),
        "brand": Field(text(60, 1), required=True, nullable=False),
        "product": Field(text(100, 1), required=True, nullable=False),
        "price": Field(number(0, MAX_UNIT_PRICE)),
        "promotion": Field(text(500)),
        "observed_at": Field(timestamp, required=True, nullable=False),
    },
    # A customer's development opportunity (开发机会): one open at a time; its stage comes from its stage
    # events (shared/pipeline.py derive), the owner rep from who opened it. docs/pipeline.md.
    RecordKind.OPPORTUNITY: {
        "customer_id": Field(record_id, required=True, nullable=False),
        "expected_value": Field(number(0, 1_000_000_000)),  # expected yearly purchases, yuan
        "opened_at": Field(timestamp, required=True, nullable=False),
        "notes": Field(text(500)),
    },
    # A move to a stage, or the final won / lost (with a loss reason) of an opportunity: append-only, never
    # changed; shared/pipeline.py stage_event_problems checks how the fields go together.
    RecordKind.STAGE_EVENT: {
        "opportunity_id": Field(record_id, required=True, nullable=False),
        "customer_id": Field(record_id, required=True, nullable=False),
        "action": Field(one_of(StageAction), required=True, nullable=False),
        "stage": Field(one_of(PipelineStage)),
        "loss_reason": Field(one_of(LossReason)),
        "note": Field(text(500)),
        "at": Field(timestamp, required=True, nullable=False),
    },
    # 拜访照片: a photo taken on a visit. The record says what the bytes are; they go up after it (/api/photos).
    RecordKind.VISIT_PHOTO: {
        "customer_id": Field(record_id, required=True, nullable=False),
        "visit_id": Field(record_id, required=True, nullable=False),
        "size": Field(whole(1, MAX_PHOTO_BYTES), required=True, nullable=False),
        "sha256": Field(sha256_text, required=True, nullable=False),
        "content_type": Field(one_of(PhotoType), required=True, nullable=False),
        "taken_at": Field(timestamp, required=True, nullable=False),
        # Photo evidence (docs/photos.md): camera or gallery, and where the phone was when it was added (its GPS
        # service); a photo from an older phone has none of these and is still taken (来源未知).
        "source": Field(one_of(PhotoSource)),
        "lat": LATITUDE,
        "lng": LONGITUDE,
        "accuracy": Field(number(0, 100_000)),
    },
    # The product catalogue is kept by supervisors on the server; devices only receive it.
    RecordKind.PRODUCT: {
        "name": Field(text(100, 1), required=True, nullable=False),
        "spec": Field(text(100)),
        "unit": Field(text(20)),
        "unit_price": Field(number(0, MAX_UNIT_PRICE), required=True, nullable=False),
        "active": Field(boolean, nullable=False),
    },
    # 营销活动, planned by a supervisor on the server for one territory; devices only receive it.
    RecordKind.CAMPAIGN: {
        "campaign_type": Field(one_of(CampaignType), required=True, nullable=False),
        "name": Field(text(100, 1), required=True, nullable=False),
        "territory": Field(text(60, 1), required=True, nullable=False),
        "starts_on": Field(date, required=True, nullable=False),
        "ends_on": Field(date, required=True, nullable=False),
        "customer_ids": Field(id_list, required=True, nullable=False),  # the invited customers
        "cost": Field(number(0, MAX_CAMPAIGN_COST), required=True, nullable=False),  # 费用, yuan
        "notes": Field(text(2000)),
    },
    # A customer's participation in a campaign, recorded by the rep on a visit; never changes once stored.
    RecordKind.CAMPAIGN_RESULT: {
        "campaign_id": Field(record_id, required=True, nullable=False),
        "customer_id": Field(record_id, required=True, nullable=False),
        "visit_id": Field(record_id, required=True, nullable=False),
        "participated": Field(boolean, required=True, nullable=False),
        "amount": Field(number(0, 1_000_000_000)),  # ordered amount the rep attributes to the campaign
        "order_id": Field(record_id),  # an order of the same visit, linked
        "feedback": Field(text(500)),
        "recorded_at": Field(timestamp, required=True, nullable=False),
    },
    # 销售目标 of one rep for one calendar month, set by supervisors; the rep's phone receives it.
    RecordKind.SALES_TARGET: {
        "rep_id": Field(record_id, required=True, nullable=False),
        "month": Field(month, required=True, nullable=False),
        "sales_amount": Field(number(0, 1_000_000_000), required=True, nullable=False),
        "new_customers": Field(whole(0, 10_000), required=True, nullable=False),
        "visits": Field(whole(0, 100_000), required=True, nullable=False),
    },
    # 节日: a holiday of the company's list, kept by admins on the server (defaults: shared/holidays.py);
    # devices only receive it. Exactly one of `day` (that date only) or `month_day` (every year): holiday_problems.
    RecordKind.HOLIDAY: {
        "name": Field(text(40, 1), required=True, nullable=False),
        "day": Field(date),
        "month_day": Field(month_day),
        "note": Field(text(200)),  # what to do, e.g. "send greetings to key persons"
    },
    # 日报 / 周报: the rep's summary and next focus for a day or a week (starts_on: the day, or the week's
    # Monday; shared/work_reports.py report_problems). One per rep and period: its id is report_id(...). The
    # figures are not in it: each side computes them from its own records. The supervisor's comment is the
    # server's (comment, commented_at, commented_by_name), sent back to the rep's phone.
    RecordKind.WORK_REPORT: {
        "period": Field(one_of(ReportPeriod), required=True, nullable=False),
        "starts_on": Field(date, required=True, nullable=False),
        "summary": Field(text(2000, 1), required=True, nullable=False),
        "next_focus": Field(text(1000)),
        "submitted_at": Field(timestamp, required=True, nullable=False),
    },
    # 排行榜 of a territory for a period, computed on the server (server/domains/work_reports); phones only
    # receive it, and only when the company shows leaderboards to reps (LEADERBOARD_ON_PHONE).
    RecordKind.LEADERBOARD: {
        "period": Field(text(10, 1), required=True, nullable=False),
        "starts_on": Field(date, required=True, nullable=False),
        "ends_on": Field(date, required=True, nullable=False),
        "territory": Field(text(60), required=True),
        "computed_at": Field(timestamp, required=True, nullable=False),
    },
    # 考勤打卡: the rep starts or ends the working day, on the phone's clock, where the phone was (when it knew).
    # Append-only: a day's start is its first start, its end its last end (shared/attendance.py, docs/attendance.md).
    RecordKind.ATTENDANCE: {
        "action": Field(one_of(AttendanceAction), required=True, nullable=False),
        "at": Field(timestamp, required=True, nullable=False),
        "lat": Field(number(-90, 90)),
        "lng": Field(number(-180, 180)),
        "accuracy": Field(number(0, 100_000)),  # metres
    },
    # 认领 / 释放到公海 from the phone (docs/ownership.md): one op per tap, its id new. The server applies the pool's
    # rules (first claim wins, POOL_CLAIM_LIMIT, POOL_OWNED_LIMIT) and keeps it in the customer's owner history; the
    # new owner reaches phones with the customer (owner_rep_id, owner_name). Never changes once stored.
    RecordKind.CUSTOMER_CLAIM: {
        "customer_id": Field(record_id, required=True, nullable=False),
        "action": Field(one_of(ClaimAction), required=True, nullable=False),
        "at": Field(timestamp, required=True, nullable=False),  # when the rep tapped, on the phone's clock
        "reason": Field(text(200)),
    },
    # 审批 (docs/approvals.md): a request a rule made for an order, a new customer, a credit change or a claim,
    # and its decision. Made and decided on the server; the territory's phones receive it and show the status
    # (待审批 / 已批准 / 已驳回) and the supervisor's comment on the customer card and the visit.
    RecordKind.APPROVAL: {
        "kind": Field(one_of(ApprovalKind), required=True, nullable=False),
        "record_id": Field(record_id, required=True, nullable=False),
        "customer_id": Field(record_id, required=True, nullable=False),
        "status": Field(one_of(ApprovalStatus), required=True, nullable=False),
        "reason": Field(text(100), required=True, nullable=False),
        "comment": Field(text(500)),
    },
    # Route plans are written by supervisors on the server; devices only receive them.
    RecordKind.ROUTE_PLAN: {
        "day": Field(date, required=True, nullable=False),
        "customer_ids": Field(id_list, required=True, nullable=False),
    },
}

# Customer fields that belong to supervisors: a rep's concurrent change never overwrites them (sync.merge).
SUPERVISOR_FIELDS = frozenset({"importance"})
# Customer fields the server computes or supervisors set on the server: not in the schema, so an op that
# writes them is refused (422). Phones receive them with the customer.
SERVER_OWNED_CUSTOMER_FIELDS = frozenset({"tier", "credit_rating", "credit_limit", "approval_status"})
DEVICE_WRITABLE_KINDS = frozenset(
    {
        RecordKind.CUSTOMER,
        RecordKind.VISIT,
        RecordKind.NOTE,
        RecordKind.KEY_PERSON,
        RecordKind.COMPLAINT,
        RecordKind.COMPLAINT_STEP,
        RecordKind.ORDER,
        RecordKind.COMPETITOR_REPORT,
        RecordKind.CAMPAIGN_RESULT,
        RecordKind.OPPORTUNITY,
        RecordKind.STAGE_EVENT,
        RecordKind.VISIT_PHOTO,
        RecordKind.WORK_REPORT,
        RecordKind.ATTENDANCE,
        RecordKind.CUSTOMER_CLAIM,
    }
)
# Kinds whose records never change once stored (a put of a stored id must repeat it exactly).
IMMUTABLE_KINDS = frozenset(
    {
        RecordKind.ORDER,
        RecordKind.COMPETITOR_REPORT,
        RecordKind.CAMPAIGN_RESULT,
        RecordKind.STAGE_EVENT,
        RecordKind.COMPLAINT_STEP,
        RecordKind.VISIT_PHOTO,
        RecordKind.ATTENDANCE,
        RecordKind.CUSTOMER_CLAIM,
    }
)
# Append-only kinds (visits, notes, complaints, orders, competitor reports) may be added but never deleted.
DELETABLE_KINDS = frozenset({RecordKind.CUSTOMER, RecordKind.KEY_PERSON})
# Hours to a first answer (the complaint leaves "received"), by severity: "every complaint is answered fast".
COMPLAINT_RESPONSE_HOURS = {Severity.HIGH: 4, Severity.MEDIUM: 24, Severity.LOW: 72}
COMPLAINT_ORDER = list(ComplaintStatus)


# Which of the visit's type fields each visit type has, from the seeds (docs/visits.md). A visit keeps the
# fields every type shares (person met, purpose, attitude, progress, order, next visit date, notes); a type
# field of another type is refused (visit_type_problems), so a home visit never carries call_minutes.
VISIT_TYPE_FIELDS: dict[VisitType, tuple[str, ...]] = {
    VisitType.FIRST: ("needs", "key_persons_met", "competitors_in_use", "monthly_volume", "next_visit_agreed"),
    VisitType.SECOND: ("appointment_booked", "products_presented", "objections", "deal_outcome"),
    VisitType.EARLY: ("materials_delivered", "prescription_reminded"),
    VisitType.DAY: ("products_presented", "objections", "carried_through", "deal_outcome"),
    VisitType.HOME: ("promises",),
    VisitType.FOLLOW_UP: ("follows_visit_id", "carried_through", "satisfied"),
    VisitType.PHONE: ("call_minutes",),
}
ALL_VISIT_TYPE_FIELDS = tuple(dict.fromkeys(name for names in VISIT_TYPE_FIELDS.values() for name in names))
# 早访: doctors are seen as they start prescribing, 07:30-08:10 local time; outside it is flagged, never refused.
EARLY_VISIT_WINDOW = (dt.time(7, 30), dt.time(8, 10))
# 家访 is followed within 1-2 days by a 回访 that carries through what was said: due by the 2nd day after.
HOME_FOLLOW_UP_DAYS = 2


def visit_type_problems(visit: Mapping[str, object]) -> list[FieldError]:
    """Type fields with a value that do not belong to the visit's type. `visit` is the whole record as it
    would be stored (the stored fields updated by the new ones), so changing the type is checked too."""
    try:
        visit_type = VisitType(str(visit.get("visit_type")))
    except ValueError:
        return []  # validate_fields names the bad or missing type
    allowed = VISIT_TYPE_FIELDS[visit_type]
    return [
        FieldError(name, f"is not a field of a {visit_type.value} visit (its fields: {', '.join(allowed)})")
        for name in ALL_VISIT_TYPE_FIELDS
        if name not in allowed and visit.get(name) is not None
    ]


def outside_early_window(check_in: dt.datetime) -> bool:
    """Whether an early visit's check-in (in the rep's local time) falls outside 07:30-08:10."""
    start, end = EARLY_VISIT_WINDOW
    return not start <= check_in.time().replace(second=0, microsecond=0, tzinfo=None) <= end  # to the minute


def home_follow_up_due(home_visit_day: dt.date) -> dt.date:
    """The last day the 回访 after a home visit on `home_visit_day` is on time (a plain date: month ends too)."""
    return home_visit_day + dt.timedelta(days=HOME_FOLLOW_UP_DAYS)


def holiday_problems(fields: Mapping[str, object]) -> list[FieldError]:
    """A whole holiday record's problems: its fields (validate_fields), and exactly one of day and month_day."""
    errors = validate_fields(RecordKind.HOLIDAY, fields, creating=True)
    dated, yearly = fields.get("day") is not None, fields.get("month_day") is not None
    if dated == yearly:
        problem = (
            "give a date or a day of every year, not both" if dated else "a date or a day of every year is required"
        )
        errors.append(FieldError("day", problem))
    return errors


def validate_fields(kind: RecordKind, fields: Mapping[str, object], *, creating: bool) -> list[FieldError]:
    """Problems with `fields` for a record of `kind`; empty when they may be stored."""
    schema = SCHEMAS[kind]
    errors = [FieldError(name, "is not a field of this record") for name in fields if name not in schema]
    for name, spec in schema.items():
        if name not in fields:
            if creating and spec.required:
                errors.append(FieldError(name, "is required"))
            continue
        value = fields[name]
        if value is None:
            if not spec.nullable:
                errors.append(FieldError(name, "must not be empty"))
            continue
        problem = spec.check(value)
        if problem:
            errors.append(FieldError(name, problem))
    return errors
