"""Writes that scale out (issue #20): the 200-rep load of section 3 on one PostgreSQL with 1, 2 and 4 server
processes (`python -m server serve --workers N`: uvicorn's processes behind one address and port), the code
before the pushes-in-lanes change and after it, in one run, so the ratios compare like with like.

Two loads, each from this process (the server and PostgreSQL are processes of their own): "paced", the
phones' rhythm of section 3 (a sync every 2-4 s), which measures latency at a fixed demand; and "flat out",
the same reps syncing back to back, which measures how many syncs the server can take (its throughput). The
CPU each side used is read from /proc: the server's processes (the master and its workers), PostgreSQL's
(the postmaster, its live backends and those it reaped), and this load process's.

`ROUTECRM_BENCH_SCALE_BEFORE` names the commit of the "before" code (default below: the branch point of the
change); `ROUTECRM_BENCH_SCALE_RUN_S` the seconds each load runs after the ramp.
"""

from __future__ import annotations

import asyncio
import os
import resource
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import postgres
from bench.report import Section, Table, fmt, percentile
from bench.server_load import (
    INTERVAL_S,
    Arrival,
    Stats,
    add_rush_accounts,
    check_arrival,
    customers_by_territory,
    drive,
    exactly_once,
    sign_in_phones,
)
from bench.server_process import DEMO_PASSWORD, DEMO_REPS, ROOT, login, running_server, server_dir

BEFORE_ENV = "ROUTECRM_BENCH_SCALE_BEFORE"
BEFORE_DEFAULT = "22f09f4"  # main before the pushes in lanes (server/db.py `write_session(lanes=...)`)
RUN_ENV = "ROUTECRM_BENCH_SCALE_RUN_S"
PROCESSES = (1, 2, 4)
LOADS_ALL = {"paced": INTERVAL_S, "flat out": (0.0, 0.0)}
LOADS_ENV = "ROUTECRM_BENCH_SCALE_LOADS"  # a comma-separated choice of LOADS_ALL's names (default: both)
LOADS = {
    name: LOADS_ALL[name]
    for name in (part.strip() for part in os.environ.get(LOADS_ENV, ",".join(LOADS_ALL)).split(","))
    if name in LOADS_ALL
}


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def tree_cpu_s(root_pid: int) -> float:
    """CPU seconds (user + system) of a process and its descendants: the live ones, and those it has reaped
    (cutime, cstime), so a worker or a backend that ended during the run still counts."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None:
                parents[int(entry.name)] = int(fields[1])
    tree, frontier = {root_pid}, [root_pid]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    ticks = 0
    for pid in tree:
        fields = _stat(pid)
        if fields is not None:
            ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class ScaleRun:
    version: str
    processes: int
    load: str
    stats: Stats
    elapsed_s: float
    arrival: Arrival
    server_cpu_s: float
    database_cpu_s: float
    load_cpu_s: float
    load_average: tuple[float, float]  # 1-minute load average at the start and at the end

    @property
    def syncs_per_s(self) -> float:
        return len(self.stats.sync_ms) / self.elapsed_s


@contextmanager
def checkout(commit: str) -> Iterator[Path]:
    """The code of `commit` in a temporary folder (git archive), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="routecrm-bench-before."))
    try:
        archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def postmaster_pid(pg: postgres.Databases) -> int | None:
    """The cluster's postmaster, if the bench made the cluster (not one named by ROUTECRM_BENCH_DATABASE_URL)."""
    if pg.socket_dir is None:
        return None
    return int((pg.socket_dir.parent / "data" / "postmaster.pid").read_text().split()[0])


def one_run(
    pg: postgres.Databases, code: Path, version: str, processes: int, load: str, reps: int, duration_s: float
) -> ScaleRun:
    with server_dir(pg.fresh("scale"), root=code) as directory:
        directory.cli("seed-demo", "--force")
        add_rush_accounts(directory.database_url, reps)
        customers = customers_by_territory(directory.database_url)
        # Each worker imports the app and its pool connects on its own: on a busy machine 4 take minutes.
        with running_server(directory, workers=processes, start_s=300) as server:
            territories = [
                str(login(server.base_url, username, DEMO_PASSWORD)[1]["territory"]) for username in DEMO_REPS
            ]
            tokens = asyncio.run(sign_in_phones(server.base_url, reps))
            postmaster = postmaster_pid(pg)
            database_cpu = (lambda: tree_cpu_s(postmaster)) if postmaster is not None else (lambda: 0.0)
            before = (tree_cpu_s(server.pid), database_cpu(), own_cpu_s(), os.getloadavg()[0])
            stats, elapsed = asyncio.run(
                drive(server.base_url, tokens, customers, territories, reps, duration_s, LOADS[load])
            )
            after = (tree_cpu_s(server.pid), database_cpu(), own_cpu_s(), os.getloadavg()[0])
        arrival = check_arrival(directory.database_url, stats)
    run = ScaleRun(
        version,
        processes,
        load,
        stats,
        elapsed,
        arrival,
        after[0] - before[0],
        after[1] - before[1],
        after[2] - before[2],
        (before[3], after[3]),
    )
    print(
        f"   {version}, {processes} process(es), {load}: {run.syncs_per_s:.1f} syncs/s, request p95"
        f" {percentile(stats.push_ms + stats.pull_ms, 95):.0f} ms, load average {before[3]:.1f}-{after[3]:.1f}",
        flush=True,
    )
    return run


def run(quick: bool) -> Section:
    reps = 20 if quick else 200
    duration_s = float(os.environ.get(RUN_ENV, "10" if quick else "30"))
    before_ref = os.environ.get(BEFORE_ENV, BEFORE_DEFAULT)
    runs: list[ScaleRun] = []
    section = Section(
        key="scale-out",
        title="3b. Writes that scale out: 1, 2 and 4 server processes on one PostgreSQL",
        method=(
            f"The load of section 3 ({reps} simulated reps in the three demo territories, sharing the three demo rep"
            " accounts, each with its own device id, plus the morning rush's sign-ins) against `python -m server"
            " serve --workers N` (N uvicorn processes behind one address and port) on one PostgreSQL"
            f" ({{pg}}), {duration_s:.0f} s after a {5:.0f} s ramp, a fresh database per run, the load from this"
            f" process. Two loads: *paced* (a sync every {INTERVAL_S[0]:.0f}–{INTERVAL_S[1]:.0f} s per rep, the"
            " phones' rhythm: latency at a fixed demand) and *flat out* (each rep syncs again as soon as its last"
            " sync ended: the throughput the server can give). A sync is one push of one op and the pulls that"
            f" follow it. The code *before* is commit {before_ref} (every write under one advisory lock), *after*"
            " this branch (a rep's push of visits, notes and key persons in lanes: its territory, itself, its"
            " phone; numbered under a short lock). CPU from /proc: the server's processes, PostgreSQL's (reaped"
            " backends included), the load process's. The machine has 2 cores shared with other work: compare"
            " ratios within one run; the 1-minute load average at each run's start and end is given."
        ),
    )
    try:
        with postgres.databases() as pg, checkout(before_ref) as before_code:
            section.method = section.method.replace("{pg}", pg.description)
            for version, code in (("before", before_code), ("after", ROOT)):
                for load in LOADS:
                    for processes in PROCESSES:
                        runs.append(one_run(pg, code, version, processes, load, reps, duration_s))
    except Exception as error:  # PostgreSQL missing or broken: say so, as section 3 does
        note, _why = postgres.failure(error)
        section.skipped = note
        return section
    base = {(run.version, run.load): run for run in runs if run.processes == 1}
    section.tables.append(
        Table(
            [
                "code",
                "load",
                "processes",
                "syncs/s",
                "÷ 1 process",
                "request p50",
                "request p95",
                "push p95",
                "sync p95",
                "server CPU",
                "PostgreSQL CPU",
                "load process CPU",
                "load average",
                "errors",
                "exactly once",
            ],
            [
                [
                    run.version,
                    run.load,
                    str(run.processes),
                    f"{run.syncs_per_s:,.1f}",
                    f"{run.syncs_per_s / base[(run.version, run.load)].syncs_per_s:.2f}×",
                    fmt(percentile(run.stats.push_ms + run.stats.pull_ms, 50), "ms"),
                    fmt(percentile(run.stats.push_ms + run.stats.pull_ms, 95), "ms"),
                    fmt(percentile(run.stats.push_ms, 95), "ms"),
                    fmt(percentile(run.stats.sync_ms, 95), "ms"),
                    f"{run.server_cpu_s:.1f} s ({run.server_cpu_s / run.elapsed_s:.0%})",
                    f"{run.database_cpu_s:.1f} s ({run.database_cpu_s / run.elapsed_s:.0%})",
                    f"{run.load_cpu_s:.1f} s ({run.load_cpu_s / run.elapsed_s:.0%})",
                    f"{run.load_average[0]:.1f} → {run.load_average[1]:.1f}",
                    str(len(run.stats.errors) + len(run.stats.transport_errors) + run.stats.not_applied),
                    "yes" if exactly_once(run.stats, run.arrival) else "NO",
                ]
                for run in runs
            ],
            title="By code, load and number of server processes (CPU: seconds over the run, and % of one core)",
        )
    )
    for run in runs:
        if run.stats.errors or run.stats.transport_errors:
            first = "; ".join((run.stats.errors + run.stats.transport_errors)[:3])
            section.notes.append(f"First errors ({run.version}, {run.processes} processes, {run.load}): {first}")
    return section
