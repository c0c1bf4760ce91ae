"""Scenario 3: the server under many reps at once (async httpx on loopback against the real server process).

The demo county is seeded (3 territories, 123 customers, li.rep / wang.rep / zhao.rep). Each simulated rep
signs in as one of the three demo reps (the accounts are shared) with a device id of its own, starts
within the first seconds, does the morning pull (from cursor 0 until nothing is left), then syncs every
few seconds for a bounded time as the phone does: a push of the visit just checked in or checked out,
then a pull from its cursor. Meanwhile the morning rush: as many other reps (accounts of their own) sign in
at random moments within the first minute, beside those syncs. At the end the database is asked whether every
op arrived exactly once. On SQLite (with shorter runs of fewer reps first, full mode), then once on PostgreSQL
(bench/postgres.py).
"""

from __future__ import annotations

import asyncio
import os
import random
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import msgspec

from bench import postgres
from bench.client_store import rid
from bench.report import Section, Table, Target, fmt, percentile
from bench.server_process import DEMO_PASSWORD, DEMO_REPS, login, running_server, server_dir
from sync.http import KEEPALIVE_EXPIRY_S, tls_context
from sync.protocol import SCHEMA_VERSION

# The shorter runs before the main one, as rep counts ("50,100" in full mode); "" runs the main run alone.
SWEEP_ENV = "ROUTECRM_BENCH_LOAD_SWEEP"
# A file to profile the server process into with py-spy during each run (a dev tool: pip install py-spy):
# "<path>.txt" collapsed stacks, ".json" speedscope, else a flame graph; the rep count is added to the name.
PROFILE_ENV = "ROUTECRM_BENCH_PROFILE"
PROFILE_OPTIONS_ENV = "ROUTECRM_BENCH_PROFILE_OPTIONS"  # more py-spy options, e.g. "--gil" or "--idle"
INTERVAL_S = (2.0, 4.0)  # between a rep's syncs: "every few seconds"
RAMP_S = 5.0
RUSH_S = 60.0  # the morning rush: the sign-ins come within this long (or the run, if shorter)
SWEEP_S = 30.0  # the shorter runs with fewer reps (full mode), to see where the latency bends


class PullAnswer(msgspec.Struct):
    """What a simulated rep reads of a pull answer. On a phone each rep's own CPU decodes its pages; here one
    process decodes for 200 reps on the cores the server uses, so it reads no more than it needs: the changes
    are counted, not built (a page of 500 is about 400 kB of JSON)."""

    changes: list[msgspec.Raw]
    cursor: int
    has_more: bool


class PushResult(msgspec.Struct):
    status: str


class PushAnswer(msgspec.Struct):
    results: list[PushResult]


@dataclass
class Stats:
    push_ms: list[float] = field(default_factory=list)
    morning_page_ms: list[float] = field(default_factory=list)  # the pages of the morning pull
    day_pull_ms: list[float] = field(default_factory=list)  # the pulls after a push, during the day
    sync_ms: list[float] = field(default_factory=list)  # push then pull, as one sync of the phone
    morning_ms: list[float] = field(default_factory=list)  # the whole morning pull of one rep
    sign_in_ms: list[float] = field(default_factory=list)  # the morning rush's sign-ins (argon2 at its real cost)
    errors: list[str] = field(default_factory=list)  # answers other than 200
    transport_errors: list[str] = field(default_factory=list)  # connection dropped, timeouts
    retried_duplicates: int = 0  # a re-sent op answered "duplicate": its first send had arrived
    ops_sent: dict[str, int] = field(default_factory=dict)  # device id -> ops answered "applied"
    visits_created: dict[str, int] = field(default_factory=dict)
    not_applied: int = 0
    pulled_changes: int = 0
    server_cpu_s: float = 0.0  # the server process's CPU time (user + system) during the run

    def server_cpu_ms_per_request(self) -> float:
        """Robust to a busy machine, unlike latency: what one request cost the server, on average."""
        return self.server_cpu_s * 1000 / max(1, self.requests)

    @property
    def pull_ms(self) -> list[float]:
        return self.morning_page_ms + self.day_pull_ms

    @property
    def requests(self) -> int:
        return len(self.push_ms) + len(self.pull_ms)


Answer = TypeVar("Answer", PullAnswer, PushAnswer)


async def _post(
    http: httpx.AsyncClient,
    path: str,
    body: dict[str, Any],
    answer: type[Answer],
    stats: Stats,
    into: list[float],
) -> Answer | None:
    started = time.perf_counter()
    try:
        response = await http.post(path, json=body)
    except httpx.HTTPError as error:  # the phone keeps the op and sends it again: so does the simulated rep
        stats.transport_errors.append(f"{path}: {type(error).__name__}: {error!r}")
        return None
    into.append((time.perf_counter() - started) * 1000)
    if response.status_code != 200:
        stats.errors.append(f"{path}: {response.status_code} {response.text[:200]}")
        return None
    return msgspec.json.decode(response.content, type=answer)


def device_of(index: int) -> str:
    return f"bench-load-{index:04d}"


async def sign_in_phones(base_url: str, reps: int) -> list[str]:
    """Each simulated phone signs in with its own device id, as the app does (the sign-in is bound to the phone,
    so the server reads no other device per push); before the clock starts, a few at a time."""
    gate = asyncio.Semaphore(4)

    async def sign_in(http: httpx.AsyncClient, index: int) -> str:
        async with gate:
            body = {"username": DEMO_REPS[index % len(DEMO_REPS)], "password": DEMO_PASSWORD}
            response = await http.post("/api/auth/login", json={**body, "device_id": device_of(index)})
            response.raise_for_status()
            return str(response.json()["token"])

    async with httpx.AsyncClient(base_url=base_url, timeout=60, verify=tls_context()) as http:
        return list(await asyncio.gather(*(sign_in(http, index) for index in range(reps))))


def rush_username(index: int) -> str:
    return f"bench.rush{index:04d}"


def add_rush_accounts(database_url: str, count: int) -> None:
    """`count` more reps for the morning rush, each with an account of its own (sign-in throttling counts per
    account: 200 phones of one account signing in at once is not a morning). They get the demo password's
    hash (li.rep's), so no argon2 is spent making them."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            password_hash, territory = connection.execute(
                text("SELECT password_hash, territory FROM users WHERE username = :name"), {"name": DEMO_REPS[0]}
            ).one()
            rows = [
                {"id": rid(random.Random(index)), "username": rush_username(index), "hash": password_hash}
                | {"territory": territory}
                for index in range(count)
            ]
            connection.execute(
                text(
                    "INSERT INTO users (id, username, display_name, role, territory, active, password_hash)"
                    " VALUES (:id, :username, :username, 'rep', :territory, true, :hash)"
                ),
                rows,
            )
    finally:
        engine.dispose()


async def morning_rush(base_url: str, count: int, within_s: float, stats: Stats) -> None:
    """`count` phones sign in at uniformly random moments within `within_s` seconds, beside the syncs."""
    rng = random.Random(4242)

    async def sign_in(http: httpx.AsyncClient, index: int) -> None:
        await asyncio.sleep(rng.uniform(0, within_s))
        body = {"username": rush_username(index), "password": DEMO_PASSWORD, "device_id": f"bench-rush-{index:04d}"}
        started = time.perf_counter()
        try:
            response = await http.post("/api/auth/login", json=body)
        except httpx.HTTPError as error:
            stats.transport_errors.append(f"/api/auth/login: {type(error).__name__}: {error!r}")
            return
        stats.sign_in_ms.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            stats.errors.append(f"/api/auth/login: {response.status_code} {response.text[:200]}")

    async with httpx.AsyncClient(base_url=base_url, timeout=60, verify=tls_context()) as http:
        await asyncio.gather(*(sign_in(http, index) for index in range(count)))


async def simulated_rep(
    index: int,
    base_url: str,
    token: str,
    customers: list[str],
    deadline: float,
    stats: Stats,
    limits: httpx.Limits,
    interval_s: tuple[float, float] = INTERVAL_S,
) -> None:
    rng = random.Random(index)
    device_id = device_of(index)
    stats.ops_sent[device_id] = 0
    stats.visits_created[device_id] = 0
    await asyncio.sleep(rng.uniform(0, RAMP_S))
    headers = {"Authorization": f"Bearer {token}"}
    # The certificates are loaded once for all reps, as each phone loads them once (sync.http.tls_context):
    # 200 loads in the first seconds would cost the load process about 6 s of CPU.
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, timeout=60, limits=limits, verify=tls_context()
    ) as http:
        cursor = 0
        started = time.perf_counter()
        while True:  # the morning pull
            page = await _post(
                http,
                "/api/sync/pull",
                {"cursor": cursor, "schema_version": SCHEMA_VERSION, "limit": 500},
                PullAnswer,
                stats,
                stats.morning_page_ms,
            )
            if page is None:
                return
            stats.pulled_changes += len(page.changes)
            cursor = page.cursor
            if not page.has_more:
                break
        stats.morning_ms.append((time.perf_counter() - started) * 1000)
        seq, open_visit = 1, ""
        pending: dict[str, Any] | None = None  # the op in the outbox: sent until the server answers
        while time.perf_counter() < deadline:
            await asyncio.sleep(rng.uniform(*interval_s))
            if time.perf_counter() >= deadline:
                break
            now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
            retried = pending is not None
            if pending is None:
                if open_visit:
                    record_id = open_visit
                    fields: dict[str, Any] = {
                        "check_out_at": now,
                        "attitude": "positive",
                        "ordered": True,
                        "order_amount": float(rng.randrange(100, 5000)),
                        "progress": "已下单，等待配送",
                    }
                else:
                    record_id = rid(rng)
                    fields = {
                        "customer_id": rng.choice(customers),
                        "visit_type": "day",
                        "check_in_at": now,
                        "check_in_lat": 38.71,
                        "check_in_lng": 115.16,
                        "planned": rng.random() < 0.85,  # the phone knows its route plan and says so
                        "ordered": False,
                    }
                pending = {
                    "op_id": rid(rng),
                    "device_id": device_id,
                    "seq": seq,
                    "kind": "visit",
                    "record_id": record_id,
                    "action": "put",
                    "fields": fields,
                    "made_at": now,
                }
            sync_started = time.perf_counter()
            if not await push(http, device_id, pending, retried, stats):
                continue  # kept, and sent again at the next sync (same op id, same seq), as the phone does
            if not open_visit:
                stats.visits_created[device_id] += 1
            open_visit = "" if open_visit else pending["record_id"]
            pending = None
            seq += 1
            while True:
                page = await _post(
                    http,
                    "/api/sync/pull",
                    {"cursor": cursor, "schema_version": SCHEMA_VERSION, "limit": 500},
                    PullAnswer,
                    stats,
                    stats.day_pull_ms,
                )
                if page is None:
                    break
                stats.pulled_changes += len(page.changes)
                cursor = page.cursor
                if not page.has_more:
                    stats.sync_ms.append((time.perf_counter() - sync_started) * 1000)
                    break
        for _ in range(5):  # the outbox is emptied before the rep stops, so every op made can be checked
            if pending is None:
                break
            if await push(http, device_id, pending, True, stats):
                if not open_visit:
                    stats.visits_created[device_id] += 1
                pending = None
            else:
                await asyncio.sleep(1)


async def push(http: httpx.AsyncClient, device_id: str, op: dict[str, Any], retried: bool, stats: Stats) -> bool:
    """Send the one op; True once the server answered for it."""
    body = {"device_id": device_id, "schema_version": SCHEMA_VERSION, "ops": [op]}
    answer = await _post(http, "/api/sync/push", body, PushAnswer, stats, stats.push_ms)
    if answer is None:
        return False
    statuses = [result.status for result in answer.results]
    if statuses == ["duplicate"] and retried:
        stats.retried_duplicates += 1  # the earlier send had arrived; only its answer was lost
    elif statuses != ["applied"]:
        stats.not_applied += 1
    stats.ops_sent[device_id] += 1
    return True


def customers_by_territory(database_url: str) -> dict[str, list[str]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT territory, id FROM customers")).all()
    finally:
        engine.dispose()
    found: dict[str, list[str]] = {}
    for territory, customer_id in rows:
        found.setdefault(str(territory), []).append(str(customer_id))
    return found


@dataclass
class Arrival:
    applied_rows: int
    devices_with_wrong_count: int
    visits_rows: int
    visits_checked_out: int


def check_arrival(database_url: str, stats: Stats) -> Arrival:
    """Every op answered 'applied' is stored exactly once: one applied_ops row per (device, seq), no more."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            applied: dict[str, int] = dict(
                connection.execute(
                    text("SELECT device_id, COUNT(*) FROM applied_ops WHERE device_id LIKE 'bench-load-%' GROUP BY 1")
                ).all()
            )
            visits = connection.execute(
                text("SELECT COUNT(*), COUNT(check_out_at) FROM visits WHERE device_id LIKE 'bench-load-%'")
            ).one()
    finally:
        engine.dispose()
    wrong = sum(applied.get(device, 0) != count for device, count in stats.ops_sent.items())
    wrong += sum(device not in stats.ops_sent for device in applied)
    return Arrival(sum(applied.values()), wrong, int(visits[0]), int(visits[1]))


async def drive(
    base_url: str,
    tokens: list[str],
    customers: dict[str, list[str]],
    territories: list[str],
    reps: int,
    duration_s: float,
    interval_s: tuple[float, float] = INTERVAL_S,
) -> tuple[Stats, float]:
    stats = Stats()
    deadline = time.perf_counter() + RAMP_S + duration_s
    # One phone, one connection, dropped after the phone's own idle time (sync.http): before the server drops it
    # (uvicorn: 5 s idle), so a request never goes out on a connection the server is closing.
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1, keepalive_expiry=KEEPALIVE_EXPIRY_S)
    started = time.perf_counter()
    await asyncio.gather(
        morning_rush(base_url, reps, min(RUSH_S, RAMP_S + duration_s), stats),
        *(
            simulated_rep(
                index,
                base_url,
                tokens[index],
                customers[territories[index % len(territories)]],
                deadline,
                stats,
                limits,
                interval_s,
            )
            for index in range(reps)
        ),
    )
    return stats, time.perf_counter() - started


def load_run(reps: int, duration_s: float, database_url: str | None) -> tuple[Stats, float, Arrival]:
    """One fresh server over the seeded demo county, `reps` simulated reps for `duration_s` after the ramp."""
    with server_dir(database_url) as directory:
        directory.cli("seed-demo", *(["--force"] if database_url else []))
        add_rush_accounts(directory.database_url, reps)
        customers = customers_by_territory(directory.database_url)
        with running_server(directory) as server:
            territories = [
                str(login(server.base_url, username, DEMO_PASSWORD)[1]["territory"]) for username in DEMO_REPS
            ]
            tokens = asyncio.run(sign_in_phones(server.base_url, reps))
            cpu_before = process_cpu_s(server.pid)
            with profiled(server.pid, reps):
                stats, elapsed = asyncio.run(drive(server.base_url, tokens, customers, territories, reps, duration_s))
            stats.server_cpu_s = process_cpu_s(server.pid) - cpu_before
        return stats, elapsed, check_arrival(directory.database_url, stats)


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system, all threads) a process has used so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


@contextmanager
def profiled(pid: int, reps: int) -> Iterator[None]:
    """py-spy sampling the server process while the block runs, if PROFILE_ENV names an output file."""
    target = os.environ.get(PROFILE_ENV)
    if not target:
        yield
        return
    path = Path(target)
    output = path.with_name(f"{path.stem}-{reps}{path.suffix}")
    formats = {".txt": "raw", ".json": "speedscope"}
    command = [str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid), "--output", str(output)]
    command += ["--format", formats.get(path.suffix, "flamegraph"), "--rate", "200", "--nonblocking"]
    command += shlex.split(os.environ.get(PROFILE_OPTIONS_ENV, ""))
    recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        yield
    finally:
        recorder.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        recorder.wait(timeout=60)
        print(f"   profile of the server ({reps} reps): {output}", flush=True)


def exactly_once(stats: Stats, arrival: Arrival) -> bool:
    return (
        arrival.devices_with_wrong_count == 0
        and arrival.applied_rows == sum(stats.ops_sent.values())
        and arrival.visits_rows == sum(stats.visits_created.values())
    )


def run_tables(reps: int, backend: str, stats: Stats, elapsed: float, arrival: Arrival) -> list[Table]:
    """The latency table and the throughput-and-correctness table of one run."""
    ops = sum(stats.ops_sent.values())
    created = sum(stats.visits_created.values())
    rows = [
        [
            name,
            str(len(values)),
            *(fmt(percentile(values, p), "ms") for p in (50, 95, 99)),
            fmt(max(values or [0]), "ms"),
        ]
        for name, values in (
            ("push (one op)", stats.push_ms),
            ("pull (from the cursor)", stats.pull_ms),
            ("  of which the morning pull's pages", stats.morning_page_ms),
            ("  of which the day's pulls", stats.day_pull_ms),
            ("push and pull requests (the target's)", stats.push_ms + stats.pull_ms),
            ("sync (push, then pull)", stats.sync_ms),
            ("morning pull (whole)", stats.morning_ms),
            ("sign-in (the morning rush, beside the syncs)", stats.sign_in_ms),
        )
    ]
    return [
        Table(["request", "count", "p50", "p95", "p99", "max"], rows, title=f"{reps} reps, {backend}"),
        Table(
            ["", ""],
            [
                ["run time (ramp + syncing)", fmt(elapsed, "s")],
                ["requests answered", f"{stats.requests:,} ({stats.requests / elapsed:,.1f}/s)"],
                [
                    "server CPU time (user + system)",
                    f"{stats.server_cpu_s:,.1f} s ({stats.server_cpu_s / elapsed:.0%} of one core),"
                    f" {stats.server_cpu_ms_per_request():.2f} ms per request",
                ],
                ["ops pushed and applied", f"{ops:,} ({ops / elapsed:,.1f}/s)"],
                ["changes pulled", f"{stats.pulled_changes:,}"],
                ["errors: answers other than 200", str(len(stats.errors))],
                ["errors: transport (op kept and sent again)", str(len(stats.transport_errors))],
                ["re-sent ops answered 'duplicate' (had arrived)", str(stats.retried_duplicates)],
                ["answers other than 'applied' on a first send", str(stats.not_applied)],
                [
                    "ops stored exactly once",
                    f"{'yes' if exactly_once(stats, arrival) else 'NO'}: {arrival.applied_rows:,} applied_ops rows"
                    f" for {ops:,} ops, {arrival.devices_with_wrong_count} devices off; {arrival.visits_rows:,}"
                    f" visits for {created:,} check-ins, {arrival.visits_checked_out:,} checked out",
                ],
            ],
            title=f"Throughput and correctness ({reps} reps, {backend})",
        ),
    ]


def run_targets(reps: int, database: str, stats: Stats, arrival: Arrival | None, why_missing: str = "") -> list[Target]:
    """The scenario's four targets for one run; None figures (not measured) without an arrival check.

    On SQLite they keep the names they always had ("load: errors"); on another database they say which
    ("load: errors (200 reps, PostgreSQL)").
    """
    label = f"{reps} reps" if database == "SQLite" else f"{reps} reps, {database}"
    extra = "" if database == "SQLite" else f" ({label})"
    measured = arrival is not None
    ops = sum(stats.ops_sent.values())
    errors = float(len(stats.errors) + len(stats.transport_errors) + stats.not_applied)
    not_once = 0 if arrival is None or exactly_once(stats, arrival) else max(1, abs(ops - arrival.applied_rows))
    return [
        Target(
            f"load: sync request p95 ({label})",
            percentile(stats.push_ms + stats.pull_ms, 95) if measured else None,
            300,
            "ms",
            why_missing,
        ),
        Target(
            f"load: whole sync p95 ({label})",
            percentile(stats.sync_ms, 95) if measured else None,
            300,
            "ms",
            why_missing,
        ),
        Target(f"load: errors{extra}", errors if measured else None, 0, "", why_missing),
        Target(f"load: ops not stored exactly once{extra}", float(not_once) if measured else None, 0, "", why_missing),
    ]


def run(quick: bool) -> Section:
    reps = 20 if quick else 200
    duration_s = 15.0 if quick else 60.0
    sweep_setting = os.environ.get(SWEEP_ENV, "" if quick else "50,100")
    sweep = [int(count) for count in sweep_setting.split(",") if count.strip()]

    runs = [(count, "SQLite", *load_run(count, SWEEP_S, None)) for count in sweep]
    stats, elapsed, arrival = load_run(reps, duration_s, None)
    runs.append((reps, "SQLite", stats, elapsed, arrival))
    pg_note, pg_why, pg_description = "", "", ""
    pg_result: tuple[Stats, float, Arrival] | None = None
    try:
        with postgres.databases() as pg:
            pg_description = pg.description
            pg_result = load_run(reps, duration_s, pg.fresh("load"))
    except Exception as error:  # not installed, or broken: the SQLite figures still count
        pg_result = None
        pg_note, pg_why = postgres.failure(error)
    if pg_result is not None:
        runs.append((reps, "PostgreSQL", *pg_result))

    section = Section(
        key="load",
        title="3. Server under load",
        method=(
            f"{reps} simulated reps (async httpx in one process, one keep-alive connection each) against the real"
            " server process (`python -m server serve`, one uvicorn process) on loopback, demo county seeded"
            " (3 territories, 123 customers); first on SQLite (a fresh file in a temporary folder; WAL, every commit"
            " fsynced), then on "
            + (pg_description if pg_result is not None else "PostgreSQL (not measured in this run)")
            + ". The reps share the three demo rep accounts but each has its"
            f" own device id. Each starts within the first {RAMP_S:.0f} s, does its morning pull (pages of 500"
            f" from cursor 0), then for {duration_s:.0f} s syncs every {INTERVAL_S[0]:.0f}–{INTERVAL_S[1]:.0f} s"
            " (uniformly random) as the phone does: a push of one op (check-in of a new visit, or check-out of the"
            " open one), then a pull from its cursor until nothing is left. Beside them, the morning rush: as"
            f" many other reps, each with an account of its own, sign in with a device id at uniformly random"
            f" moments within the first {RUSH_S:.0f} s (or the run, if shorter); the password is checked with"
            " argon2 at its production cost, outside the write lock and two at a time, so the syncs should not"
            " wait for it (their sign-in errors count as errors). With so many reps per territory each"
            " pull also brings the other reps' new visits (about a third of the whole load), which is more than a"
            " real territory sees. Latency is measured in the load process from sending until the whole answer is"
            " read. A phone decodes its pages on its own CPU; here one process decodes for every rep, so it reads"
            " only what the rep needs next (cursor, has_more, the number of changes) with msgspec, without building"
            " the records. That process shares the 2 cores with the server (and, on PostgreSQL, with the database's own"
            " processes), so its own scheduling delay is part of the figures."
            " Afterwards the database is asked whether every op answered 'applied' is stored exactly once"
            " (one `applied_ops` row per device and seq, the visits and check-outs present). A push that fails"
            " in transit is kept and sent again at the next sync, as the phone does; such errors still count."
            + (
                ""
                if not sweep
                else f" Before the {reps}-rep run on SQLite, shorter runs ({SWEEP_S:.0f} s) with"
                f" {' and '.join(map(str, sweep))} reps show where the latency bends; PostgreSQL has the"
                f" {reps}-rep run only, to keep the bench's time."
            )
            + " The same four targets are checked on each database."
        ),
    )
    section.tables += run_tables(reps, "SQLite", stats, elapsed, arrival)
    if pg_result is not None:
        section.tables += run_tables(reps, "PostgreSQL", *pg_result)
    section.tables.append(
        Table(
            [
                "reps",
                "database",
                "run",
                "requests/s",
                "ops/s",
                "request p50",
                "request p95",
                "sync p95",
                "server CPU per request",
                "errors",
                "exactly once",
            ],
            [
                [
                    str(count),
                    backend,
                    f"{SWEEP_S if count != reps else duration_s:.0f} s",
                    f"{run_stats.requests / run_elapsed:,.1f}",
                    f"{sum(run_stats.ops_sent.values()) / run_elapsed:,.1f}",
                    fmt(percentile(run_stats.push_ms + run_stats.pull_ms, 50), "ms"),
                    fmt(percentile(run_stats.push_ms + run_stats.pull_ms, 95), "ms"),
                    fmt(percentile(run_stats.sync_ms, 95), "ms"),
                    fmt(run_stats.server_cpu_ms_per_request(), "ms"),
                    str(len(run_stats.errors) + len(run_stats.transport_errors) + run_stats.not_applied),
                    "yes"
                    if run_arrival.devices_with_wrong_count == 0
                    and run_arrival.applied_rows == sum(run_stats.ops_sent.values())
                    else "NO",
                ]
                for count, backend, run_stats, run_elapsed, run_arrival in runs
            ],
            title="By number of reps and database (a fresh server each)",
        )
    )
    section.targets += run_targets(reps, "SQLite", stats, arrival)
    if pg_result is not None:
        section.targets += run_targets(reps, "PostgreSQL", pg_result[0], pg_result[2])
    else:
        section.targets += run_targets(reps, "PostgreSQL", Stats(), None, pg_why)
        section.notes.append(pg_note)
    for backend, run_stats in (("SQLite", stats), ("PostgreSQL", pg_result[0] if pg_result else Stats())):
        if run_stats.errors or run_stats.transport_errors:
            first = "; ".join((run_stats.errors + run_stats.transport_errors)[:3])
            section.notes.append(f"First errors on {backend}: {first}")
    return section
