"""Scenario 4: what an incremental sync costs when the change log holds 10,000 rows and 1,000,000 rows.

The demo county is seeded, then the change log is filled by direct SQL inserts (SQLite) with visits
of 50 territories, li.rep's among them, so its own territory has a long history too. A device of li.rep
that is up to date then syncs repeatedly: an idle pull (nothing new), a push of 5 new visits, and the
pull that brings those 5 back. The protocol promises that this costs what changed, not the log's size.
"""

from __future__ import annotations

import json
import random
import sqlite3
import statistics
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bench.client_store import rid
from bench.report import Section, Table, fmt, percentile
from bench.server_process import DEMO_PASSWORD, login, running_server, server_dir
from sync.protocol import SCHEMA_VERSION

OWN_TERRITORY = "望都东片"
ROUNDS = 40


def fill_change_log(path: str, rows: int, seed: int = 5) -> float:
    """Append about `rows` change-log rows in one transaction; the seconds it took."""
    rng = random.Random(seed)
    audiences = [OWN_TERRITORY, *(f"填充片区{index:02d}" for index in range(49))]
    template = json.dumps(
        {
            "customer_id": "",
            "visit_type": "day",
            "planned": True,
            "check_in_at": "2025-06-01T08:45:00+08:00",
            "check_out_at": "2025-06-01T09:03:00+08:00",
            "attitude": "neutral",
            "ordered": False,
            "id": "",
            "rep_id": "",
            "territory": "",
        },
        ensure_ascii=False,
    )
    started = time.perf_counter()
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        existing = connection.execute("SELECT COUNT(*) FROM change_log").fetchone()[0]
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(
            "INSERT INTO change_log (kind, record_id, audience, territory, deleted, data, changed_at)"
            " VALUES ('visit', ?, ?, ?, 0, ?, '2025-06-01T01:03:00+00:00')",
            (
                (record_id, audience, audience, template)
                for record_id, audience in ((rid(rng), rng.choice(audiences)) for _ in range(rows - existing))
            ),
        )
        connection.execute("COMMIT")
    finally:
        connection.close()
    return time.perf_counter() - started


@dataclass
class ScaleResult:
    rows: int
    fill_s: float
    db_bytes: int
    idle_pull_ms: list[float]
    push_ms: list[float]
    pull_ms: list[float]


def measure(rows: int) -> ScaleResult:
    with server_dir() as directory:
        directory.cli("seed-demo")
        sqlite_file = directory.sqlite_file
        assert sqlite_file is not None
        fill_s = fill_change_log(str(sqlite_file), rows)
        connection = sqlite3.connect(sqlite_file)
        newest = int(connection.execute("SELECT MAX(seq) FROM change_log").fetchone()[0])
        total = int(connection.execute("SELECT COUNT(*) FROM change_log").fetchone()[0])
        customers = [
            row[0] for row in connection.execute("SELECT id FROM customers WHERE territory = ?", (OWN_TERRITORY,))
        ]
        connection.close()
        db_bytes = sum(path.stat().st_size for path in directory.path.glob("routecrm.db*"))
        with running_server(directory) as server:
            token, _ = login(server.base_url, "li.rep", DEMO_PASSWORD)
            rng = random.Random(rows)
            device = f"bench-scale-{rid(rng)[:8]}"
            idle: list[float] = []
            pushes: list[float] = []
            pulls: list[float] = []
            with httpx.Client(
                base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
            ) as http:

                def post(path: str, body: dict[str, Any], into: list[float]) -> Any:
                    started = time.perf_counter()
                    response = http.post(path, json=body)
                    into.append((time.perf_counter() - started) * 1000)
                    response.raise_for_status()
                    return response.json()

                cursor, seq = newest, 1
                for _ in range(ROUNDS):
                    page = post(
                        "/api/sync/pull", {"cursor": cursor, "schema_version": SCHEMA_VERSION, "limit": 500}, idle
                    )
                    assert not page["changes"], "an idle pull brought changes"
                    ops = []
                    for _ in range(5):
                        fields = {
                            "customer_id": rng.choice(customers),
                            "visit_type": "day",
                            "check_in_at": "2026-11-27T09:00:00+08:00",
                            "ordered": False,
                        }
                        ops.append(
                            {
                                "op_id": rid(rng),
                                "device_id": device,
                                "seq": seq,
                                "kind": "visit",
                                "record_id": rid(rng),
                                "action": "put",
                                "fields": fields,
                                "made_at": "2026-11-27T01:00:00+00:00",
                            }
                        )
                        seq += 1
                    post("/api/sync/push", {"device_id": device, "schema_version": SCHEMA_VERSION, "ops": ops}, pushes)
                    page = post(
                        "/api/sync/pull", {"cursor": cursor, "schema_version": SCHEMA_VERSION, "limit": 500}, pulls
                    )
                    if len(page["changes"]) != 5:
                        raise RuntimeError(f"expected 5 changes, got {len(page['changes'])}")
                    cursor = page["cursor"]
    return ScaleResult(total, fill_s, db_bytes, idle, pushes, pulls)


def run(quick: bool) -> Section:
    section = Section(
        key="scale",
        title="4. Incremental sync and the size of the change log",
        method=(
            "The demo county is seeded, then the change log is filled by direct SQL inserts (one transaction)"
            " with visit rows of 50 territories, li.rep's own among them, to 10,000 and to 1,000,000 rows. The"
            " real server process then serves li.rep's up-to-date device over loopback (SQLite, WAL), for"
            f" {ROUNDS} rounds: an idle pull (nothing new), a push of 5 new visits, and the pull bringing those 5"
            " back. The protocol promises that a sync costs what changed, not the size of the log (the pull reads"
            " the index on (audience, seq); a push replaces a record's row through the unique (kind, record_id)"
            " index). The issue sets no target for this scenario."
        ),
    )
    if quick:
        section.skipped = "skipped in --quick (filling a million rows takes about a minute)."
        return section
    results = [measure(rows) for rows in (10_000, 1_000_000)]
    section.tables.append(
        Table(
            [
                "change-log rows",
                "database",
                "fill",
                "idle pull p50 / p95",
                "push 5 ops p50 / p95",
                "pull 5 changes p50 / p95",
            ],
            [
                [
                    f"{result.rows:,}",
                    f"{result.db_bytes / 1e6:,.0f} MB",
                    fmt(result.fill_s, "s"),
                    *(
                        f"{fmt(percentile(values, 50), 'ms')} / {fmt(percentile(values, 95), 'ms')}"
                        for values in (result.idle_pull_ms, result.push_ms, result.pull_ms)
                    ),
                ]
                for result in results
            ],
            title=f"{ROUNDS} rounds each",
        )
    )
    small, large = results
    ratios = [
        statistics.median(getattr(large, name)) / statistics.median(getattr(small, name))
        for name in ("idle_pull_ms", "push_ms", "pull_ms")
    ]
    section.notes.append(
        f"Median at {large.rows:,} rows ÷ median at {small.rows:,} rows: idle pull {ratios[0]:.2f}×, push"
        f" {ratios[1]:.2f}×, incremental pull {ratios[2]:.2f}×."
    )
    return section
