"""The rep's app as a PWA (docs/pwa.md): its build, its size, and how long it takes to start in Chromium.

`scripts/build_pwa.py` builds it into a temporary folder (timed); the real server serves it at /app/ (demo data);
headless Debian Chromium (/usr/bin/chromium, a new profile on disk per round) opens /app/ and waits for the
sign-in screen (the first load: Flutter, Pyodide, the app's Python started and drawn, while our service worker
downloads its precache), waits for the service worker to be active, goes offline and reloads (the cold start
offline, everything from the service worker's cache). Figures are medians of the rounds; nothing is asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import Section, Table, Target, fmt, percentile
from bench.server_process import ROOT, running_server, server_dir

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--enable-unsafe-swiftshader", "--disable-background-networking"]
SIGN_IN_HINT = "首次登录需要联网；之后离线也能使用。"
FIRST_LOAD_TARGET_S = 15.0  # on loopback: the measurement was about 9 s
OFFLINE_START_TARGET_S = 10.0


def build(out: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_pwa.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def _started(page: object, timeout_ms: int = 120_000) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.wait_for_function("() => window.flet && window.flet.flutterApp", timeout=timeout_ms)
    placeholder = page.locator("flt-semantics-placeholder")
    placeholder.wait_for(state="attached", timeout=timeout_ms)
    placeholder.dispatch_event("click")
    expect(page.get_by_text(SIGN_IN_HINT)).to_be_visible(timeout=timeout_ms)


def time_starts(base_url: str, rounds: int) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    first, offline = [], []
    with sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="routecrm-pwa-bench-") as profiles:
        for index in range(rounds):
            context = playwright.chromium.launch_persistent_context(
                f"{profiles}/{index}",
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": 360, "height": 740},
                locale="zh-CN",
            )
            try:
                page = context.pages[0] if context.pages else context.new_page()
                began = time.perf_counter()
                page.goto(f"{base_url}/app/")
                _started(page)
                first.append(time.perf_counter() - began)
                deadline = time.monotonic() + 120  # active once the whole build is precached
                while not page.evaluate("async () => !!(await navigator.serviceWorker.getRegistration())?.active"):
                    if time.monotonic() > deadline:
                        raise TimeoutError("the service worker did not become active within 120 s")
                    page.wait_for_timeout(250)
                context.set_offline(True)
                began = time.perf_counter()
                page.reload()
                _started(page)
                offline.append(time.perf_counter() - began)
            finally:
                context.close()
    return first, offline


def run(quick: bool) -> Section:
    rounds = 1 if quick else 3
    section = Section(
        key="pwa",
        title="9. The rep's app as a PWA",
        method=(
            "`scripts/build_pwa.py` (`make pwa`) builds the PWA into a temporary folder, timed; the real server"
            " (`python -m server serve`, demo data, SQLite) serves it at /app/ on loopback. Headless Debian"
            f" Chromium, a new profile on disk per round ({rounds} rounds), 360×740: the first load is from"
            " `goto /app/` until the sign-in screen's text is in Flutter's semantics tree (Flutter and CanvasKit,"
            " Pyodide, the app archive unpacked and the app's Python imported and drawn; meanwhile the service"
            " worker downloads its precache); then, the service worker active, the browser context goes"
            " offline and the page is reloaded: the cold start offline, every file from the service worker's"
            " cache, until the sign-in screen again. Medians of the rounds. Not measured yet: a save's p95 in"
            " the browser (journal line, WebCrypto seal and IndexedDB flush)."
        ),
    )
    if not Path(CHROMIUM).exists():
        section.skipped = f"{CHROMIUM} is not installed"
        return section
    with tempfile.TemporaryDirectory(prefix="routecrm-pwa-build-") as folder:
        out = Path(folder) / "pwa"
        built = build(out)
        with server_dir() as directory:
            directory.extra_env["PWA_DIR"] = str(out)
            directory.cli("seed-demo")
            with running_server(directory) as server:
                first, offline = time_starts(server.base_url, rounds)
    mib = 1024 * 1024
    section.tables.append(
        Table(
            ["", ""],
            [
                ["build time (`make pwa`)", fmt(built["seconds"], "s")],
                ["files precached by the service worker", f"{built['files']:,.0f}"],
                ["bytes precached (the whole build: what a first start downloads)", f"{built['bytes'] / mib:.1f} MiB"],
                [
                    "of which the app archive (client, sync, shared, pure-Python packages)",
                    f"{built['app_archive_bytes'] / mib:.2f} MiB",
                ],
                ["first load, until the sign-in screen (median)", fmt(percentile(first, 50), "s")],
                ["cold start offline, until the sign-in screen (median)", fmt(percentile(offline, 50), "s")],
                [
                    "rounds (first load / offline)",
                    ", ".join(f"{a:.1f} / {b:.1f} s" for a, b in zip(first, offline, strict=True)),
                ],
            ],
            title="Build and start on loopback",
        )
    )
    section.targets += [
        Target("PWA first load on loopback (median)", percentile(first, 50), FIRST_LOAD_TARGET_S, "s"),
        Target("PWA cold start offline (median)", percentile(offline, 50), OFFLINE_START_TARGET_S, "s"),
    ]
    return section
