import pytest

from shared.enums import RecordKind
from shared.ids import is_valid_id, new_id
from shared.records import DELETABLE_KINDS, DEVICE_WRITABLE_KINDS, IMMUTABLE_KINDS, validate_fields


def problems(kind: RecordKind, fields: dict[str, object], creating: bool = True) -> dict[str, str]:
    return {error.field: error.problem for error in validate_fields(kind, fields, creating=creating)}


def test_a_complete_visit_is_valid() -> None:
    fields = {
        "customer_id": new_id(),
        "visit_type": "early",
        "planned": True,
        "check_in_at": "2026-11-26T07:40:00+08:00",
        "check_in_lat": 38.5,
        "check_in_lng": 115.9,
        "attitude": "positive",
        "ordered": True,
        "order_amount": 1280.5,
        "next_visit_date": "2026-12-03",
    }
    assert problems(RecordKind.VISIT, fields) == {}


def test_creating_needs_the_required_fields_but_an_update_does_not() -> None:
    assert set(problems(RecordKind.VISIT, {"ordered": True})) == {"customer_id", "visit_type", "check_in_at"}
    assert problems(RecordKind.VISIT, {"ordered": True}, creating=False) == {}


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"name": "", "kind": "clinic"}, "name", "empty"),
        ({"name": "x" * 101, "kind": "clinic"}, "name", "at most 100"),
        ({"name": "诊所", "kind": "spaceship"}, "kind", "one of"),
        ({"name": "诊所", "kind": "clinic", "lat": 91}, "lat", "between"),
        ({"name": "诊所", "kind": "clinic", "lat": True}, "lat", "number"),
        ({"name": "诊所", "kind": "clinic", "owner_rep_id": "me"}, "owner_rep_id", "not a field"),
        ({"name": "诊所", "kind": None}, "kind", "must not be empty"),
    ],
)
def test_bad_customer_fields_are_named_with_their_problem(fields: dict[str, object], field: str, words: str) -> None:
    assert words in problems(RecordKind.CUSTOMER, fields)[field]


def test_timestamps_need_an_offset_and_dates_must_parse() -> None:
    found = problems(
        RecordKind.VISIT,
        {"customer_id": new_id(), "visit_type": "day", "check_in_at": "2026-11-26T08:00:00", "next_visit_date": "soon"},
    )
    assert "UTC offset" in found["check_in_at"]
    assert "ISO 8601 date" in found["next_visit_date"]


def test_ids_are_uuids_made_on_the_device() -> None:
    assert is_valid_id(new_id())
    assert new_id() != new_id()
    assert not is_valid_id("42")
    assert not is_valid_id(42)


def test_orders_and_competitor_reports_are_device_writable_never_deleted_the_catalogue_is_read_only() -> None:
    assert {RecordKind.ORDER, RecordKind.COMPETITOR_REPORT} <= DEVICE_WRITABLE_KINDS & IMMUTABLE_KINDS
    assert not {RecordKind.ORDER, RecordKind.COMPETITOR_REPORT, RecordKind.PRODUCT} & DELETABLE_KINDS
    assert RecordKind.PRODUCT not in DEVICE_WRITABLE_KINDS
    # The tier and the credit rating are the server's: an op writing them is refused.
    assert set(problems(RecordKind.CUSTOMER, {"tier": "A", "credit_rating": "good"}, creating=False)) == {
        "tier",
        "credit_rating",
    }
    order = {"customer_id": new_id(), "visit_id": new_id(), "amount": 1, "ordered_at": "2026-11-27T09:00:00+08:00"}
    assert set(problems(RecordKind.ORDER, order)) == {"lines"}
    assert problems(RecordKind.COMPETITOR_REPORT, {"brand": " "}, creating=False) == {"brand": "must not be empty"}
