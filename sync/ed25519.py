"""Ed25519 signing in pure Python, for where `cryptography` cannot be installed: the PWA (Pyodide in the browser).

This is the reference code of RFC 8032, section 6 (key expansion, the public key, signing), unchanged in
substance. Ed25519 signatures are deterministic, so `tests/unit/test_ed25519.py` checks that it gives
byte-for-byte what `cryptography` gives, and the RFC's test vectors. It is slow (a few milliseconds a
signature on a desktop; one per saved op is affordable) and not hardened against timing attacks: a phone's
key signs what its owner typed, on their own device. Verifying is the server's and the auditor's, with
`cryptography` (sync/chain.py).
"""

from __future__ import annotations

import hashlib

Point = tuple[int, int, int, int]  # extended homogeneous coordinates (X, Y, Z, T)

P = 2**255 - 19
Q = 2**252 + 27742317777372353535851937790883648493  # the group's order
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _recover_x(y: int, sign: int) -> int:
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P)
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x & 1) != sign:
        x = P - x
    return x


_G_Y = 4 * pow(5, P - 2, P) % P
_G_X = _recover_x(_G_Y, 0)
G: Point = (_G_X, _G_Y, 1, _G_X * _G_Y % P)


def _add(a: Point, b: Point) -> Point:
    pa, pb = (a[1] - a[0]) * (b[1] - b[0]) % P, (a[1] + a[0]) * (b[1] + b[0]) % P
    pc, pd = 2 * a[3] * b[3] * D % P, 2 * a[2] * b[2] % P
    e, f, g, h = pb - pa, pd - pc, pd + pc, pb + pa
    return (e * f, g * h, f * g, e * h)


def _mul(scalar: int, point: Point) -> Point:
    result: Point = (0, 1, 1, 0)  # the neutral element
    while scalar > 0:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _compress(point: Point) -> bytes:
    z_inv = pow(point[2], P - 2, P)
    x, y = point[0] * z_inv % P, point[1] * z_inv % P
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


def _expand(private: bytes) -> tuple[int, bytes]:
    if len(private) != 32:
        raise ValueError("an Ed25519 private key is 32 bytes")
    digest = hashlib.sha512(private).digest()
    scalar = int.from_bytes(digest[:32], "little")
    scalar &= (1 << 254) - 8
    scalar |= 1 << 254
    return scalar, digest[32:]


def _hash_mod_q(data: bytes) -> int:
    return int.from_bytes(hashlib.sha512(data).digest(), "little") % Q


def public_key(private: bytes) -> bytes:
    """The 32-byte public key of a 32-byte private key."""
    scalar, _ = _expand(private)
    return _compress(_mul(scalar, G))


def sign(private: bytes, message: bytes) -> bytes:
    """The 64-byte Ed25519 signature of `message`."""
    scalar, prefix = _expand(private)
    public = _compress(_mul(scalar, G))
    r = _hash_mod_q(prefix + message)
    r_point = _compress(_mul(r, G))
    s = (r + _hash_mod_q(r_point + public + message) * scalar) % Q
    return r_point + int.to_bytes(s, 32, "little")
