"""Issue 15, item 4: a sign-in hashes the password outside the write lock (pushes never wait for argon2),
a bounded number at a time, and attempts in flight count toward the lockout, so concurrent guesses at one
account from many addresses are hashed at most MAX_USER_FAILURES times."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from argon2 import PasswordHasher
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

import server.domains.users.service as users
from server.db import _SQLITE_WRITERS, CHANGELOG_LOCK_KEY
from server.domains.users.signin import HASHING_SLOTS, MAX_USER_FAILURES
from tests.integration.conftest import PASSWORD, World
from tests.integration.test_server_web import web_login

Client = AsyncTestClient[Litestar]


def write_lock_held(engine: Engine) -> bool:
    """Whether some transaction holds the write lock now (SQLite: the process's writer lock; PostgreSQL: the
    change-log advisory lock, tried from another connection)."""
    writers = _SQLITE_WRITERS.get(engine)
    if writers is not None:
        return writers.locked()
    with engine.connect() as connection:
        taken = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": CHANGELOG_LOCK_KEY}).scalar()
        if taken:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": CHANGELOG_LOCK_KEY})
        return not taken


@dataclass
class WatchedHasher(PasswordHasher):
    """The tests' fast argon2, recording for each verification whether the write lock was held, and how many
    verifications ran at once."""

    engine: Engine | None = None
    under_lock: list[bool] = field(default_factory=list)
    running: int = 0
    most_at_once: int = 0
    guard: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        with self.guard:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            assert self.engine is not None
            self.under_lock.append(write_lock_held(self.engine))
            threading.Event().wait(0.02)  # long enough for other sign-ins to arrive meanwhile
            return super().verify(hash, password)
        finally:
            with self.guard:
                self.running -= 1


@pytest.fixture
def hasher(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[WatchedHasher]:
    watched = WatchedHasher(engine=engine)
    monkeypatch.setattr(users, "_hasher", watched)
    yield watched


async def test_the_password_is_hashed_outside_the_write_lock(
    client: Client, seeded: World, hasher: WatchedHasher
) -> None:
    for password in (PASSWORD, "wrong-password"):
        await client.post("/api/auth/login", json={"username": "rep.a", "password": password})
    await web_login(client, "boss")  # the web's sign-in too
    assert len(hasher.under_lock) == 3 and not any(hasher.under_lock), hasher.under_lock


async def test_sign_ins_hash_a_bounded_number_at_a_time(client: Client, seeded: World, hasher: WatchedHasher) -> None:
    async def sign_in(index: int) -> int:
        response = await client.post(
            "/api/auth/login", json={"username": f"nobody-{index}", "password": "wrong-password"}
        )
        return response.status_code

    answers = await asyncio.gather(*(sign_in(index) for index in range(12)))
    assert set(answers) == {401}
    assert 1 <= hasher.most_at_once <= HASHING_SLOTS


async def test_concurrent_guesses_at_one_account_are_hashed_at_most_the_lockout_count(
    client: Client, seeded: World, hasher: WatchedHasher
) -> None:
    async def guess() -> int:
        response = await client.post("/api/auth/login", json={"username": "rep.a", "password": "wrong-password"})
        return response.status_code

    answers = await asyncio.gather(*(guess() for _ in range(20)))
    assert answers.count(401) == MAX_USER_FAILURES and answers.count(429) == 20 - MAX_USER_FAILURES
    assert len(hasher.under_lock) == MAX_USER_FAILURES  # the refused ones were never hashed
    right = await client.post("/api/auth/login", json={"username": "rep.a", "password": PASSWORD})
    assert right.status_code == 429  # locked, even with the right password
