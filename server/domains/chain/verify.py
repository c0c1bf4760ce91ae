"""`python -m server verify-export FILE [--pinned EARLIER]`: an auditor's check of an export of phones' chains.

It needs only the file (made by `python -m server export-chain`, server/domains/chain/export.py): no database, no
server, no network, and no trust in the server that made it. It reads the file line by line (any size):

- line 1, the header: `{"format": "routecrm-chain-export", "version": 1, "from", "to", "exported_at",
  "phones": [{"device_id", "public_key", "signed_from_seq", "key_registered_at", "user", "name", "platform"}]}`;
- then one line per op, by phone and op number: `{"op": {... the op as its phone signed it ...}, "hash",
  "link", "outcome", "received_at", "clock_offset_s", "user"}` (`received_at` and `clock_offset_s`, the phone's clock
  its push said, are the server's word: not checked), and for a visit photo's op `stored_sha256`, the SHA-256 of the
  bytes the server held when it exported. An op a privacy erasure scrubbed has no signature in `op` (it went
  with the erased values) but `erased_at` and its `prev_hash` beside it: its content cannot be checked, its
  place in the chain can (the phone's next op names its hash).

Each op's signature is checked with its phone's key, its hash computed again, and its `prev_hash` compared with
the hash of the op before it in the file; the `link` and `hash` the server wrote are not trusted. With `--pinned`,
the phones' keys and every op hash of an earlier export must be the same in this one (a server that replaced a
key and signed again, or rewrote what it had exported, shows). What each problem means is in docs/security.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from shared.enums import RecordKind
from sync.chain import GENESIS, Link, is_hex, link_of, op_hash, signature_valid
from sync.protocol import Op, ProtocolError, parse_op

FORMAT = "routecrm-chain-export"
VERSION = 1


@dataclass(frozen=True)
class Problem:
    device_id: str
    seq: int | None
    kind: str  # see PROBLEMS
    detail: str


PROBLEMS = {
    "unreadable": "a line is not an op of this format",
    "unknown_phone": "an op of a phone the header does not list",
    "no_key": "a signed op of a phone without a key in the header",
    "unsigned": "an unsigned op numbered at or after the phone's first signed op",
    "bad_signature": "the op does not match its signature: changed after signing, or not signed with the phone's key",
    "hash_differs": "the hash the file states is not the op's hash",
    "out_of_order": "an op not after the one before it (reordered or repeated)",
    "gap": "ops missing between two ops of the phone",
    "fork": "an op whose prev_hash is not the hash of the op before it",
    "photo_differs": "the photo the server held is not the one the phone signed (its SHA-256)",
    "differs_from_pinned": "a key or an op differs from the earlier export",
}


@dataclass
class Phone:
    """What the file holds of one phone, and where its chain stands while the file is read."""

    device_id: str
    public_key: str | None
    signed_from_seq: int | None
    user: str | None = None
    ops: int = 0
    signed: int = 0
    erased: int = 0  # ops whose personal data a privacy erasure removed: their content cannot be checked
    first_seq: int | None = None
    last_seq: int | None = None
    last_hash: str | None = None
    hashes: dict[int, str | None] = field(default_factory=dict)  # each op's, to pin a later export on this one


@dataclass
class Verdict:
    header: dict[str, Any]
    phones: dict[str, Phone]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


class NotAnExport(ValueError):
    """The file is not an export of this format (its first line)."""


def _header(line: str) -> dict[str, Any]:
    try:
        header = json.loads(line)
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise NotAnExport(f"not a {FORMAT} file (its first line is no such header)")
    if header.get("version") != VERSION:
        raise NotAnExport(f"export version {header.get('version')!r}; this verifier reads version {VERSION}")
    if not isinstance(header.get("phones"), list):
        raise NotAnExport("the header lists no phones")
    return header


def _phones(header: dict[str, Any]) -> dict[str, Phone]:
    phones: dict[str, Phone] = {}
    for item in header["phones"]:
        if not isinstance(item, dict) or not isinstance(item.get("device_id"), str):
            raise NotAnExport("a phone in the header has no device_id")
        key, start = item.get("public_key"), item.get("signed_from_seq")
        phones[item["device_id"]] = Phone(
            item["device_id"],
            key if is_hex(key, 64) else None,
            start if isinstance(start, int) and not isinstance(start, bool) else None,
            item.get("user") if isinstance(item.get("user"), str) else None,
        )
    return phones


def verify_lines(lines: Iterable[str], pinned: dict[str, Phone] | None = None) -> Verdict:
    """Check an export given as its lines. `pinned`: the phones of an earlier export, which this one must agree
    with: the same keys, and where the two overlap the same ops, none missing."""
    numbered = iter(enumerate(lines, start=1))
    first = next(numbered, None)
    if first is None:
        raise NotAnExport("the file is empty")
    header = _header(first[1])
    phones = _phones(header)
    problems: list[Problem] = []
    for device_id, phone in phones.items():
        earlier = (pinned or {}).get(device_id)
        if earlier is not None and (earlier.public_key, earlier.signed_from_seq) != (
            phone.public_key,
            phone.signed_from_seq,
        ):
            problems.append(
                Problem(device_id, None, "differs_from_pinned", "its key or first signed op differs from the earlier")
            )
    for number, line in numbered:
        if line.strip():
            problems += _check_line(number, line, phones, pinned or {})
    for device_id, earlier in (pinned or {}).items():
        now = phones.get(device_id)
        if now is None or now.first_seq is None:
            continue
        for seq in sorted(set(earlier.hashes) - set(now.hashes)):
            if seq >= now.first_seq:  # within this export's ops of the phone, or after its last (cut off)
                problems.append(Problem(device_id, seq, "differs_from_pinned", "held in the earlier export, not here"))
    return Verdict(header, phones, problems)


def _check_line(number: int, line: str, phones: dict[str, Phone], pinned: dict[str, Phone]) -> list[Problem]:
    try:
        item = json.loads(line)
        op = parse_op(item["op"], "op")
    except (ValueError, KeyError, TypeError, ProtocolError) as error:
        return [Problem("", None, "unreadable", f"line {number}: {error}")]
    phone = phones.get(op.device_id)
    if phone is None:
        return [Problem(op.device_id, op.seq, "unknown_phone", f"line {number}")]
    if phone.last_seq is not None and op.seq <= phone.last_seq:  # the chain goes on from the op before it
        return [Problem(op.device_id, op.seq, "out_of_order", f"line {number}: after op {phone.last_seq}")]
    erased = "erased_at" in item
    if erased:  # its signature went with the erased values: the hash the file states stands for it
        stated = item.get("hash")
        prev_hash, hashed = item.get("prev_hash"), stated if is_hex(stated, 64) else None
    else:
        prev_hash, hashed = op.prev_hash, op_hash(op) if op.signature is not None else None
    problems = [Problem(op.device_id, op.seq, kind, detail) for kind, detail in _check_op(op, item, phone, erased)]
    if prev_hash is not None and (erased or op.signature is not None):
        below = phone.last_hash if phone.last_seq == op.seq - 1 else None
        # The first op of a phone in the file may go on from an op before the period: nothing below to compare.
        if link_of(op.seq, prev_hash, phone.signed_from_seq, below) is Link.FORK:
            expected = GENESIS if op.seq == phone.signed_from_seq else below or "the hash of the op before it"
            problems.append(Problem(op.device_id, op.seq, "fork", f"prev_hash {prev_hash} is not {expected}"))
    earlier = pinned.get(op.device_id)
    if earlier is not None:
        if op.seq in earlier.hashes and earlier.hashes[op.seq] != hashed:
            problems.append(Problem(op.device_id, op.seq, "differs_from_pinned", "the earlier export held another op"))
        if phone.ops == 0 and op.seq - 1 in earlier.hashes and earlier.hashes[op.seq - 1] != prev_hash:
            problems.append(
                Problem(op.device_id, op.seq, "differs_from_pinned", "does not follow the earlier export's op")
            )
    phone.ops += 1
    phone.signed += op.signature is not None
    phone.erased += erased
    phone.first_seq = op.seq if phone.first_seq is None else phone.first_seq
    phone.last_seq, phone.last_hash = op.seq, hashed
    phone.hashes[op.seq] = hashed
    return problems


def _check_op(op: Op, item: dict[str, Any], phone: Phone, erased: bool) -> Iterator[tuple[str, str]]:
    """The problems of one op, given where its phone's chain stands in the file (the op before it in the file)."""
    if phone.last_seq is not None and op.seq > phone.last_seq + 1:
        yield "gap", f"ops {phone.last_seq + 1} to {op.seq - 1} are missing"
    if erased:
        if not is_hex(item.get("hash"), 64) or not is_hex(item.get("prev_hash"), 64):
            yield "hash_differs", "an erased op states no hash or no prev_hash"
        return
    if op.signature is None:
        if phone.signed_from_seq is not None and op.seq >= phone.signed_from_seq:
            yield "unsigned", f"the phone signs from op {phone.signed_from_seq} on"
        return
    if phone.public_key is None:
        yield "no_key", "the header gives no key for this phone"
        return
    if not signature_valid(op, phone.public_key):
        yield "bad_signature", "the signature does not match the op"
    if item.get("hash") != op_hash(op):
        yield "hash_differs", f"stated {item.get('hash')!r}"
    if op.kind is RecordKind.VISIT_PHOTO and "stored_sha256" in item:
        signed = op.fields.get("sha256")
        if signed is not None and item["stored_sha256"] != signed:
            yield "photo_differs", f"the phone signed {signed}, the server held {item['stored_sha256']}"


def verify_file(path: str, pinned_path: str | None = None) -> Verdict:
    pinned = None
    if pinned_path is not None:
        with open(pinned_path, encoding="utf-8") as earlier:
            pinned = verify_lines(earlier).phones
    with open(path, encoding="utf-8") as lines:
        return verify_lines(lines, pinned)


def report(verdict: Verdict) -> str:
    """The verdict as the command prints it."""
    header = verdict.header
    out = [f"export of {header.get('from')} to {header.get('to')}, made {header.get('exported_at')}"]
    for phone in verdict.phones.values():
        key = f"key {phone.public_key[:16]}…" if phone.public_key else "no key (an app from before signing)"
        span = f"ops {phone.first_seq}–{phone.last_seq}" if phone.first_seq is not None else "no ops"
        gone = f", {phone.erased} erased (personal data removed: content not checkable)" if phone.erased else ""
        out.append(
            f"phone {phone.device_id} ({phone.user or '?'}): {key}, {span}, {phone.signed} of {phone.ops} signed" + gone
        )
    erased = sum(phone.erased for phone in verdict.phones.values())
    if verdict.ok:
        out.append("OK: every signature matches, every op follows the one before it, nothing is missing")
        if erased:
            out.append(f"({erased} op(s) erased for privacy: their place in the chain holds, their content is gone)")
    else:
        out.append(f"PROBLEMS: {len(verdict.problems)}")
        for problem in verdict.problems:
            where = f"phone {problem.device_id}" + (f" op {problem.seq}" if problem.seq is not None else "")
            out.append(f"- {problem.kind} ({PROBLEMS[problem.kind]}): {where}: {problem.detail}")
    return "\n".join(out)
