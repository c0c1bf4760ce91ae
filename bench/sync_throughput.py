"""Scenario 2: sync throughput side by side with a CouchDB-protocol peer (pouchdb-server), and the floor.

The workload of ../shared/peers/pouchdb/run.sh: device A pushes 10,000 records of about 310 bytes in
batches of 500, then device B pulls them all in pages of 1,000. For RouteCRM the records are visits
(put ops) pushed through the real client adapter (`sync.http.HttpSyncApi`) to the real server process
on loopback over a fresh SQLite database, one server per run; the clock stops when the last answer is
parsed. The peer runs the same workload in its own script (`bench_couch_http.js`, POST _bulk_docs and
GET _changes with include_docs) in the same bench run.

The floor is what any server must do at least: decode the same push bodies from JSON and insert the same
rows into SQLite in one transaction.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def routecrm_run(records: int) -> RouteRun:
    from sync.http import HttpSyncApi
    from sync.protocol import SCHEMA_VERSION, PullRequest, PushRequest

    with server_dir() as directory:
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


def floor_run(records: int) -> tuple[float, float]:
    """(decode the push bodies' JSON, insert the visits in one SQLite transaction and commit), in seconds."""
    from sync.protocol import SCHEMA_VERSION, PushRequest

    ops = visit_ops("bench-device-a", rid(random.Random(1)), records, first_seq=2)
    bodies = [
        json.dumps(PushRequest("bench-device-a", SCHEMA_VERSION, ops[i : i + PUSH_BATCH]).as_dict()).encode()
        for i in range(0, len(ops), PUSH_BATCH)
    ]
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
        connection.executemany(
            "INSERT INTO visits VALUES (?, ?, ?, ?)",
            (
                (op["record_id"], op["fields"]["customer_id"], op["fields"]["check_in_at"], json.dumps(op["fields"]))
                for body in decoded
                for op in body["ops"]
            ),
        )
        connection.execute("COMMIT")
        insert_s = time.perf_counter() - started
        connection.close()
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
    section = Section(
        key="sync",
        title="2. Sync throughput, side by side",
        method=(
            f"The workload of `../shared/peers/pouchdb/run.sh`: device A pushes {records:,} records of about"
            f" {TARGET_BYTES} bytes in batches of {PUSH_BATCH}, then device B pulls them all in pages of"
            f" {PULL_PAGE:,}. RouteCRM: visits (put ops) pushed through the client's HTTP adapter"
            " (`sync.http.HttpSyncApi`: building, encoding, sending, parsing the answer) to the real server"
            " process (`python -m server serve`, one uvicorn process) on loopback over a fresh SQLite database"
            " in a temporary folder, one fresh server per run; B is the same rep's second device, pulling from"
            " cursor 0 (the visits plus the customer they belong to). The peer: pouchdb-server on loopback"
            " running its own script (`bench_couch_http.js`: POST `_bulk_docs`, GET `_changes?include_docs`),"
            f" in the same bench run. Medians of {runs} run(s) each. The floor: decoding the same"
            f" {records // PUSH_BATCH} push bodies with `json.loads` plus inserting the same visits into SQLite"
            " (WAL, one table, primary key) in one transaction, committed."
        ),
    )
    route_runs = [routecrm_run(records) for _ in range(runs)]
    decode_s, insert_s = min(floor_run(records) for _ in range(3))
    floor_s = decode_s + insert_s
    peer = peer_run(runs, records)

    push_s = median([r.push_s for r in route_runs])
    pull_s = median([r.pull_s for r in route_runs])
    rows = [
        [
            "RouteCRM (Litestar + SQLite)",
            fmt(push_s, "s"),
            fmt(pull_s, "s"),
            f"{records / push_s:,.0f}",
            f"{records / pull_s:,.0f}",
            ", ".join(f"{r.push_s:.2f}/{r.pull_s:.2f}" for r in route_runs),
        ]
    ]
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
    section.tables.append(
        Table(
            ["system", "push", "pull", "push records/s", "pull records/s", "runs (push/pull s)"],
            rows,
            title=f"{records:,} records, push batches of {PUSH_BATCH}, pull pages of {PULL_PAGE:,}",
        )
    )
    first = route_runs[0]
    section.tables.append(
        Table(
            ["", "RouteCRM"],
            [
                ["bytes pushed (request bodies)", f"{first.push_bytes:,} ({first.push_bytes / records:.0f} per op)"],
                ["bytes pulled (answers)", f"{first.pull_bytes:,} ({first.pull_bytes / first.pulled:.0f} per change)"],
                ["push ÷ floor", fmt(push_s / floor_s, "×")],
                ["pull ÷ floor", fmt(pull_s / floor_s, "×")],
            ],
            title="Wire sizes and the floor",
        )
    )
    why = f"peer did not run: {peer.problem[:80]}" if peer.push_s is None else ""
    section.targets += [
        Target("sync: push time RouteCRM ÷ peer", push_s / peer.push_s if peer.push_s else None, 0.5, "×", why),
        Target("sync: pull time RouteCRM ÷ peer", pull_s / peer.pull_s if peer.pull_s else None, 0.5, "×", why),
        Target("sync: push ÷ floor", push_s / floor_s, 5.0, "×"),
        Target("sync: pull ÷ floor", pull_s / floor_s, 5.0, "×"),
    ]
    if peer.push_s is None:
        section.notes.append(f"The peer could not run in this run: {peer.problem}")
    section.notes.append(
        "A ratio below 1 means RouteCRM took less time than the peer; the goal of 0.5× asks for half the peer's time."
    )
    return section
