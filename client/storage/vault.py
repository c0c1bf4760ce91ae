"""The local store's key: a random 256-bit data key that seals every byte the store writes (AES-GCM),
itself kept in the store folder wrapped by a key derived from the rep's PIN (Argon2id).

- `StoreCipher` seals and opens bytes with the data key. The store takes one explicitly
  (`LocalStore(folder, cipher)`); tests make one directly (`StoreCipher(key)`), without the KDF.
- `Vault` is the key file (`key.json`: salt, KDF parameters, wrapped key; written atomically) and the
  wrong-PIN limit (`pin_attempts.json`: failures and when the next try is allowed, growing delays).
  Changing the PIN re-wraps the same data key (`change_pin`): nothing else is re-encrypted.

What this protects against and what it does not is in docs/security.md. In short: the Argon2 cost
times the PIN's length is what stands between a copied store folder and its data; the attempt limit
only slows someone trying PINs on the app's own lock screen.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from client import clock as company_clock
from client.storage.crypto import AuthenticationFailed, aead, argon2id
from client.storage.files import write_atomically

KEY_FILE = "key.json"
ATTEMPTS_FILE = "pin_attempts.json"
KEY_BYTES = 32
NONCE_BYTES = 12
PIN_PATTERN = re.compile(r"^[0-9]{4,8}$")
WRAP_CONTEXT = b"routecrm key v1"
FREE_ATTEMPTS = 5  # wrong PINs allowed before the delays start (typing slips)
FIRST_DELAY = 30.0  # seconds after the first wrong PIN past the free ones; doubles each time
MAX_DELAY = 3600.0


class StoreTampered(Exception):
    """Sealed bytes failed authentication: changed, cut, or sealed with another key."""


class WrongPin(Exception):
    def __init__(self, failures: int, wait: float) -> None:
        super().__init__(f"wrong PIN ({failures} in a row)")
        self.failures = failures
        self.wait = wait  # seconds before the next try is allowed (0: at once)


class PinDelayed(Exception):
    """Too many wrong PINs: the next try is allowed only after `wait` seconds."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"try again in {wait:.0f} s")
        self.wait = wait


class InvalidPin(ValueError):
    """Not 4 to 8 digits."""


def valid_pin(pin: str) -> bool:
    return bool(PIN_PATTERN.match(pin))


class StoreCipher:
    """AES-256-GCM with the store's data key; a random 96-bit nonce per sealed message.

    `context` is authenticated but not stored (AES-GCM associated data): a message opens only where
    it was sealed for (a journal line at its position, the snapshot, a photo under its name).
    """

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"a store key has {KEY_BYTES} bytes")
        self.key = key
        self._aead = aead(key)  # cryptography's AESGCM, or WebCrypto in the PWA (client/storage/crypto.py)

    @classmethod
    def new(cls) -> StoreCipher:
        return cls(os.urandom(KEY_BYTES))  # what AESGCM.generate_key does

    def seal(self, plaintext: bytes, context: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, context)

    def open(self, sealed: bytes, context: bytes) -> bytes:
        try:
            return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context)
        except (AuthenticationFailed, ValueError):
            raise StoreTampered("sealed data failed authentication") from None


@dataclass(frozen=True)
class KdfParams:
    """Argon2id's cost (RFC 9106's second recommended setting: 64 MiB, 3 passes, 4 lanes)."""

    time_cost: int = 3
    memory_cost: int = 64 * 1024  # KiB
    parallelism: int = 4

    def derive(self, pin: str, salt: bytes) -> bytes:
        return argon2id(pin.encode(), salt, self.time_cost, self.memory_cost, self.parallelism, KEY_BYTES)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Vault:
    """The key file of one store folder and its wrong-PIN counter."""

    def __init__(
        self, folder: str | Path, kdf: KdfParams | None = None, clock: Callable[[], float] = company_clock.epoch_seconds
    ):
        self.folder = Path(folder)
        self.kdf = kdf or KdfParams()  # used when a PIN is set; unlocking uses the file's own parameters
        self.clock = clock

    @property
    def key_path(self) -> Path:
        return self.folder / KEY_FILE

    def has_pin(self) -> bool:
        return self.key_path.exists()

    def set_pin(self, pin: str, cipher: StoreCipher) -> None:
        """Keep `cipher`'s data key wrapped by `pin` (a new PIN for the same data: nothing is re-encrypted)."""
        if not valid_pin(pin):
            raise InvalidPin("a PIN is 4 to 8 digits")
        salt = os.urandom(16)
        wrapped = StoreCipher(self.kdf.derive(pin, salt)).seal(cipher.key, WRAP_CONTEXT)
        body = {
            "format": 1,
            "kdf": {"name": "argon2id", **asdict(self.kdf), "salt": _b64(salt)},
            "wrapped_key": _b64(wrapped),
        }
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomically(self.key_path, json.dumps(body, indent=1).encode())
        self._save_attempts(0, 0.0)

    def change_pin(self, current: str, new: str) -> StoreCipher:
        """Re-wrap the data key under `new` once `current` unwraps it (a wrong one counts like on the lock
        screen: WrongPin, PinDelayed). The store is not touched. The one durable step is the rename of
        `key.json` (write_atomically), so a crash leaves either the old PIN working or the new one."""
        if not valid_pin(new):
            raise InvalidPin("a PIN is 4 to 8 digits")  # checked first: a typo in the new PIN costs no try
        cipher = self.unlock(current)
        self.set_pin(new, cipher)
        return cipher

    def unlock(self, pin: str) -> StoreCipher:
        """The store's cipher; WrongPin (counted, with a growing delay) or PinDelayed (not tried)."""
        failures, not_before = self._attempts()
        wait = min(not_before - self.clock(), self._delay(failures))  # a clock set back does not lengthen it
        if wait > 0:
            raise PinDelayed(wait)
        body = json.loads(self.key_path.read_bytes())
        kdf = body["kdf"]
        params = KdfParams(int(kdf["time_cost"]), int(kdf["memory_cost"]), int(kdf["parallelism"]))
        try:
            if not valid_pin(pin):
                raise StoreTampered("not a PIN")
            wrapping = StoreCipher(params.derive(pin, base64.b64decode(kdf["salt"])))
            key = wrapping.open(base64.b64decode(body["wrapped_key"]), WRAP_CONTEXT)
        except StoreTampered:
            failures += 1
            delay = self._delay(failures)
            self._save_attempts(failures, self.clock() + delay)
            raise WrongPin(failures, delay) from None
        if failures:
            self._save_attempts(0, 0.0)
        return StoreCipher(key)

    def wait_seconds(self) -> float:
        """How long before the next PIN may be tried (0: now)."""
        failures, not_before = self._attempts()
        return max(0.0, min(not_before - self.clock(), self._delay(failures)))

    @staticmethod
    def _delay(failures: int) -> float:
        if failures < FREE_ATTEMPTS:
            return 0.0
        return min(MAX_DELAY, FIRST_DELAY * 2 ** (failures - FREE_ATTEMPTS))

    def _attempts(self) -> tuple[int, float]:
        try:
            data: Any = json.loads((self.folder / ATTEMPTS_FILE).read_bytes())
            return int(data["failures"]), float(data["not_before"])
        except FileNotFoundError:
            return 0, 0.0
        except (ValueError, KeyError, TypeError):  # damaged: no free tries left, the next wrong PIN waits
            return FREE_ATTEMPTS, 0.0

    def _save_attempts(self, failures: int, not_before: float) -> None:
        data = json.dumps({"failures": failures, "not_before": not_before}).encode()
        write_atomically(self.folder / ATTEMPTS_FILE, data)
