"""The weak-link emulator (bench/link.py): bytes arrive complete and in order, and the link counts what it did.

Nothing here asserts a duration: the shaping is checked through the link's own accounting (bytes, segments,
the time its bandwidth needed for them, stalls, resets), which does not depend on how busy the machine is.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from bench.link import DOWN, EDGE, UP, VILLAGE, Link, LinkProfile, kbit, start_link

PAYLOAD = bytes(range(256)) * 8  # 2,048 bytes, every byte value
REQUEST = b"GET /payload\n"


async def _serve_payload(size: int) -> tuple[asyncio.Server, int]:
    """A target that reads one request line and answers `size` bytes, then closes."""
    body = (PAYLOAD * (size // len(PAYLOAD) + 1))[:size]

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.write(body)
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    return server, int(server.sockets[0].getsockname()[1])


@pytest.fixture
async def target() -> AsyncIterator[int]:
    server, port = await _serve_payload(len(PAYLOAD))
    async with server:
        yield port


async def _fetch(port: int) -> tuple[bytes, bool]:
    """(what arrived, whether the connection was reset rather than closed)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(REQUEST)
    await writer.drain()
    received = b""
    reset = False
    try:
        while chunk := await reader.read(65_536):
            received += chunk
    except ConnectionError:
        reset = True
    writer.close()
    try:
        await writer.wait_closed()
    except ConnectionError:
        reset = True
    return received, reset


async def test_two_kilobytes_at_ten_kilobytes_a_second_arrive_whole_and_are_counted(target: int) -> None:
    link = Link(target, LinkProfile("slow", down_bps=10_000, up_bps=10_000, rtt_s=0.01))
    await link.start()
    try:
        received, reset = await _fetch(link.port)
    finally:
        await link.aclose()
    assert received == PAYLOAD and not reset
    assert link.stats.bytes == {UP: len(REQUEST), DOWN: len(PAYLOAD)}
    assert link.stats.connections == 1
    # 2,048 bytes at 10,000 bytes/s take the link 0.2048 s of its bandwidth: its virtual clock, not the wall's
    assert link.stats.busy_s[DOWN] == pytest.approx(len(PAYLOAD) / 10_000)
    assert link.stats.busy_s[UP] == pytest.approx(len(REQUEST) / 10_000)
    assert link.stats.segments[DOWN] >= 2  # 1,400-byte segments at most
    assert link.stats.stalls == link.stats.resets == 0


async def test_a_lost_segment_stalls_the_stream_and_nothing_is_lost_or_reordered() -> None:
    server, port = await _serve_payload(20_000)
    profile = LinkProfile("lossy", rtt_s=0.002, loss=1.0, stall_s=0.001, segment=1_000)
    async with server:
        link = Link(port, profile)
        await link.start()
        try:
            received, reset = await _fetch(link.port)
        finally:
            await link.aclose()
    assert received == (PAYLOAD * 10)[:20_000] and not reset
    segments = link.stats.segments[UP] + link.stats.segments[DOWN]
    assert link.stats.stalls == segments  # every segment was "lost" once and came late
    assert link.stats.stalled_s == pytest.approx(segments * 0.001)
    assert link.stats.segments[DOWN] >= 20  # never more than 1,000 bytes at once


async def test_a_connection_is_reset_after_so_many_bytes_and_the_next_one_gets_through() -> None:
    server, port = await _serve_payload(10_000)
    profile = LinkProfile("cut", reset_after_bytes=3_000 + len(REQUEST), max_resets=1)
    async with server:
        link = Link(port, profile)
        await link.start()
        try:
            cut, reset = await _fetch(link.port)
            whole, second_reset = await _fetch(link.port)
        finally:
            await link.aclose()
    assert len(cut) <= 3_000 and cut == (PAYLOAD * 5)[: len(cut)]  # a prefix, then the reset
    assert reset or len(cut) < 10_000
    assert whole == (PAYLOAD * 5)[:10_000] and not second_reset
    assert link.stats.resets == 1 and link.stats.connections == 2
    assert link.stats.down == len(cut) + 10_000


async def test_random_resets_follow_the_seed() -> None:
    server, port = await _serve_payload(50_000)
    outcomes = []
    async with server:
        for _ in range(2):
            link = Link(port, LinkProfile("flaky", reset_chance=0.05, seed=7, segment=500))
            await link.start()
            try:
                received = [len((await _fetch(link.port))[0]) for _ in range(5)]
            finally:
                await link.aclose()
            outcomes.append((received, link.stats.resets))
    assert outcomes[0] == outcomes[1]  # the same seed, the same faults
    assert outcomes[0][1] >= 1


def test_the_link_runs_in_a_thread_for_synchronous_callers_and_stops_cleanly() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with start_link(port, LinkProfile("thread", down_bps=50_000, up_bps=50_000)) as link:
            with socket.create_connection(("127.0.0.1", link.port), timeout=10) as phone:
                server_side, _ = listener.accept()
                with server_side:
                    phone.sendall(b"x" * 3_000)
                    got = b""
                    while len(got) < 3_000:
                        got += server_side.recv(65_536)
                    server_side.sendall(b"y" * 1_000)
                    back = b""
                    while len(back) < 1_000:
                        back += phone.recv(65_536)
            assert got == b"x" * 3_000 and back == b"y" * 1_000
            stats = link.snapshot()
            assert (stats.up, stats.down, stats.connections) == (3_000, 1_000, 1)
        assert link.snapshot().connections == 1  # stopped: the counters stay readable
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", link.port), timeout=1).close()


def test_the_presets_are_the_links_the_issue_names() -> None:
    assert (VILLAGE.down_bps, VILLAGE.up_bps, VILLAGE.rtt_s, VILLAGE.loss) == (kbit(384), kbit(128), 0.3, 0.01)
    assert VILLAGE.stall == pytest.approx(0.9) and VILLAGE.segment == 1_400 and VILLAGE.reset_chance > 0
    assert (EDGE.down_bps, EDGE.up_bps, EDGE.rtt_s) == (kbit(200), kbit(60), 0.6)
