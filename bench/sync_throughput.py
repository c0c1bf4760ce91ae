"""Scenario 2: sync throughput side by side with a CouchDB-protocol peer (pouchdb-server), and the floor.

The workload of ../shared/peers/pouchdb/run.sh: device A pushes 10,000 records of about 310 bytes in
batches of 500, then device B pulls them all in pages of 1,000. For RouteCRM the records are visits
(put ops) pushed through the real client adapter (`sync.http.HttpSyncApi`) to the real server process
on loopback over a fresh SQLite database, one server per run; the clock stops when the last answer is
parsed. Then the same runs on PostgreSQL (bench/postgres.py: a throwaway durable cluster, a fresh database
per run), when it is installed. The peer runs the same workload in its own script (`bench_couch_http.js`,
POST _bulk_docs and GET _changes with include_docs) in the same bench run.

The floor is what any server must do at least: decode the same push bodies from JSON and insert the same
rows in one transaction, into SQLite (and into PostgreSQL for the PostgreSQL figures).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import postgres
from bench.client_store import rid
from bench.report import Section, Table, Target, fmt, median
from bench.server_process import login, running_server, server_dir

ROOT = Path(__file__).resolve().parents[1]
PEER_SCRIPT = Path(os.environ.get("ROUTECRM_BENCH_PEER", ROOT.parent / "shared" / "peers" / "pouchdb" / "run.sh"))
RECORDS = 10_000
PUSH_BATCH = 500
PULL_PAGE = 1_000
TARGET_BYTES = 310
BENCH_TERRITORY = "bench-throughput"


def visit_ops(device_id: str, customer_id: str, count: int, first_seq: int, seed: int = 3) -> list[Any]:
    """`count` put ops creating visits whose record (id + fields) is about 310 bytes of JSON, like the peer's."""
    from shared.enums import OpAction, RecordKind
    from sync.protocol import Op

    rng = random.Random(seed)
    start = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    ops = []
    for index in range(count):
        moment = start + dt.timedelta(minutes=7 * index)
        record_id = rid(rng)
        fields: dict[str, Any] = {
            "customer_id": customer_id,
            "visit_type": "day",
            "planned": True,
            "check_in_at": moment.isoformat(),
            "check_out_at": (moment + dt.timedelta(minutes=25)).isoformat(),
            "attitude": "positive",
            "ordered": index % 2 == 0,
            "progress": "",
        }
        size = len(json.dumps({"id": record_id, **fields}, separators=(",", ":")))
        fields["progress"] = "x" * max(0, TARGET_BYTES - size)
        ops.append(
            Op(
                op_id=rid(rng),
                device_id=device_id,
                seq=first_seq + index,
                kind=RecordKind.VISIT,
                record_id=record_id,
                action=OpAction.PUT,
                fields=fields,
                made_at=moment.astimezone(dt.UTC).isoformat(timespec="seconds"),
            )
        )
    return ops


@dataclass
class RouteRun:
    push_s: float
    pull_s: float
    pulled: int
    push_bytes: int  # request bodies, as JSON
    pull_bytes: int  # answers


def routecrm_run(records: int, database_url: str | None = None) -> RouteRun:
    """One fresh server over a fresh database: SQLite in a temporary folder, or the empty `database_url`."""
    from sync.http import HttpSyncApi
    from sync.protocol import SCHEMA_VERSION, PullRequest, PushRequest

    with server_dir(database_url) as directory:
        directory.cli("init-db")
        directory.cli(
            "create-user",
            "--username",
            "bench.a",
            "--password",
            "bench-pass-1",
            "--role",
            "rep",
            "--territory",
            BENCH_TERRITORY,
        )
        with running_server(directory) as server:
            token_a, _ = login(server.base_url, "bench.a", "bench-pass-1")
            token_b, _ = login(server.base_url, "bench.a", "bench-pass-1")  # the rep's second device
            device_a = "bench-device-a"
            api_a = HttpSyncApi(server.base_url, token_a)
            api_b = HttpSyncApi(server.base_url, token_b)
            try:
                from shared.enums import OpAction, RecordKind
                from sync.protocol import Op

                customer_id = rid(random.Random(1))
                customer = Op(
                    op_id=rid(random.Random(2)),
                    device_id=device_a,
                    seq=1,
                    kind=RecordKind.CUSTOMER,
                    record_id=customer_id,
                    action=OpAction.PUT,
                    fields={"name": "望都镇东关村卫生室", "kind": "village_clinic"},
                    made_at="2026-11-02T00:00:00+00:00",
                )
                api_a.push(PushRequest(device_a, SCHEMA_VERSION, [customer]))
                ops = visit_ops(device_a, customer_id, records, first_seq=2)
                push_bytes = sum(
                    len(json.dumps(PushRequest(device_a, SCHEMA_VERSION, ops[i : i + PUSH_BATCH]).as_dict()))
                    for i in range(0, len(ops), PUSH_BATCH)
                )
                started = time.perf_counter()
                for index in range(0, len(ops), PUSH_BATCH):
                    answer = api_a.push(PushRequest(device_a, SCHEMA_VERSION, ops[index : index + PUSH_BATCH]))
                    if any(result.status.value != "applied" for result in answer.results):
                        raise RuntimeError(f"push not applied: {answer.results[:3]}")
                push_s = time.perf_counter() - started

                started = time.perf_counter()
                cursor, pulled = 0, 0
                while True:
                    page = api_b.pull(PullRequest(cursor=cursor, schema_version=SCHEMA_VERSION, limit=PULL_PAGE))
                    pulled += len(page.changes)
                    cursor = page.cursor
                    if not page.has_more:
                        break
                pull_s = time.perf_counter() - started
                if pulled != records + 1:
                    raise RuntimeError(f"pulled {pulled} changes, expected {records + 1}")
            finally:
                api_a.close()
                api_b.close()
            # The answers' size, measured once outside the timing.
            pull_bytes = _pull_bytes(server.base_url, token_b)
    return RouteRun(push_s, pull_s, pulled, push_bytes, pull_bytes)


def _pull_bytes(base_url: str, token: str) -> int:
    import httpx

    from sync.protocol import SCHEMA_VERSION

    total, cursor = 0, 0
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        while True:
            request = {"cursor": cursor, "schema_version": SCHEMA_VERSION, "limit": PULL_PAGE}
            response = http.post("/api/sync/pull", json=request)
            total += len(response.content)
            body = response.json()
            cursor = body["cursor"]
            if not body["has_more"]:
                return total


# ---- the floor ------------------------------------------------------------------------------


def _push_bodies(records: int) -> list[bytes]:
    from sync.protocol import SCHEMA_VERSION, PushRequest

    ops = visit_ops("bench-device-a", rid(random.Random(1)), records, first_seq=2)
    return [
        json.dumps(PushRequest("bench-device-a", SCHEMA_VERSION, ops[i : i + PUSH_BATCH]).as_dict()).encode()
        for i in range(0, len(ops), PUSH_BATCH)
    ]


def _floor_rows(decoded: list[Any]) -> Iterator[tuple[str, str, str, str]]:
    for body in decoded:
        for op in body["ops"]:
            yield op["record_id"], op["fields"]["customer_id"], op["fields"]["check_in_at"], json.dumps(op["fields"])


def floor_run(records: int) -> tuple[float, float]:
    """(decode the push bodies' JSON, insert the visits in one SQLite transaction and commit), in seconds."""
    bodies = _push_bodies(records)
    with tempfile.TemporaryDirectory(prefix="routecrm-bench-floor-") as folder:
        connection = sqlite3.connect(Path(folder) / "floor.db", isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(
            "CREATE TABLE visits (id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, check_in_at TEXT NOT NULL,"
            " data TEXT NOT NULL)"
        )
        started = time.perf_counter()
        decoded = [json.loads(body) for body in bodies]
        decode_s = time.perf_counter() - started
        started = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany("INSERT INTO visits VALUES (?, ?, ?, ?)", _floor_rows(decoded))
        connection.execute("COMMIT")
        insert_s = time.perf_counter() - started
        connection.close()
    return decode_s, insert_s


def own_rows_run(records: int) -> float:
    """Seconds to write RouteCRM's own rows for the pushed visits and nothing else, on SQLite: per op a visit row
    (every column, the schema's indexes), its change-log row and its applied-op row, with the server's
    statements, in one transaction per push of 500 committed (fsynced) as the server commits it. The rows are
    built before the clock starts: no HTTP, no parsing, no checks. What the schema itself costs above the floor."""
    from server.changes.models import ChangeLog
    from server.db import driver_insert, make_engine, migrate_database
    from server.domains.sync.models import AppliedOp
    from server.domains.visits.service import VISIT_DEFAULTS
    from server.models import Visit

    ops = visit_ops("bench-device-a", rid(random.Random(1)), records, first_seq=2)
    with tempfile.TemporaryDirectory(prefix="routecrm-bench-rows-") as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'rows.db'}")
        migrate_database(engine)
        tables = [Visit.__table__, ChangeLog.__table__, AppliedOp.__table__]  # type: ignore[attr-defined]
        batches = []
        for start in range(0, len(ops), PUSH_BATCH):
            rows: list[list[dict[str, Any]]] = [[], [], []]
            for op in ops[start : start + PUSH_BATCH]:
                visit = {
                    **VISIT_DEFAULTS,
                    **op.fields,
                    "id": op.record_id,
                    "rep_id": "rep",
                    "device_id": op.device_id,
                    "territory": BENCH_TERRITORY,
                    "visit_day": dt.date.fromisoformat(op.fields["check_in_at"][:10]),
                    "updated_at": op.made_at,
                }
                rows[0].append(visit)
                rows[1].append(
                    {
                        "kind": "visit",
                        "record_id": op.record_id,
                        "audience": BENCH_TERRITORY,
                        "territory": BENCH_TERRITORY,
                        "deleted": False,
                        "data": visit,
                        "changed_at": op.made_at,
                    }
                )
                result = {"seq": op.seq, "op_id": op.op_id, "status": "applied"}
                rows[2].append(
                    {"device_id": op.device_id, "seq": op.seq, "op_id": op.op_id, "user_id": "rep", "result": result}
                    | {"applied_at": op.made_at}
                )
            batches.append(
                [
                    driver_insert(engine.dialect, table, table_rows)
                    for table, table_rows in zip(tables, rows, strict=True)
                ]
            )
        connection = engine.raw_connection()
        try:
            driver = connection.driver_connection
            assert driver is not None
            started = time.perf_counter()
            for statements in batches:
                driver.execute("BEGIN IMMEDIATE")
                for sql, parameters in statements:
                    driver.executemany(sql, parameters)
                driver.execute("COMMIT")
            elapsed = time.perf_counter() - started
        finally:
            connection.close()
            engine.dispose()
    return elapsed


def floor_run_postgres(records: int, database_url: str, run: int) -> tuple[float, float]:
    """The same floor on PostgreSQL: psycopg's executemany (pipelined) in one transaction, committed."""
    import psycopg

    from bench.postgres import psycopg_conninfo

    bodies = _push_bodies(records)
    table = f"floor_visits_{run}"
    with psycopg.connect(psycopg_conninfo(database_url), autocommit=True) as connection:
        connection.execute(
            f"CREATE TABLE {table} (id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, check_in_at TEXT NOT NULL,"
            " data TEXT NOT NULL)"
        )
        started = time.perf_counter()
        decoded = [json.loads(body) for body in bodies]
        decode_s = time.perf_counter() - started
        started = time.perf_counter()
        with connection.transaction(), connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} VALUES (%s, %s, %s, %s)", _floor_rows(decoded))
        insert_s = time.perf_counter() - started
    return decode_s, insert_s


# ---- the peer -------------------------------------------------------------------------------

PEER_LINE = re.compile(r"MEDIAN raw-http: push ([\d.]+)s\s+pull ([\d.]+)s")


@dataclass
class PeerResult:
    push_s: float | None
    pull_s: float | None
    problem: str
    output: str


def peer_run(runs: int, records: int) -> PeerResult:
    if not PEER_SCRIPT.exists():
        return PeerResult(None, None, f"{PEER_SCRIPT} is missing", "")
    from bench.server_process import free_port

    try:
        done = subprocess.run(
            ["bash", str(PEER_SCRIPT), str(runs), str(records), str(PUSH_BATCH), "http"],
            env={**os.environ, "PEER_PORT": str(free_port())},
            capture_output=True,
            text=True,
            timeout=600,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return PeerResult(None, None, f"run.sh failed: {error}", "")
    match = PEER_LINE.search(done.stdout)
    if match is None:  # run.sh may exit non-zero after printing (its EXIT trap waits on the killed server)
        problem = f"run.sh exited with {done.returncode}: {(done.stderr or done.stdout).strip()[-500:]}"
        return PeerResult(None, None, problem, done.stdout)
    return PeerResult(float(match.group(1)), float(match.group(2)), "", done.stdout)


# ---- the scenario ---------------------------------------------------------------------------


def run(quick: bool) -> Section:
    runs = 1 if quick else 3
    records = 2_000 if quick else RECORDS
    route_runs = [routecrm_run(records) for _ in range(runs)]
    pg_runs: list[RouteRun] = []
    pg_floor: tuple[float, float] | None = None
    pg_note, pg_why, pg_description = "", "", ""
    try:
        with postgres.databases() as pg:
            pg_description = pg.description
            pg_runs = [routecrm_run(records, pg.fresh("sync")) for _ in range(runs)]
            floor_url = pg.fresh("floor")
            pg_floor = min((floor_run_postgres(records, floor_url, index) for index in range(3)), key=sum)
    except Exception as error:  # not installed, or broken: the SQLite figures still count
        pg_runs, pg_floor = [], None
        pg_note, pg_why = postgres.failure(error)
    decode_s, insert_s = min((floor_run(records) for _ in range(3)), key=sum)
    floor_s = decode_s + insert_s
    own_rows_s = min(own_rows_run(records) for _ in range(3))
    peer = peer_run(runs, records)

    section = Section(
        key="sync",
        title="2. Sync throughput, side by side",
        method=(
            f"The workload of `../shared/peers/pouchdb/run.sh`: device A pushes {records:,} records of about"
            f" {TARGET_BYTES} bytes in batches of {PUSH_BATCH}, then device B pulls them all in pages of"
            f" {PULL_PAGE:,}. RouteCRM: visits (put ops) pushed through the client's HTTP adapter"
            " (`sync.http.HttpSyncApi`: building, encoding, sending, parsing the answer) to the real server"
            " process (`python -m server serve`, one uvicorn process) on loopback over a fresh SQLite database"
            " in a temporary folder (WAL, synchronous=FULL: every commit is fsynced), one fresh server per run;"
            " B is the same rep's second device, pulling from cursor 0 (the visits plus the customer they belong"
            " to). Then the same RouteCRM runs on"
            + (f" {pg_description}." if pg_runs else " PostgreSQL (not measured in this run).")
            + " The peer: pouchdb-server on loopback running its own script (`bench_couch_http.js`: POST"
            f" `_bulk_docs`, GET `_changes?include_docs`), in the same bench run. Medians of {runs} run(s) each."
            f" The floor: decoding the same {records // PUSH_BATCH} push bodies with `json.loads` plus inserting"
            " the same visits in one transaction, committed, into SQLite (WAL, one table, primary key) and, for"
            " the PostgreSQL figures, into the same PostgreSQL (the same table, psycopg's pipelined `executemany`);"
            " best of 3. Beside it, RouteCRM's own rows alone: the visit rows (every column, the schema's"
            " indexes), their change-log and applied-op rows, written with the server's statements in one"
            " fsynced transaction per push of 500, built before the clock starts (no HTTP, parsing or checks),"
            " best of 3: what the schema and the durable commits cost by themselves. The issue's targets (half"
            " the peer's time, at most 5× the floor) are"
            " stated for RouteCRM whatever database it runs on, so they are checked twice: on SQLite (the"
            " default for one machine) and on PostgreSQL (for several processes), each database against its"
            " own floor."
        ),
    )
    push_s = median([r.push_s for r in route_runs])
    pull_s = median([r.pull_s for r in route_runs])
    pg_push_s = median([r.push_s for r in pg_runs]) if pg_runs else None
    pg_pull_s = median([r.pull_s for r in pg_runs]) if pg_runs else None
    pg_floor_s = sum(pg_floor) if pg_floor else None

    def route_row(name: str, push: float, pull: float, of: list[RouteRun]) -> list[str]:
        return [
            name,
            fmt(push, "s"),
            fmt(pull, "s"),
            f"{records / push:,.0f}",
            f"{records / pull:,.0f}",
            ", ".join(f"{r.push_s:.2f}/{r.pull_s:.2f}" for r in of),
        ]

    rows = [route_row("RouteCRM (Litestar + SQLite)", push_s, pull_s, route_runs)]
    if pg_push_s is not None and pg_pull_s is not None:
        rows.append(route_row("RouteCRM (Litestar + PostgreSQL)", pg_push_s, pg_pull_s, pg_runs))
    if peer.push_s is not None and peer.pull_s is not None:
        rows.append(
            [
                "pouchdb-server (CouchDB protocol)",
                fmt(peer.push_s, "s"),
                fmt(peer.pull_s, "s"),
                f"{records / peer.push_s:,.0f}",
                f"{records / peer.pull_s:,.0f}",
                "see run.sh output",
            ]
        )
    else:
        rows.append(["pouchdb-server (CouchDB protocol)", "–", "–", "–", "–", f"did not run: {peer.problem}"])
    rows.append(
        [
            "floor (json.loads + one SQLite transaction)",
            fmt(floor_s, "s"),
            "",
            f"{records / floor_s:,.0f}",
            "",
            f"decode {decode_s:.3f} s + insert {insert_s:.3f} s",
        ]
    )
    rows.append(
        [
            "RouteCRM's own rows alone (SQLite, 20 commits)",
            fmt(own_rows_s, "s"),
            "",
            f"{records / own_rows_s:,.0f}",
            "",
            f"{own_rows_s / floor_s:.1f}× the floor: visit, change-log and applied-op rows, no HTTP, no checks",
        ]
    )
    if pg_floor is not None and pg_floor_s is not None:
        rows.append(
            [
                "floor (json.loads + one PostgreSQL transaction)",
                fmt(pg_floor_s, "s"),
                "",
                f"{records / pg_floor_s:,.0f}",
                "",
                f"decode {pg_floor[0]:.3f} s + insert {pg_floor[1]:.3f} s",
            ]
        )
    section.tables.append(
        Table(
            ["system", "push", "pull", "push records/s", "pull records/s", "runs (push/pull s)"],
            rows,
            title=f"{records:,} records, push batches of {PUSH_BATCH}, pull pages of {PULL_PAGE:,}",
        )
    )

    def ratio(value: float | None, of: float | None) -> str:
        return fmt(value / of, "×") if value is not None and of else "–"

    def column(of: RouteRun, push: float | None, pull: float | None, floor: float | None) -> list[str]:
        return [
            f"{of.push_bytes:,} ({of.push_bytes / records:.0f} per op)",
            f"{of.pull_bytes:,} ({of.pull_bytes / of.pulled:.0f} per change)",
            ratio(push, floor),
            ratio(pull, floor),
            ratio(push, peer.push_s),
            ratio(pull, peer.pull_s),
        ]

    columns = [column(route_runs[0], push_s, pull_s, floor_s)]
    if pg_runs:
        columns.append(column(pg_runs[0], pg_push_s, pg_pull_s, pg_floor_s))
    labels = [
        "bytes pushed (request bodies)",
        "bytes pulled (answers)",
        "push ÷ floor (on the same database)",
        "pull ÷ floor (on the same database)",
        "push time ÷ peer",
        "pull time ÷ peer",
    ]
    section.tables.append(
        Table(
            ["", "RouteCRM + SQLite", *(["RouteCRM + PostgreSQL"] if pg_runs else [])],
            [[label, *(column[index] for column in columns)] for index, label in enumerate(labels)],
            title="Wire sizes and ratios",
        )
    )
    why = f"peer did not run: {peer.problem[:80]}" if peer.push_s is None else ""
    section.targets += [
        Target("sync: push time RouteCRM ÷ peer", push_s / peer.push_s if peer.push_s else None, 0.5, "×", why),
        Target("sync: pull time RouteCRM ÷ peer", pull_s / peer.pull_s if peer.pull_s else None, 0.5, "×", why),
        Target("sync: push ÷ floor", push_s / floor_s, 5.0, "×"),
        Target("sync: pull ÷ floor", pull_s / floor_s, 5.0, "×"),
        Target(
            "sync: push time RouteCRM ÷ peer (PostgreSQL)",
            pg_push_s / peer.push_s if pg_push_s is not None and peer.push_s else None,
            0.5,
            "×",
            pg_why or why,
        ),
        Target(
            "sync: pull time RouteCRM ÷ peer (PostgreSQL)",
            pg_pull_s / peer.pull_s if pg_pull_s is not None and peer.pull_s else None,
            0.5,
            "×",
            pg_why or why,
        ),
        Target(
            "sync: push ÷ floor (PostgreSQL)",
            pg_push_s / pg_floor_s if pg_push_s is not None and pg_floor_s else None,
            5.0,
            "×",
            pg_why,
        ),
        Target(
            "sync: pull ÷ floor (PostgreSQL)",
            pg_pull_s / pg_floor_s if pg_pull_s is not None and pg_floor_s else None,
            5.0,
            "×",
            pg_why,
        ),
    ]
    if pg_note:
        section.notes.append(pg_note)
    if peer.push_s is None:
        section.notes.append(f"The peer could not run in this run: {peer.problem}")
    section.notes.append(
        "A ratio below 1 means RouteCRM took less time than the peer; the goal of 0.5× asks for half the peer's time."
    )
    return section
