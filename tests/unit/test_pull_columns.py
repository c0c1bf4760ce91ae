"""The `columns` encoding of a pull page (issue #20): it decodes to exactly the changes the plain page carries."""

from __future__ import annotations

import json
import uuid
from typing import Any

import jsonschema_rs
import pytest

from shared.enums import RecordKind
from sync.protocol import (
    COLUMNS_ENCODING,
    MAX_COLUMNS_PULL_LIMIT,
    PULL_RESPONSE_SCHEMA,
    ProtocolError,
    PullRequest,
    changes_of_groups,
    column_groups,
    parse_pull_request,
    parse_pull_response,
)

ROWS: list[tuple[int, str, str, bool, dict[str, Any] | None]] = [
    (3, "customer", "c1", False, {"name": "卫生室", "id": "c1", "lat": 38.7, "tier": None, "field_clocks": {"a": "x"}}),
    (5, "visit", "v1", False, {"customer_id": "c1", "id": "v1", "notes": None, "flags": ["late"], "ordered": True}),
    (6, "visit", "v2", False, {"customer_id": "c1", "id": "v2", "notes": "带样品", "flags": [], "ordered": False}),
    (9, "visit", "v3", False, {"id": "v3", "customer_id": "c2"}),  # other keys, other order: a group of its own
    (10, "note", "n1", True, None),  # a tombstone
    (12, "customer", "c2", False, {"name": "药店", "id": "other", "lat": 38.8, "tier": "A", "field_clocks": {}}),
    (13, "visit", "v4", True, {"customer_id": "c2", "id": "v4", "notes": None, "flags": [], "ordered": False}),
]


def plain_page(rows: list[tuple[int, str, str, bool, dict[str, Any] | None]]) -> dict[str, Any]:
    changes = [{"seq": s, "kind": k, "record_id": r, "deleted": d, "data": data} for s, k, r, d, data in rows]
    return {"changes": changes, "cursor": 13, "has_more": True, "server_time": "t", "timezone": "Asia/Shanghai"}


def columns_page(rows: list[tuple[int, str, str, bool, dict[str, Any] | None]]) -> dict[str, Any]:
    page = plain_page(rows)
    del page["changes"]
    groups = json.loads(json.dumps(column_groups(rows), ensure_ascii=False))  # as it crosses the wire
    return {"encoding": COLUMNS_ENCODING, "groups": groups, **page}


def test_a_columns_page_decodes_to_the_plain_pages_changes_key_order_and_nulls_included() -> None:
    plain, columns = parse_pull_response(plain_page(ROWS)), parse_pull_response(columns_page(ROWS))
    assert columns == plain
    assert [list(change.data or ()) for change in columns.changes] == [list(data or ()) for *_, data in ROWS]
    assert columns.changes[1].data == {
        "customer_id": "c1",
        "id": "v1",
        "notes": None,
        "flags": ["late"],
        "ordered": True,
    }


def test_records_group_by_kind_and_keys_and_an_id_equal_to_the_record_id_is_not_sent_twice() -> None:
    groups = column_groups(ROWS)
    shapes = [(group["kind"], tuple(group["fields"] or ())) for group in groups]
    assert len(shapes) == len(set(shapes)) == 4  # both customers in one group, the visits in two
    visits = groups[1]
    assert visits["record_id"] == ["v1", "v2", "v4"] and visits["seq"] == [5, 1, 7] and visits["deleted"] == [2]
    assert visits["values"][visits["fields"].index("id")] is None  # every id equals its record id
    customers = groups[0]
    assert customers["values"][customers["fields"].index("id")] == ["c1", "other"]  # not all equal: sent


def test_repeated_texts_of_a_field_are_held_once() -> None:
    rows = [(n, "visit", f"v{n}", False, {"territory": "望都村片" + "", "id": f"v{n}"}) for n in range(1, 4)]
    changes = parse_pull_response(columns_page(rows)).changes
    assert changes[0].data is not None and changes[2].data is not None
    assert changes[0].data["territory"] is changes[2].data["territory"]


@pytest.mark.parametrize(
    ("groups", "path"),
    [
        ("x", "groups"),
        ([{"kind": "visit", "fields": None, "seq": [1, 2], "record_id": ["a"], "deleted": [], "values": []}], "seq"),
        ([{"kind": "visit", "fields": ["a"], "seq": [1], "record_id": ["a"], "deleted": [], "values": []}], "values"),
        (
            [{"kind": "visit", "fields": ["a"], "seq": [1], "record_id": ["a"], "deleted": [], "values": [[1, 2]]}],
            "values[0]",
        ),
        ([{"kind": "visit", "fields": None, "seq": [0], "record_id": ["a"], "deleted": [], "values": []}], "seq[0]"),
    ],
)
def test_a_malformed_columns_page_is_a_protocol_error_naming_where(groups: object, path: str) -> None:
    with pytest.raises(ProtocolError) as raised:
        changes_of_groups(groups)
    assert raised.value.path.endswith(path)


def test_the_encoding_is_asked_for_in_the_pull_request_and_unknown_ones_are_refused() -> None:
    request = PullRequest(cursor=0, schema_version=4, limit=1000, full=True, encoding=COLUMNS_ENCODING)
    assert parse_pull_request(request.as_dict()) == request
    assert "encoding" not in PullRequest(cursor=0, schema_version=4).as_dict()  # an old phone's body, unchanged
    with pytest.raises(ProtocolError) as raised:
        parse_pull_request({"cursor": 0, "schema_version": 4, "encoding": "protobuf"})
    assert raised.value.path == "encoding"


def test_a_plain_page_still_parses_and_kinds_come_back_as_record_kinds() -> None:
    page = parse_pull_response(plain_page(ROWS[:2]))
    assert [change.kind for change in page.changes] == [RecordKind.CUSTOMER, RecordKind.VISIT]


def test_columns_of_canonical_uuids_travel_as_16_bytes_each_and_come_back_as_the_same_texts() -> None:
    ids = [str(uuid.UUID(int=(n + 1) * 0xABCDEF0123456789ABCDEF012345 % (1 << 128), version=4)) for n in range(5)]
    assert all(any(c in "abcdef" for c in id_) for id_ in ids)
    rows = [(n + 1, "visit", ids[n], False, {"customer_id": ids[-1 - n], "id": ids[n], "rep": "R"}) for n in range(5)]
    rows.append((9, "visit", "not-a-uuid", False, {"customer_id": ids[0].upper(), "id": "not-a-uuid", "rep": "R"}))
    (group,) = column_groups(rows)
    assert group["record_id"] == [*ids, "not-a-uuid"]  # one id is not a UUID: the list as it is
    assert group["values"][0][-1] == ids[0].upper()  # upper case would not come back as it was: not packed
    packed = column_groups(rows[:5])[0]
    assert set(packed["record_id"]) == {"uuids"} and set(packed["values"][0]) == {"uuids"}
    page = columns_page(rows[:5])
    assert parse_pull_response(page) == parse_pull_response(plain_page(rows[:5]))
    assert parse_pull_response(columns_page(rows)) == parse_pull_response(plain_page(rows))


@pytest.mark.parametrize("record_id", [{"uuids": "!!!"}, {"uuids": "AAAA"}, {"other": ""}, "x"])
def test_a_malformed_uuid_column_is_a_protocol_error(record_id: object) -> None:
    group = {"kind": "visit", "fields": None, "seq": [1], "record_id": record_id, "deleted": [], "values": []}
    with pytest.raises(ProtocolError) as raised:
        changes_of_groups([group])
    assert raised.value.path == "groups[0].record_id"


def test_pages_in_columns_may_hold_up_to_2000_records_plain_ones_1000() -> None:
    body = {"cursor": 0, "schema_version": 4, "limit": MAX_COLUMNS_PULL_LIMIT, "encoding": COLUMNS_ENCODING}
    assert parse_pull_request(body).limit == MAX_COLUMNS_PULL_LIMIT
    for too_many in ({**body, "limit": MAX_COLUMNS_PULL_LIMIT + 1}, {**body, "encoding": None, "limit": 1001}):
        with pytest.raises(ProtocolError) as raised:
            parse_pull_request({key: value for key, value in too_many.items() if value is not None})
        assert raised.value.path == "limit" and raised.value.code == "too_large"


def test_pages_in_both_encodings_match_the_pull_answers_published_schema() -> None:
    """The OpenAPI schema the API publishes (and the fuzz test checks answers against) allows a packed column."""
    validator = jsonschema_rs.validator_for(PULL_RESPONSE_SCHEMA)
    ids = [str(uuid.UUID(int=n + 1, version=4)) for n in range(3)]
    packed_rows = [(n + 1, "visit", ids[n], False, {"customer_id": ids[-1 - n], "id": ids[n]}) for n in range(3)]
    packed = columns_page(packed_rows)
    assert set(packed["groups"][0]["record_id"]) == {"uuids"}
    for page in (packed, columns_page(ROWS), plain_page(ROWS)):
        errors = [error.message for error in validator.iter_errors(page)]
        assert errors == [], errors
    assert not validator.is_valid({**packed, "groups": [{**packed["groups"][0], "record_id": {"uuids": 1}}]})
