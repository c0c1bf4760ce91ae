"""Every "now" and "today" of the product comes from one clock (shared.clock.Clock, installed per process by
server.clock and client.clock): no other product module reads the wall clock or the machine's time zone."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("client", "server", "sync", "shared")
THE_CLOCK = ROOT / "shared" / "clock.py"
# Reading these gives the machine's wall time or its zone (the company's zone is settings.TIMEZONE).
WALL_CLOCK = {
    "datetime.now",
    "datetime.utcnow",
    "datetime.today",
    "date.today",
    "time.time",
    "time.time_ns",
    "time.localtime",
    "time.ctime",
    "time.strftime",
    "time.mktime",
}


def dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def wall_clock_reads(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and any(dotted(node).endswith(name) for name in WALL_CLOCK):
            found.append(f"line {node.lineno}: {dotted(node)}")
        elif (  # astimezone() with no zone converts to the machine's zone
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "astimezone"
            and not node.args
            and not node.keywords
        ):
            found.append(f"line {node.lineno}: astimezone() in the machine's zone")
        elif (  # a timestamp read in the machine's zone
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "fromtimestamp"
            and len(node.args) < 2
            and not node.keywords
        ):
            found.append(f"line {node.lineno}: fromtimestamp() in the machine's zone")
    return found


def product_files() -> list[Path]:
    return sorted(path for package in PRODUCT for path in (ROOT / package).rglob("*.py") if path != THE_CLOCK)


@pytest.mark.parametrize(
    "source",
    ["dt.datetime.now(dt.UTC)", "date.today()", "x = time.time", "m.astimezone()", "dt.datetime.fromtimestamp(0)"],
)
def test_the_check_finds_wall_clock_reads(source: str) -> None:
    assert wall_clock_reads(source)


def test_the_check_passes_clock_reads_and_zone_conversions() -> None:
    source = "clock.now()\nm.astimezone(tz)\ntime.monotonic()\nsettings.clock.today()\nfromtimestamp(0, dt.UTC)"
    assert not wall_clock_reads(source)


def test_no_product_module_reads_the_wall_clock_but_the_clock() -> None:
    files = product_files()
    assert len(files) > 100
    offenders = {
        str(path.relative_to(ROOT)): reads
        for path in files
        if (reads := wall_clock_reads(path.read_text(encoding="utf-8")))
    }
    assert not offenders, f"read the time from the process clock (server.clock / client.clock): {offenders}"
