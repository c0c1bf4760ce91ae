"""A weak mobile link in user space: an asyncio TCP proxy on loopback that shapes each direction.

Reps sync from village health rooms (村卫生室) over slow, lossy mobile links, and this machine's kernel has no
`netem`. `Link` listens on a loopback port and forwards every connection to a target port, shaping each
direction on its own:

- **bandwidth**: a token bucket per direction, shared by all connections (the phone has one radio): a segment
  leaves when the bucket holds its bytes; the bucket holds at most one segment, so there are no bursts;
- **latency**: each segment arrives half a round trip after it left, in order;
- **loss**, modelled above TCP (we only see the byte stream TCP delivers): with `loss` chance per segment the
  segment is late by a retransmission delay (`stall_s`, about 3 round trips), holding up what follows it;
- **faults**: a connection reset (RST) after it carried `reset_after_bytes` (both directions, at most
  `max_resets` times in the link's life), or at random with `reset_chance` per segment.

Everything it does is counted (`LinkStats`): bytes each way, connections, stalls, resets, and the time the
link's bandwidth alone needed for those bytes (its virtual accounting, independent of how busy the machine
is). The bytes are TCP payload (HTTP headers and bodies); TCP/IP headers are not counted.

Use it from synchronous code (tests, the benchmark) with `start_link(...)`, which runs the proxy's event
loop in a thread and returns the running `Link`; `link.stop()` closes it. From asyncio: `await link.start()`
and `await link.aclose()`. Plain asyncio, no dependency. Not a product module: the benchmark and the tests
use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

SEGMENT = 1_400  # bytes: about one TCP segment's payload on a mobile link (MTU 1,500 less headers)
UP, DOWN = "up", "down"  # up: phone → server (requests); down: server → phone (answers)
QUEUE_SEGMENTS = 32  # per connection and direction: how far the proxy reads ahead of what it delivers


@dataclass(frozen=True)
class LinkProfile:
    """How a link behaves. Bandwidths in bytes per second (None: not limited); times in seconds."""

    name: str
    down_bps: float | None = None  # server → phone, bytes/s
    up_bps: float | None = None  # phone → server, bytes/s
    rtt_s: float = 0.0  # round trip; each direction adds half
    loss: float = 0.0  # chance per segment of a retransmission stall
    stall_s: float | None = None  # a stall's length; None: 3 round trips
    reset_chance: float = 0.0  # chance per segment that the connection is reset
    reset_after_bytes: int | None = None  # reset a connection once it carried this many bytes (both ways)
    max_resets: int | None = None  # at most this many resets by `reset_after_bytes` in the link's life
    segment: int = SEGMENT
    seed: int = 20  # the random faults are reproducible

    @property
    def stall(self) -> float:
        return self.stall_s if self.stall_s is not None else 3 * self.rtt_s

    def bandwidth(self, direction: str) -> float | None:
        return self.down_bps if direction == DOWN else self.up_bps

    def with_faults(self, **changes: object) -> LinkProfile:
        return replace(self, **changes)  # type: ignore[arg-type]


def kbit(kbit_per_s: float) -> float:
    """Bytes per second of a link rated in kbit/s."""
    return kbit_per_s * 1000 / 8


# A village health room's 3G/4G edge: 384 kbit/s down, 128 kbit/s up, 300 ms round trip, 1 % loss (a 1 %
# chance per segment of a retransmission stall of 3 round trips), and now and then a reset connection.
VILLAGE = LinkProfile("VILLAGE", down_bps=kbit(384), up_bps=kbit(128), rtt_s=0.300, loss=0.01, reset_chance=1e-4)
# 2G (EDGE): about 200 kbit/s down, 60 kbit/s up, 600 ms round trip, the same loss.
EDGE = LinkProfile("EDGE", down_bps=kbit(200), up_bps=kbit(60), rtt_s=0.600, loss=0.01, reset_chance=1e-4)
# No shaping at all: the loopback, with only the faults one adds (`with_faults`).
LOOPBACK = LinkProfile("loopback")
PRESETS = {profile.name: profile for profile in (VILLAGE, EDGE, LOOPBACK)}


@dataclass
class LinkStats:
    """What went through the link. `busy_s`: the time its bandwidth needed for the bytes (virtual)."""

    connections: int = 0
    bytes: dict[str, int] = field(default_factory=lambda: {UP: 0, DOWN: 0})
    segments: dict[str, int] = field(default_factory=lambda: {UP: 0, DOWN: 0})
    busy_s: dict[str, float] = field(default_factory=lambda: {UP: 0.0, DOWN: 0.0})
    stalls: int = 0
    stalled_s: float = 0.0
    resets: int = 0

    @property
    def up(self) -> int:
        return self.bytes[UP]

    @property
    def down(self) -> int:
        return self.bytes[DOWN]

    def copy(self) -> LinkStats:
        return replace(self, bytes=dict(self.bytes), segments=dict(self.segments), busy_s=dict(self.busy_s))

    def since(self, earlier: LinkStats) -> LinkStats:
        """What went through between `earlier` (a copy) and now."""
        return LinkStats(
            connections=self.connections - earlier.connections,
            bytes={d: self.bytes[d] - earlier.bytes[d] for d in (UP, DOWN)},
            segments={d: self.segments[d] - earlier.segments[d] for d in (UP, DOWN)},
            busy_s={d: self.busy_s[d] - earlier.busy_s[d] for d in (UP, DOWN)},
            stalls=self.stalls - earlier.stalls,
            stalled_s=self.stalled_s - earlier.stalled_s,
            resets=self.resets - earlier.resets,
        )


class _Bucket:
    """A token bucket of one direction: `rate` bytes/s, holding at most one segment (no bursts)."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self.free_at = 0.0  # monotonic time at which the link is free to send the next segment

    def departure(self, size: int, now: float) -> float:
        if not self.rate:
            return now
        start = max(now, self.free_at)
        self.free_at = start + size / self.rate
        return self.free_at


class _Reset(Exception):
    """The link resets this connection."""


class _Connection:
    def __init__(self, link: Link, number: int) -> None:
        self.link, self.number = link, number
        self.carried = 0  # bytes delivered, both directions
        self.writers: list[asyncio.StreamWriter] = []
        self.reset = False

    def abort(self) -> None:
        """Both sides see a reset: RST, not FIN (SO_LINGER 0), and nothing queued is delivered."""
        if self.reset:
            return
        self.reset = True
        for writer in self.writers:
            sock = writer.get_extra_info("socket")
            with contextlib.suppress(OSError, AttributeError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()


class Link:
    """The proxy. `profile` may be changed while it runs (it applies to segments read from then on)."""

    def __init__(self, target_port: int, profile: LinkProfile = LOOPBACK, *, target_host: str = "127.0.0.1") -> None:
        self.target_host, self.target_port = target_host, target_port
        self.profile = profile
        self.stats = LinkStats()
        self.port = 0  # set by start()
        self._rng = random.Random(profile.seed)
        self._buckets = {UP: _Bucket(profile.up_bps), DOWN: _Bucket(profile.down_bps)}
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._connections: set[_Connection] = set()
        self._resets_by_bytes = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_profile(self, profile: LinkProfile) -> None:
        """Another profile from now on (thread-safe enough: read per segment on the proxy's loop)."""
        self.profile = profile
        self._buckets[UP].rate, self._buckets[DOWN].rate = profile.up_bps, profile.down_bps
        self._rng = random.Random(profile.seed)

    # ---- asyncio side -----------------------------------------------------------------------

    async def start(self, port: int = 0) -> None:
        self._loop = asyncio.get_running_loop()
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
        for connection in list(self._connections):
            connection.abort()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.stats.connections += 1
        connection = _Connection(self, self.stats.connections)
        self._connections.add(connection)
        connection.writers.append(client_writer)
        try:
            try:
                server_reader, server_writer = await asyncio.open_connection(self.target_host, self.target_port)
            except OSError:
                connection.abort()
                return
            connection.writers.append(server_writer)
            pumps = [
                asyncio.create_task(self._pump(connection, client_reader, server_writer, UP)),
                asyncio.create_task(self._pump(connection, server_reader, client_writer, DOWN)),
            ]
            try:
                await asyncio.gather(*pumps)
            finally:
                for pump in pumps:
                    pump.cancel()
                await asyncio.gather(*pumps, return_exceptions=True)
        except (_Reset, ConnectionError, OSError, asyncio.CancelledError):
            connection.abort()
        finally:
            for writer in connection.writers:
                if not connection.reset:
                    writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()
            self._connections.discard(connection)
            self._tasks.discard(task)

    async def _pump(
        self, connection: _Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, direction: str
    ) -> None:
        """Read one direction segment by segment, schedule each segment's arrival, deliver in order."""
        queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue(QUEUE_SEGMENTS)
        deliver = asyncio.create_task(self._deliver(connection, queue, writer, direction))
        last_due = 0.0
        try:
            while not connection.reset:
                data = await reader.read(self.profile.segment)
                if not data:
                    break
                profile, now = self.profile, time.monotonic()
                bucket = self._buckets[direction]
                departure = bucket.departure(len(data), now)
                if bucket.rate:
                    self.stats.busy_s[direction] += len(data) / bucket.rate
                due = departure + profile.rtt_s / 2
                if profile.loss and self._rng.random() < profile.loss:
                    due += profile.stall
                    self.stats.stalls += 1
                    self.stats.stalled_s += profile.stall
                last_due = max(due, last_due)  # in order: a late segment holds up the ones after it
                await queue.put((last_due, data))
            await queue.put(None)
            await deliver
        except BaseException:
            deliver.cancel()
            with contextlib.suppress(BaseException):
                await deliver
            raise

    async def _deliver(
        self,
        connection: _Connection,
        queue: asyncio.Queue[tuple[float, bytes] | None],
        writer: asyncio.StreamWriter,
        direction: str,
    ) -> None:
        while (item := await queue.get()) is not None:
            due, data = item
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if connection.reset:
                raise _Reset
            profile = self.profile
            cut = profile.reset_after_bytes
            if cut is not None and connection.carried + len(data) > cut and self._may_reset_by_bytes(profile):
                data = data[: max(0, cut - connection.carried)]  # what got through before the reset
                self._count(connection, direction, data)
                if data:
                    writer.write(data)
                    with contextlib.suppress(ConnectionError):
                        await writer.drain()
                self._reset(connection)
            if profile.reset_chance and self._rng.random() < profile.reset_chance:
                self._reset(connection)
            self._count(connection, direction, data)
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            with contextlib.suppress(OSError):
                writer.write_eof()  # the other side finished sending: pass the half-close on

    def _may_reset_by_bytes(self, profile: LinkProfile) -> bool:
        if profile.max_resets is not None and self._resets_by_bytes >= profile.max_resets:
            return False
        self._resets_by_bytes += 1
        return True

    def _reset(self, connection: _Connection) -> None:
        self.stats.resets += 1
        connection.abort()
        raise _Reset

    def _count(self, connection: _Connection, direction: str, data: bytes) -> None:
        connection.carried += len(data)
        self.stats.bytes[direction] += len(data)
        self.stats.segments[direction] += 1 if data else 0

    # ---- from synchronous code: the loop in a thread ----------------------------------------

    def start_in_thread(self) -> Link:
        started = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self.start())
            except BaseException as error:  # e.g. no free port: tell the caller
                failure.append(error)
                started.set()
                loop.close()
                return
            started.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self.aclose())
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._thread = threading.Thread(target=serve, name=f"link-{self.profile.name}", daemon=True)
        self._thread.start()
        started.wait()
        if failure:
            raise failure[0]
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Close the proxy and every connection through it; returns once the thread has ended."""
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._thread = None

    def snapshot(self) -> LinkStats:
        """A copy of the counters (taken on the proxy's loop when it runs in a thread, so it is consistent)."""
        loop = self._loop
        if self._thread is None or loop is None or not loop.is_running():
            return self.stats.copy()

        async def copy() -> LinkStats:
            return self.stats.copy()

        return asyncio.run_coroutine_threadsafe(copy(), loop).result(10)


@contextlib.contextmanager
def start_link(target_port: int, profile: LinkProfile = LOOPBACK) -> Iterator[Link]:
    """A running `Link` in its own thread for the block, stopped after it."""
    link = Link(target_port, profile).start_in_thread()
    try:
        yield link
    finally:
        link.stop()
