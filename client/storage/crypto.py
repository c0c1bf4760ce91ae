"""The store's two primitives, AES-256-GCM and Argon2id, where the app runs (client/storage/vault.py uses them).

On a phone, in browser mode and in the tests: `cryptography`'s AESGCM and argon2-cffi. In the PWA (Pyodide, no
wheels for either): the browser's WebCrypto for AES-GCM, which gives byte-identical output, awaited from
synchronous code with `pyodide.ffi.run_sync`. The same formats either way, so a store moves between them.
Argon2id in the browser: the npm package hash-wasm, vendored (assets/web/vendor/hash-wasm, copied into the
PWA's build), whose output is identical to argon2-cffi's with the vault's parameters.
"""

from __future__ import annotations

from typing import Any

from client.browser import IN_BROWSER


class AuthenticationFailed(Exception):
    """Sealed bytes did not open: changed, cut, or sealed with another key or context."""


class NotAvailable(RuntimeError):
    """This primitive is not available where the app runs."""


class _NativeAead:
    def __init__(self, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(key)

    def encrypt(self, nonce: bytes, plaintext: bytes, context: bytes) -> bytes:
        return self._aead.encrypt(nonce, plaintext, context)

    def decrypt(self, nonce: bytes, sealed: bytes, context: bytes) -> bytes:
        from cryptography.exceptions import InvalidTag

        try:
            return self._aead.decrypt(nonce, sealed, context)
        except (InvalidTag, ValueError):
            raise AuthenticationFailed from None


class _WebCryptoAead:
    """AES-GCM through `crypto.subtle` (128-bit tag, the same layout as `cryptography`: ciphertext then tag)."""

    def __init__(self, key: bytes) -> None:
        import js
        from pyodide.ffi import run_sync, to_js

        self._js, self._run_sync, self._to_js = js, run_sync, to_js
        usages = to_js(["encrypt", "decrypt"])
        self._key = run_sync(js.crypto.subtle.importKey("raw", to_js(key), "AES-GCM", False, usages))

    def _params(self, nonce: bytes, context: bytes) -> Any:
        return self._to_js(
            {"name": "AES-GCM", "iv": self._to_js(nonce), "additionalData": self._to_js(context)},
            dict_converter=self._js.Object.fromEntries,
        )

    def encrypt(self, nonce: bytes, plaintext: bytes, context: bytes) -> bytes:
        sealed = self._run_sync(
            self._js.crypto.subtle.encrypt(self._params(nonce, context), self._key, self._to_js(plaintext))
        )
        return bytes(sealed.to_bytes())

    def decrypt(self, nonce: bytes, sealed: bytes, context: bytes) -> bytes:
        try:
            opened = self._run_sync(
                self._js.crypto.subtle.decrypt(self._params(nonce, context), self._key, self._to_js(sealed))
            )
        except Exception:  # OperationError: the tag does not match
            raise AuthenticationFailed from None
        return bytes(opened.to_bytes())


def aead(key: bytes) -> _NativeAead | _WebCryptoAead:
    """AES-256-GCM with `key`: `encrypt(nonce, plaintext, context)`, `decrypt(...)` (AuthenticationFailed)."""
    return _WebCryptoAead(key) if IN_BROWSER else _NativeAead(key)


ARGON2_SCRIPT = "vendor/hash-wasm/argon2.umd.min.js"  # in the PWA's build, beside the worker (scripts/build_pwa.py)


def _browser_argon2id(
    secret: bytes, salt: bytes, time_cost: int, memory_cost: int, parallelism: int, length: int
) -> bytes:
    """Argon2id by hash-wasm (vendored, assets/web/vendor/hash-wasm): the same bytes as argon2-cffi."""
    import js
    from pyodide.ffi import run_sync, to_js

    if not hasattr(js, "hashwasm"):  # loaded once: the UMD script defines globalThis.hashwasm
        answer = run_sync(js.fetch(js.URL.new(ARGON2_SCRIPT, js.location.href).href))
        if not answer.ok:
            raise NotAvailable(f"{ARGON2_SCRIPT}: HTTP {answer.status}")
        js.eval(run_sync(answer.text()))
    options = to_js(
        {
            "password": to_js(secret),
            "salt": to_js(salt),
            "iterations": time_cost,
            "memorySize": memory_cost,  # KiB, as argon2-cffi's memory_cost
            "parallelism": parallelism,
            "hashLength": length,
            "outputType": "binary",
        },
        dict_converter=js.Object.fromEntries,
    )
    return bytes(run_sync(js.hashwasm.argon2id(options)).to_py())


def argon2id(secret: bytes, salt: bytes, time_cost: int, memory_cost: int, parallelism: int, length: int) -> bytes:
    if IN_BROWSER:
        return _browser_argon2id(secret, salt, time_cost, memory_cost, parallelism, length)
    from argon2.low_level import Type, hash_secret_raw

    return hash_secret_raw(secret, salt, time_cost, memory_cost, parallelism, length, Type.ID)
