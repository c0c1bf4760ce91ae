import pytest

from shared.ids import new_id
from sync.protocol import MAX_OPS_PER_PUSH, SCHEMA_VERSION, ProtocolError, parse_pull_request, parse_push_request

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
