import pytest

from shared.ids import new_id
from sync.protocol import (
    MAX_NESTING,
    MAX_OPS_PER_PUSH,
    SCHEMA_VERSION,
    ProtocolError,
    parse_pull_request,
    parse_push_request,
)

DEVICE = "device-1"


def op(number: int, **overrides: object) -> dict[str, object]:
    return {
        "op_id": new_id(),
        "device_id": DEVICE,
        "seq": number,
        "kind": "note",
        "record_id": new_id(),
        "action": "put",
        "fields": {"text": "hi"},
        "made_at": "2026-11-26T08:00:00+08:00",
        **overrides,
    }


def push(*ops: dict[str, object], **overrides: object) -> dict[str, object]:
    return {"device_id": DEVICE, "schema_version": SCHEMA_VERSION, "ops": list(ops), **overrides}


def test_a_good_push_parses() -> None:
    request = parse_push_request(push(op(1), op(2)))
    assert [o.seq for o in request.ops] == [1, 2]
    assert request.as_dict()["ops"][0]["kind"] == "note"


@pytest.mark.parametrize(
    ("body", "path", "words"),
    [
        ([], "body", "JSON object"),
        (push(op(1), extra=1), "extra", "not a known field"),
        (push(op(1, kind="spaceship")), "ops[0].kind", "unknown record kind"),
        (push(op(1, seq="1")), "ops[0].seq", "whole number"),
        (push(op(1, seq=0)), "ops[0].seq", "at least 1"),
        (push(op(1, record_id="nope")), "ops[0].record_id", "UUID"),
        (push(op(1, action="upsert")), "ops[0].action", "put or delete"),
        (push(op(1, device_id="other")), "ops[0].device_id", "must equal"),
        (push(op(2), op(1)), "ops", "strictly increasing"),
        (push(op(1), ops="x"), "ops", "must be an array"),
        ({"device_id": DEVICE, "ops": []}, "schema_version", "is required"),
    ],
)
def test_a_bad_push_names_where_and_what(body: object, path: str, words: str) -> None:
    with pytest.raises(ProtocolError) as raised:
        parse_push_request(body)
    assert raised.value.path == path and words in raised.value.problem


def nested(levels: int, leaf: object) -> object:
    value = leaf
    for level in range(levels):
        value = {"k": value} if level % 2 else [value]
    return value


@pytest.mark.parametrize("leaf", ["text", 7, None, [], {}])
def test_values_may_nest_to_the_limit_and_no_further(leaf: object) -> None:
    """Inside an op, `fields` is one level and each object or array around the leaf one more."""
    deepest = MAX_NESTING - 2
    parse_push_request(push(op(1, fields={"a": nested(deepest, leaf)})))
    with pytest.raises(ProtocolError) as raised:
        parse_push_request(push(op(1, fields={"a": nested(deepest + 1, leaf)})))
    assert "nested more than" in raised.value.problem


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"text": "a\x00b"}, "ops[0].fields.text"),
        ({"a\x00": 1}, "ops[0].fields"),
        ({"list": ["ok", {"deep": ["x", "\x00"]}]}, "ops[0].fields.list[1].deep[1]"),
    ],
)
def test_a_nul_character_is_named_where_it_is(fields: dict[str, object], path: str) -> None:
    with pytest.raises(ProtocolError) as raised:
        parse_push_request(push(op(1, fields=fields)))
    assert raised.value.path == path and "NUL" in raised.value.problem


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"text": "好的\ud83d"}, "ops[0].fields.text"),  # half an emoji: the high surrogate without its pair
        ({"text": "\ude00 low first"}, "ops[0].fields.text"),
        ({"a\udfff": 1}, "ops[0].fields"),
        ({"list": ["ok", {"deep": ["好", "\ud83d"]}]}, "ops[0].fields.list[1].deep[1]"),
    ],
)
def test_a_lone_surrogate_is_named_where_it_is(fields: dict[str, object], path: str) -> None:
    """JSON may escape half a UTF-16 pair (\\ud83d); such text has no UTF-8 form and cannot be stored."""
    with pytest.raises(ProtocolError) as raised:
        parse_push_request(push(op(1, fields=fields)))
    assert raised.value.path == path and "surrogate" in raised.value.problem


def test_whole_emoji_and_chinese_text_pass() -> None:
    parse_push_request(push(op(1, fields={"text": "好的😀", "list": ["é", {"k": "𠮷"}]})))


@pytest.mark.parametrize(
    "text",
    [
        "0f8b8c0e-3b3a-4c1e-9d0a-1b2c3d4e5f60",
        "0F8B8C0E-3B3A-4C1E-9D0A-1B2C3D4E5F60",
    ],
)
def test_ids_are_uuids_as_devices_write_them(text: str) -> None:
    parse_push_request(push(op(1, record_id=text)))


@pytest.mark.parametrize(
    "text",
    [
        "0f8b8c0e3b3a-4c1e-9d0a-1b2c3d4e-5f60",  # 36 characters, hyphens elsewhere
        "0f8b8c0e-3b3a-4c1e-9d0a-1b2c3d4e5f6g",
        "0f8b8c0e-3b3a-4c1e-9d0a-1b2c3d4e5f60\n",
        "{0f8b8c0e-3b3a-4c1e-9d0a-1b2c3d4e5f6}",
    ],
)
def test_other_ids_are_refused(text: str) -> None:
    with pytest.raises(ProtocolError) as raised:
        parse_push_request(push(op(1, record_id=text)))
    assert raised.value.path == "ops[0].record_id"


def test_too_many_ops_is_too_large() -> None:
    with pytest.raises(ProtocolError) as raised:
        parse_push_request(push(*[op(i + 1) for i in range(MAX_OPS_PER_PUSH + 1)]))
    assert raised.value.code == "too_large"


def test_pull_limits() -> None:
    assert parse_pull_request({"cursor": 5, "schema_version": SCHEMA_VERSION}).limit == 500
    with pytest.raises(ProtocolError):
        parse_pull_request({"cursor": 5, "schema_version": SCHEMA_VERSION, "limit": 5000})
    with pytest.raises(ProtocolError):
        parse_pull_request({"cursor": -1, "schema_version": SCHEMA_VERSION})
