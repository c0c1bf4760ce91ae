"""The benchmark's report code on made-up figures: imported, rendered, notes kept. No timing is asserted."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bench.__main__ import SCENARIOS
from bench.report import (
    DEFAULT_NOTES,
    Machine,
    Report,
    Section,
    Table,
    Target,
    kept_notes,
    percentile,
    render_markdown,
    render_summary,
    write_markdown,
)


def fake_report() -> Report:
    machine = Machine("Fake CPU", 2, 3.9, "Debian", "3.11.9", "3.40.1", "v20.0.0", "0.10, 0.20, 0.30 (1, 5, 15 min)")
    store = Section(
        key="store",
        title="1. Client store",
        method="Fake method.",
        tables=[Table(["operation", "p95"], [["save", "0.42 ms"], ["pipe | in cell", "1 ms"]], title="Saves")],
        targets=[
            Target("save p95", 0.42, 5.0, "ms"),
            Target("cold start", 2.0, 1.5, "s"),
            Target("push ÷ peer", None, 0.5, "×", why_missing="peer did not run"),
        ],
        notes=["A note."],
    )
    skipped = Section(key="scale", title="4. Scale", method="Fake.", skipped="skipped in --quick")
    return Report("quick", "2026-11-27T01:00:00+00:00", 42.0, machine, [store, skipped])


def test_percentile_interpolates_and_handles_edges() -> None:
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([1.0, 2.0], 50) == 1.5
    assert percentile([5.0], 99) == 5.0
    assert math.isnan(percentile([], 50))


def test_targets_say_met_missed_or_not_measured() -> None:
    verdicts = [target.verdict for target in fake_report().targets]
    assert verdicts == ["met", "MISSED", "not measured"]


def test_summary_and_markdown_show_every_target_and_the_skipped_scenario() -> None:
    report = fake_report()
    summary = render_summary(report)
    assert "1 met, 1 missed, 1 not measured" in summary
    assert "skipped: 4. Scale" in summary
    markdown = render_markdown(report)
    assert "**1 of 3 targets met.**" in markdown
    assert "Missed: cold start (2.00 s)" in markdown
    assert "| save p95 | 0.420 ms | ≤ 5.00 ms | met |" in markdown
    assert "pipe \\| in cell" in markdown
    assert "– (peer did not run)" in markdown
    assert "**Not run:** skipped in --quick" in markdown
    assert "Fake CPU, 2 cores" in markdown


def test_hand_written_findings_survive_a_new_run(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.md"
    write_markdown(fake_report(), path)
    assert kept_notes(path.read_text(encoding="utf-8")) == DEFAULT_NOTES
    path.write_text(render_markdown(fake_report(), "The push is dominated by X."), encoding="utf-8")
    write_markdown(fake_report(), path)
    assert "The push is dominated by X." in path.read_text(encoding="utf-8")


def test_every_scenario_is_registered() -> None:
    assert list(SCENARIOS) == ["store", "sync", "load", "scaleout", "scale", "pages", "routes", "link", "chain", "pwa"]


def test_the_chain_section_runs_its_variants_on_a_few_ops() -> None:
    """Issue #17's before/after of the push path, on 5 ops: every variant pushed, figures only (none asserted)."""
    from bench.chain import run

    section = run(quick=True, count=5)
    assert [row[0] for row in section.tables[0].rows] == [
        "push path, before (no chain)",
        "push path, after, unsigned ops (old app)",
        "push path, after, signed ops",
        "check_push alone, 5 signed ops",
    ]
    assert len(section.tables[1].rows) == 2


def test_without_postgresql_the_scenarios_say_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench import postgres

    monkeypatch.delenv(postgres.DATABASE_ENV, raising=False)
    monkeypatch.setattr(postgres, "find_bindir", lambda: None)
    with pytest.raises(postgres.PostgresMissing) as missing, postgres.databases():
        pass
    note, why = postgres.failure(missing.value)
    assert note == postgres.NOT_INSTALLED and why == "PostgreSQL not installed"
    broken_note, broken_why = postgres.failure(RuntimeError("initdb failed"))
    assert "initdb failed" in broken_note and broken_why == "PostgreSQL run failed"


def test_the_village_link_section_renders_its_figures_and_targets() -> None:
    from bench.link import EDGE, VILLAGE, LinkStats
    from bench.village_link import LinkRuns, PhoneRun, section

    def phone(seconds: float) -> PhoneRun:
        stats = LinkStats(connections=1, bytes={"up": 1_000, "down": 50_000})
        return PhoneRun(seconds, 1, 3, 0, 1_200, 1_200, 60 * 2**20, 38 * 2**20, 0, 1.5, 55 * 2**20, stats)

    runs = [LinkRuns(profile, phone(40.0), phone(2.0), phone(3.0)) for profile in (VILLAGE, EDGE)]
    rendered = section(runs, (100, 100, 1_000), 20)
    verdicts = {target.name: target.verdict for target in rendered.targets}
    assert verdicts["link: first sync on VILLAGE"] == "met"
    assert verdicts["link: phone peak memory, first sync on EDGE"] == "met"
    assert verdicts["link: first sync on EDGE ÷ peer"] == "not measured"
    assert "VILLAGE: first sync" in rendered.tables[0].rows[0][0]
