"""What the JSON API's handlers are given by Litestar's dependency injection (as litestar-fullstack does).

A handler names what it needs and gets it: `settings: AppSettings`, `engine: DatabaseEngine`, `actor:
CurrentActor` (the signed-in caller the token names, `request.user`) and `session: ReadSession`, a read session
(each `NamedDependency[...]` of its type). The controllers under `server/domains/*/controller.py` and the web
view's under `server/web/` take `dependencies = api_dependencies()`. Two pages still take Litestar's `State`,
for the app's own objects rather than a dependency: sign-in (the JWT cookie auth and the sign-in limiter) and
accepting a quarantined push (the sync registry). Dependencies never show in the OpenAPI schema.

There is no write session to inject, on purpose. `db.write_session` takes the write lock (SQLite: the
process's writer lock, then BEGIN IMMEDIATE; PostgreSQL: the change-log advisory lock) and gives it back in one
trip to a worker thread: the handler's. A generator dependency is opened on the event loop (Litestar calls
`next()` of a sync generator there, so waiting for the lock would stall every request) and closed after the
handler, in a later trip: the lock would be held while its handler and its commit wait for a worker thread, and
writers queued on the lock (pages, pushes) could hold all 40 of anyio's: a deadlock. A handler that writes
takes `engine` and opens `write_session(engine)` itself, in its own thread.

A read session takes no lock. It is made without a connection (the handler's first query takes one, in the
handler's thread) and closed in a worker thread of its own limiter: giving a connection back never waits for
one of anyio's worker threads, which handlers waiting for a connection may all hold.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.security.jwt import Token
from sqlalchemy.engine import Engine
from sqlmodel import Session

from server.actor import Actor
from server.db import read_session
from server.settings import Settings

# Threads that close read sessions (each returns a connection to the pool and never waits for anything).
CLOSING_THREADS = 20
_closing_limiter: RunVar[anyio.CapacityLimiter] = RunVar("routecrm_session_closing")


# What a handler names in its signature (Litestar injects by the parameter's name: `settings`, `engine`, `actor`,
# `session`; marked as dependencies so that Litestar never infers them).
AppSettings = NamedDependency[Settings]
DatabaseEngine = NamedDependency[Engine]
CurrentActor = NamedDependency[Actor]
ReadSession = NamedDependency[Session]


def _closing_threads() -> anyio.CapacityLimiter:
    """The limiter of the running event loop (a limiter belongs to one loop; tests start many)."""
    try:
        return _closing_limiter.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(CLOSING_THREADS)
        _closing_limiter.set(limiter)
        return limiter


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def provide_engine(state: State) -> Engine:
    engine: Engine = state.engine
    return engine


def provide_actor(request: Request[Actor, Token, Any]) -> Actor:
    """The signed-in caller, as the authentication middleware built it from the token (server/auth.py)."""
    return request.user


async def provide_read_session(engine: NamedDependency[Engine]) -> AsyncIterator[Session]:
    """`db.read_session`, closed after the handler has returned (or raised) and its answer is encoded."""
    unit = read_session(engine)
    session = unit.__enter__()  # no connection yet: nothing blocks here
    try:
        yield session
    except BaseException as error:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(
                unit.__exit__, type(error), error, error.__traceback__, limiter=_closing_threads()
            )
        raise
    else:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(unit.__exit__, None, None, None, limiter=_closing_threads())


def api_dependencies() -> dict[str, Provide]:
    """The dependencies of a controller, JSON API or web page (`dependencies = api_dependencies()`)."""
    return {
        "settings": Provide(provide_settings, sync_to_thread=False),
        "engine": Provide(provide_engine, sync_to_thread=False),
        "actor": Provide(provide_actor, sync_to_thread=False),
        "session": Provide(provide_read_session),
    }
