"""`python -m bench [--quick] [--only store,sync,load,scaleout,scale,pages,routes,link,pwa] [--output FILE]`.

Runs the scenarios in order, prints a summary table of the targets, and writes the figures to
docs/benchmarks.md (keeping the hand-written findings between its notes markers); a --quick run
writes a file only when given --output. Exit status 0 even
when a target is missed: figures are reported, never asserted; 1 only if a scenario could not run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench import (
    chain,
    changelog_scale,
    client_store,
    pages,
    pwa,
    route_order,
    scale_out,
    server_load,
    sync_throughput,
    village_link,
)
from bench.report import Machine, Report, Section, render_summary, write_markdown

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS: dict[str, tuple[str, Callable[[bool], Section]]] = {
    "store": ("1. Client store (the rep's phone)", client_store.run),
    "sync": ("2. Sync throughput, side by side", sync_throughput.run),
    "load": ("3. Server under load", server_load.run),
    "scaleout": ("3b. Writes that scale out: 1, 2 and 4 server processes on one PostgreSQL", scale_out.run),
    "scale": ("4. Incremental sync and the size of the change log", changelog_scale.run),
    "pages": ("5. Supervisor pages with 5,000 customers", pages.run),
    "routes": ("6. The order of a rep's day", route_order.run),
    "link": ("7. Sync over a village link", village_link.run),
    "chain": ("8. Signing the push path (issue #17)", chain.run),
    "pwa": ("9. The rep's app as a PWA", pwa.run),
}


def machine() -> Machine:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    try:
        node = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except OSError:
        node = "not installed"
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                pretty = line.split("=", 1)[1].strip().strip('"')
                os_name = f"{pretty} ({platform.release()})"
    except OSError:
        pass
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return Machine(
        cpu=cpu,
        cores=os.cpu_count() or 0,
        memory_gb=memory_gb,
        os=os_name,
        python=platform.python_version(),
        sqlite=sqlite3.sqlite_version,
        node=node or "not installed",
        load_before=f"{load} (1, 5, 15 min)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer runs (under 3 minutes)")
    parser.add_argument("--only", default=",".join(SCENARIOS), help=f"comma-separated: {', '.join(SCENARIOS)}")
    parser.add_argument(
        "--output", type=Path, help="the markdown to write (default: docs/benchmarks.md; none for --quick)"
    )
    args = parser.parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so the servers and PostgreSQL clusters the scenarios started are stopped.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {unknown[0]!r}; choose from {', '.join(SCENARIOS)}")

    started = time.perf_counter()
    report = Report(
        mode="quick" if args.quick else "full",
        started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        duration_s=0.0,
        machine=machine(),
    )
    failed = False
    for name in chosen:
        title, scenario = SCENARIOS[name]
        print(f"== {title} ...", flush=True)
        scenario_started = time.perf_counter()
        try:
            section = scenario(args.quick)
        except Exception as error:  # one broken scenario must not hide the figures of the others
            traceback.print_exc()
            section = Section(key=name, title=title, method="", skipped=f"failed: {type(error).__name__}: {error}")
            failed = True
        print(f"   done in {time.perf_counter() - scenario_started:.0f} s", flush=True)
        report.sections.append(section)
    report.duration_s = time.perf_counter() - started

    print()
    print(render_summary(report))
    output = args.output or (None if args.quick else ROOT / "docs" / "benchmarks.md")
    if output is not None:  # a quick run never overwrites the full run's figures unless asked to
        output.parent.mkdir(parents=True, exist_ok=True)
        write_markdown(report, output)
        print(f"\nwritten: {output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
