"""What a benchmark run found, and how it is shown: a summary table on the terminal, docs/benchmarks.md.

Pure functions over plain data (no timing, no I/O except `write_markdown`), so the smoke test can
render a report made of fake numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

# A hand-written part of docs/benchmarks.md (findings, profiles) that a new run keeps as it is.
NOTES_START = "<!-- notes:start (kept by `make bench`: edit freely between these markers) -->"
NOTES_END = "<!-- notes:end -->"
DEFAULT_NOTES = "_No findings written yet._"


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100) by linear interpolation between closest ranks; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


@dataclass(frozen=True)
class Target:
    """A stated goal: `measured` must be at most `limit` (all targets here are upper bounds)."""

    name: str
    measured: float | None  # None: not measured in this run (skipped, or the peer could not run)
    limit: float
    unit: str  # "ms", "s", "×"
    why_missing: str = ""

    @property
    def met(self) -> bool | None:
        if self.measured is None or math.isnan(self.measured):
            return None
        return self.measured <= self.limit

    @property
    def verdict(self) -> str:
        return {True: "met", False: "MISSED", None: "not measured"}[self.met]


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[str]]
    title: str = ""


@dataclass
class Section:
    key: str
    title: str
    method: str  # how it was measured, in a paragraph of markdown
    tables: list[Table] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # observations of this run (peer missing, errors...)
    skipped: str = ""  # why the whole scenario did not run


@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    memory_gb: float
    os: str
    python: str
    sqlite: str
    node: str
    load_before: str  # load average when the run started: other work on the machine skews figures


@dataclass
class Report:
    mode: str  # "full" or "quick"
    started_at: str  # UTC, ISO 8601
    duration_s: float
    machine: Machine
    sections: list[Section] = field(default_factory=list)

    @property
    def targets(self) -> list[Target]:
        return [target for section in self.sections for target in section.targets]


def fmt(value: float | None, unit: str = "", digits: int | None = None) -> str:
    """A figure with sensible precision: 0.42 ms, 12.3 ms, 1 234 ms."""
    if value is None or math.isnan(value):
        return "–"
    if not unit and digits is None and float(value).is_integer():
        return f"{value:,.0f}"
    if digits is None:
        magnitude = abs(value)
        digits = 3 if magnitude < 1 else 2 if magnitude < 10 else 1 if magnitude < 100 else 0
    text = f"{value:,.{digits}f}"
    return f"{text} {unit}".rstrip() if unit and unit != "×" else f"{text}{unit}"


def target_row(target: Target) -> list[str]:
    measured = fmt(target.measured, target.unit)
    if target.met is None and target.why_missing:
        measured = f"– ({target.why_missing})"
    return [target.name, measured, f"≤ {fmt(target.limit, target.unit)}", target.verdict]


def _markdown_table(table: Table) -> str:
    lines = []
    if table.title:
        lines += [f"**{table.title}**", ""]
    lines.append("| " + " | ".join(table.columns) + " |")
    lines.append("| " + " | ".join("---" for _ in table.columns) + " |")
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in table.rows]
    return "\n".join(lines)


def _text_table(columns: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(columns, *rows, strict=False)]
    line = "  ".join("-" * width for width in widths)
    out = ["  ".join(cell.ljust(width) for cell, width in zip(columns, widths, strict=True)), line]
    out += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(out)


def render_summary(report: Report) -> str:
    """The terminal summary: every target, its figure and verdict, then the skipped scenarios."""
    rows = [target_row(target) for target in report.targets]
    out = [
        f"RouteCRM benchmarks ({report.mode} run, {report.duration_s:.0f} s, {report.machine.cores} cores)",
        _text_table(["target", "measured", "goal", "verdict"], rows),
    ]
    met = sum(target.met is True for target in report.targets)
    missed = sum(target.met is False for target in report.targets)
    out.append(f"{met} met, {missed} missed, {len(report.targets) - met - missed} not measured")
    out += [f"skipped: {section.title}: {section.skipped}" for section in report.sections if section.skipped]
    return "\n".join(out)


def render_markdown(report: Report, notes: str = DEFAULT_NOTES) -> str:
    machine = report.machine
    met = [target for target in report.targets if target.met is True]
    missed = [target for target in report.targets if target.met is False]
    unmeasured = [target for target in report.targets if target.met is None]
    verdict = f"**{len(met)} of {len(report.targets)} targets met.**"
    if missed:
        verdict += " Missed: " + "; ".join(f"{t.name} ({fmt(t.measured, t.unit)})" for t in missed) + "."
    if unmeasured:
        verdict += " Not measured: " + "; ".join(t.name for t in unmeasured) + "."
    parts = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`.venv/bin/python -m bench`); figures of the latest run. Timings are never"
        " part of the pass/fail tests. The machine is shared with other work: compare the ratios measured"
        " within one run rather than absolute figures across runs.",
        "",
        verdict,
        "",
        _markdown_table(Table(["target", "measured", "goal", "verdict"], [target_row(t) for t in report.targets])),
        "",
        "## Machine and run",
        "",
        f"- Run: {report.mode} mode, started {report.started_at}, took {report.duration_s:.0f} s",
        f"- CPU: {machine.cpu}, {machine.cores} cores; memory {machine.memory_gb:.1f} GB",
        f"- OS: {machine.os}; Python {machine.python}; SQLite {machine.sqlite}; Node {machine.node}",
        f"- Load average when the run started: {machine.load_before}",
        "",
        "## How to rerun",
        "",
        "```sh",
        "make bench                                # every scenario, full size (under 15 minutes on 2 cores)",
        ".venv/bin/python -m bench --quick         # smaller sizes, under 3 minutes; prints, writes no file",
        ".venv/bin/python -m bench --only store,sync --output /tmp/b.md   # some scenarios, elsewhere",
        "ROUTECRM_BENCH_DATABASE_URL=postgresql+psycopg://… make bench   # PostgreSQL runs on that database",
        "```",
        "",
        "The sync and load scenarios run on SQLite and then on PostgreSQL (`bench/postgres.py`): a throwaway"
        " cluster made with the installed server's `initdb` in a temporary folder (as the `postgres` user when"
        " run as root), on a unix socket only, with PostgreSQL's durable defaults (fsync and synchronous_commit"
        " on, as SQLite fsyncs every commit), a fresh database per run, all removed at the end. Sync: the same"
        " runs and its own floor; load: one run at full size (the shorter sweep runs are SQLite only). --quick"
        " does the same at its smaller sizes. Without a PostgreSQL server (Debian: `apt-get install postgresql`)"
        ' their PostgreSQL rows are missing and its targets read "not measured".',
        "",
        "`ROUTECRM_BENCH_DATABASE_URL` names a throwaway PostgreSQL database to use instead of the cluster:"
        " the sync and load scenarios drop and remake its `public` schema before each PostgreSQL run; the pages"
        " scenario, which otherwise runs on SQLite, builds its company there (kept for the next run, but"
        " rebuilt when the other scenarios have wiped it). The SQLite runs happen either way.",
        "",
        "The pages scenario builds its company of 5,000 customers and 200,000 visits once (under 2 minutes) and"
        " keeps it in `~/.cache/routecrm-bench` (`ROUTECRM_BENCH_CACHE`), rebuilt when a week old.",
        "",
        "The peer (`../shared/peers/pouchdb/run.sh`) needs `node` and `npm`; its first run installs"
        " pouchdb-server from the npm registry into `~/.cache/routecrm-peer-pouchdb`.",
        "",
        "## Findings",
        "",
        NOTES_START,
        notes.strip(),
        NOTES_END,
    ]
    for section in report.sections:
        parts += ["", f"## {section.title}", "", section.method.strip(), ""]
        if section.skipped:
            parts += [f"**Not run:** {section.skipped}", ""]
            continue
        for table in section.tables:
            parts += [_markdown_table(table), ""]
        if section.targets:
            rows = [target_row(target) for target in section.targets]
            parts += [_markdown_table(Table(["target", "measured", "goal", "verdict"], rows)), ""]
        parts += [f"- {note}" for note in section.notes]
        if section.notes:
            parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def kept_notes(existing: str) -> str:
    """The hand-written findings of an existing docs/benchmarks.md, or the default text."""
    match = re.search(re.escape(NOTES_START) + r"\n(.*?)\n?" + re.escape(NOTES_END), existing, re.DOTALL)
    return match.group(1).strip() if match and match.group(1).strip() else DEFAULT_NOTES


def write_markdown(report: Report, path: Path) -> None:
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(render_markdown(report, kept_notes(existing)), encoding="utf-8")
