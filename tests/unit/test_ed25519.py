"""The PWA's pure-Python Ed25519 (sync/ed25519.py) signs exactly as `cryptography` does: RFC 8032's test
vectors, random keys and messages compared byte for byte, and a phone key forced onto the pure path makes ops
the server's check accepts."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.enums import RecordKind
from sync import chain, ed25519
from sync.protocol import Op, OpAction

# RFC 8032, section 7.1: TEST 1 (an empty message) and TEST 2 (one byte).
VECTORS = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
]


@pytest.mark.parametrize(("private", "public", "message", "signature"), VECTORS)
def test_the_rfc_8032_vectors(private: str, public: str, message: str, signature: str) -> None:
    key = bytes.fromhex(private)
    assert ed25519.public_key(key).hex() == public
    assert ed25519.sign(key, bytes.fromhex(message)).hex() == signature


def test_the_same_bytes_as_cryptography_for_random_keys_and_messages() -> None:
    for size in (0, 1, 31, 32, 33, 200, 5000):
        private, message = os.urandom(32), os.urandom(size)
        native = Ed25519PrivateKey.from_private_bytes(private)
        assert ed25519.public_key(private) == native.public_key().public_bytes_raw()
        assert ed25519.sign(private, message) == native.sign(message)


def test_a_key_of_the_wrong_size_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        ed25519.sign(b"short", b"")


def test_a_phone_on_the_pure_path_signs_ops_the_server_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chain, "NATIVE_ED25519", False)  # as in the PWA: no `cryptography` on the phone
    key = chain.PhoneKey.new()
    op = Op(
        op_id="7b2f1c9e-0a4d-4c1e-9f3b-2d6e8a1c5b70",
        device_id="3c9d2e1f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
        seq=1,
        kind=RecordKind.NOTE,
        record_id="9e8d7c6b-5a4f-4e3d-2c1b-0a9f8e7d6c5b",
        action=OpAction.PUT,
        fields={"body": "王院长要样品"},
        made_at="2026-12-07T01:05:02+00:00",
        prev_hash=chain.GENESIS,
    )
    signed = key.sign(op)
    monkeypatch.setattr(chain, "NATIVE_ED25519", True)
    assert chain.PhoneKey.from_hex(key.private_hex()).public_hex == key.public_hex
    assert chain.signature_valid(signed, key.public_hex)
