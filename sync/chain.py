"""Each phone's ops as a tamper-evident chain (issue #17): what a phone signs, an op's hash, how ops link.

Both sides run this module: the phone signs an op when it makes it (client/storage/store.py), the server checks
every op it receives (server/domains/chain/), and an auditor's `python -m server verify-export FILE` checks an
export with nothing but this module and the file. The threat model is in docs/security.md.

- **The key.** A phone makes an Ed25519 key with its store; the private half is kept in the store's metadata,
  sealed like every record. The public half is registered with the server (at sign-in, and with every push), with
  `signed_from_seq`: the first of the phone's op numbers it signs (1 for a new install; for an install from before
  signing, its next op number: what waited in its outbox then stays unsigned).
- **What is signed**, `signed_bytes(op)`: the canonical JSON of the object below, UTF-8, keys sorted at every
  level, no whitespace (`separators=(",", ":")`), non-ASCII characters as themselves, no NaN or infinity:

      {"chain": 1, "device_id": …, "seq": …, "op_id": …, "kind": …, "record_id": …, "action": …,
       "fields": {…}, "made_at": …, "hlc": … or null, "base": {…}, "prev_hash": …}

  that is everything the op says, the phone's times (`made_at`, `hlc`) and the previous op's hash included; a
  photo's SHA-256 is one of its record's fields. `signature` is the Ed25519 signature of those bytes.
- **An op's hash** is SHA-256 over `signed_bytes(op)` followed by the signature's 64 bytes.
- **The chain.** The op numbered `signed_from_seq` names GENESIS (64 zeros) as its previous hash; every later op
  names the hash of the op numbered one below it. Hashes, keys and signatures travel as lowercase hex.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import re
from dataclasses import replace
from enum import StrEnum
from typing import Any

from sync import ed25519
from sync.protocol import Op

# `cryptography` where it installs (the server, an auditor's machine, the phone's native build); in the PWA
# (Pyodide, no `cryptography`) a phone signs with the pure-Python Ed25519 of sync/ed25519.py: the same bytes.
NATIVE_ED25519 = importlib.util.find_spec("cryptography") is not None

CHAIN_VERSION = 1
GENESIS = "0" * 64  # the previous hash of a phone's first signed op
KEY_HEX = 64  # an Ed25519 key (private or public): 32 bytes
SIGNATURE_HEX = 128  # an Ed25519 signature: 64 bytes
HASH_HEX = 64  # SHA-256
_HEX = re.compile(r"^[0-9a-f]*$")


def is_hex(value: object, length: int) -> bool:
    """Lowercase hex of exactly `length` characters."""
    return isinstance(value, str) and len(value) == length and _HEX.match(value) is not None


def canonical_json(value: object) -> bytes:
    """The one byte form of a JSON value: keys sorted, no whitespace, UTF-8, no NaN or infinity."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def signed_bytes(op: Op) -> bytes:
    """What the phone signs: everything the op says and the hash of the phone's previous op."""
    return canonical_json(
        {
            "chain": CHAIN_VERSION,
            "device_id": op.device_id,
            "seq": op.seq,
            "op_id": op.op_id,
            "kind": op.kind.value,
            "record_id": op.record_id,
            "action": op.action.value,
            "fields": op.fields,
            "made_at": op.made_at,
            "hlc": op.hlc,
            "base": op.base,
            "prev_hash": op.prev_hash,
        }
    )


def op_hash(op: Op) -> str:
    """SHA-256 over the signed bytes and the signature: what the phone's next op names as `prev_hash`."""
    if op.signature is None:
        raise ValueError(f"op {op.seq} of {op.device_id} is not signed: it has no hash")
    return hashlib.sha256(signed_bytes(op) + bytes.fromhex(op.signature)).hexdigest()


class PhoneKey:
    """A phone's signing key (the private half, 32 bytes; kept inside the phone's encrypted store)."""

    def __init__(self, private: bytes) -> None:
        if len(private) != 32:
            raise ValueError("a phone key is 32 bytes")
        self._private = private
        self.public_hex = _public_of(private).hex()

    @classmethod
    def new(cls) -> PhoneKey:
        return cls(os.urandom(32))  # an Ed25519 private key is 32 random bytes

    @classmethod
    def from_hex(cls, text: str) -> PhoneKey:
        if not is_hex(text, KEY_HEX):
            raise ValueError("a phone key is 64 lowercase hex characters")
        return cls(bytes.fromhex(text))

    def private_hex(self) -> str:
        return self._private.hex()

    def sign(self, op: Op) -> Op:
        """The op with its signature (its `prev_hash` set already)."""
        if op.prev_hash is None:
            raise ValueError("an op names the previous op's hash before it is signed")
        return replace(op, signature=_sign(self._private, signed_bytes(op)).hex())


def _public_of(private: bytes) -> bytes:
    if not NATIVE_ED25519:
        return ed25519.public_key(private)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()


def _sign(private: bytes, message: bytes) -> bytes:
    if not NATIVE_ED25519:
        return ed25519.sign(private, message)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(private).sign(message)


@functools.lru_cache(maxsize=1024)
def _public_key(public_key: str) -> Any:
    """The `cryptography` public key (verifying is for the server and auditors, where it is installed)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key))


def checked_hash(op: Op, public_key: str) -> str | None:
    """The op's hash when it carries a signature of exactly what it says, made with the private half of
    `public_key`; None otherwise. One encoding of the op for both (a push checks up to 500)."""
    if op.signature is None or op.prev_hash is None or not is_hex(public_key, KEY_HEX):
        return None
    from cryptography.exceptions import InvalidSignature

    message, signature = signed_bytes(op), bytes.fromhex(op.signature)
    try:
        _public_key(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return None
    return hashlib.sha256(message + signature).hexdigest()


def signature_valid(op: Op, public_key: str) -> bool:
    """True when `op` carries a signature of exactly what it says, made with the private half of `public_key`."""
    return checked_hash(op, public_key) is not None


class Link(StrEnum):
    """How a signed op joins the ops held before it (by the server, or in an export)."""

    START = "start"  # the phone's first signed op: GENESIS at `signed_from_seq`
    INTACT = "intact"  # names the hash of the op held one number below it
    GAP = "gap"  # the op one number below it is not held: lost, or withheld
    FORK = "fork"  # names another op than the one held below it (or GENESIS where the phone's chain cannot start)
    UNSIGNED = "unsigned"  # made before the phone signed (an app from before issue #17): nothing to check


def link_of(seq: int, prev_hash: str | None, signed_from_seq: int | None, hash_below: str | None) -> Link:
    """How op number `seq`, naming `prev_hash`, joins the op held one number below it (its hash `hash_below`;
    None: no op is held there). `signed_from_seq`: the phone's first signed op number (None: it has no key)."""
    if prev_hash is None or signed_from_seq is None:
        return Link.UNSIGNED
    if seq == signed_from_seq:
        return Link.START if prev_hash == GENESIS else Link.FORK
    if seq < signed_from_seq or prev_hash == GENESIS:
        return Link.FORK
    if hash_below is None:
        return Link.GAP
    return Link.INTACT if hash_below == prev_hash else Link.FORK
