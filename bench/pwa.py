"""The rep's app as a PWA (docs/pwa.md): its build, its size, and how long it takes to start in Chromium.

`scripts/build_pwa.py` builds it into a temporary folder (timed); the real server serves it at /app/ (demo data);
headless Debian Chromium (/usr/bin/chromium, a new profile on disk per round) opens /app/ and waits for the
sign-in screen (the first load: Flutter, Pyodide, the app's Python started and drawn, while our service worker
downloads its precache), waits for the service worker to be active, goes offline and reloads (the cold start
offline, everything from the service worker's cache). Figures are medians of the rounds; nothing is asserted.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.report import Section, Table, Target, fmt, percentile
from bench.server_process import ROOT, running_server, server_dir

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--enable-unsafe-swiftshader", "--disable-background-networking"]
SIGN_IN_HINT = "首次登录需要联网；之后离线也能使用。"
SAVE_TARGET_MS = 200.0  # a save is shown as 已保存 when its commit returns (the same goal as the native app)
SAVES = 40  # timed saves per journal length
LONG_JOURNAL_LINES = 1_000  # a day offline: the journal is compacted after 5,000 lines, after a sync
KILL_ROUNDS = 3
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


# Run in the app's own Python (the Flet worker's Pyodide) once the app has started: the store's real commit path
# (client/storage/journal.py) on the real IndexedDB mount, sealed by WebCrypto, flushed by IDBFS.
SAVE_TIMING = """
import json, os, time
from client import browser
from client.storage import files
from client.storage.journal import JournalStorage, _dumps
from client.storage.vault import StoreCipher

folder = browser.DURABLE_FOLDER / "bench-saves"
cipher = StoreCipher.new()
storage = JournalStorage(folder, cipher)
visit = {"id": "0" * 26, "customer_id": "1" * 26, "kind": "visit", "person_met": "王院长",
         "purpose": "了解库存，介绍新品", "outcome": "positive", "ordered": True, "order_amount": "860.00",
         "note": "店里忙，下周三再来看看新品的陈列。" * 3, "checked_in_at": "2026-12-07T09:31:00+08:00",
         "checked_out_at": "2026-12-07T09:52:00+08:00", "position": [38.52, 115.04], "seq": 0}

def one_save(i):
    change = [("put", "visits", f"v{i}", {**visit, "seq": i})]
    began = time.perf_counter()
    storage.commit(change)
    return (time.perf_counter() - began) * 1000

def parts(i):
    payload = _dumps([("put", "visits", f"v{i}", {**visit, "seq": i})])
    began = time.perf_counter()
    cipher.seal(payload, b"line")
    sealed = (time.perf_counter() - began) * 1000
    with open(folder / "scratch", "ab") as scratch:
        scratch.write(b"x" * 1400)
    began = time.perf_counter()
    browser.flush_durable_folder(folder)
    return sealed, (time.perf_counter() - began) * 1000

result = {}
result["short"] = [one_save(i) for i in range(SAVES)]
result["parts"] = [parts(i) for i in range(SAVES)]
files.set_durability_hook(None)  # fill the journal fast, then one flush
for i in range(LONG_LINES):
    storage.commit([("put", "visits", f"w{i}", {**visit, "seq": i})])
files.set_durability_hook(browser.flush_durable_folder)
browser.flush_durable_folder(folder)
result["journal_bytes"] = os.path.getsize(folder / "journal.sealed")
result["long"] = [one_save(LONG_LINES + i) for i in range(SAVES)]
storage.close()
for path in folder.iterdir():
    path.unlink()
folder.rmdir()
browser.flush_durable_folder(folder)
json.dumps(result)
"""

# Saves in a loop, each announced on the console once its commit returned (what the app shows as 已保存); the
# browser is killed during the loop, then the journal is opened again (same key) and its lines counted.
KILL_SAVES = """
import asyncio, js
from client import browser
from client.storage.journal import JournalStorage
from client.storage.vault import StoreCipher

storage = JournalStorage(browser.DURABLE_FOLDER / "bench-kill", StoreCipher(bytes.fromhex(KEY)))

async def saves():
    for i in range(100_000):
        storage.commit([("put", "visits", f"k{i}", {"seq": i, "note": "x" * 600})])
        js.console.log(f"routecrm-saved {i + 1}")
        await asyncio.sleep(0)

saver = asyncio.get_event_loop().create_task(saves())
None  # not the task: runPythonAsync's caller would await it
"""
KILL_COUNT = """
from client import browser
from client.storage.journal import JournalStorage
from client.storage.vault import StoreCipher

storage = JournalStorage(browser.DURABLE_FOLDER / "bench-kill", StoreCipher(bytes.fromhex(KEY)))
kept = storage.journal_lines
storage.close()
kept
"""


RUN_PYTHON = "async (code) => { const r = await self.pyodide.runPythonAsync(code); return r && r.toJs ? r.toJs() : r; }"


def app_worker(page: object) -> object:
    """The Flet worker running the app's Python (Pyodide is its `self.pyodide`)."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    for worker in page.workers:
        if "python-worker" in worker.url:
            return worker
    raise RuntimeError(f"no Python worker among {[w.url for w in page.workers]}")


def run_python(page: object, code: str) -> object:
    from playwright.sync_api import Worker

    worker = app_worker(page)
    assert isinstance(worker, Worker)
    return worker.evaluate(
        "async (code) => { const r = await self.pyodide.runPythonAsync(code); return r && r.toJs ? r.toJs() : r; }",
        code,
    )


def time_saves(page: object) -> dict[str, Any]:
    code = f"SAVES = {SAVES}\nLONG_LINES = {LONG_JOURNAL_LINES}\n" + SAVE_TIMING
    result: dict[str, Any] = json.loads(str(run_python(page, code)))
    return result


def browser_pids(profile: str) -> list[int]:
    """Chromium's processes for this profile (ours: the profile folder is this run's own)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if f"--user-data-dir={profile}" in command:
                pids.append(int(entry.name))
    return pids


def kill_during_saves(base_url: str, rounds: int, chromium: object = None) -> list[tuple[int, int]]:
    """(saves shown as saved, lines found after the kill) per round: nothing shown may be missing. `chromium` is a
    Playwright BrowserType already running (a test's); without it, Playwright is started here."""
    from playwright.sync_api import BrowserType, sync_playwright

    if chromium is None:
        with sync_playwright() as playwright:
            return kill_during_saves(base_url, rounds, playwright.chromium)
    assert isinstance(chromium, BrowserType)
    import os
    import random
    import secrets
    import signal

    found = []
    with tempfile.TemporaryDirectory(prefix="routecrm-pwa-kill-") as profiles:
        for index in range(rounds):
            profile, key = f"{profiles}/{index}", secrets.token_hex(32)
            context = chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(f"{base_url}/app/")
            _started(page)
            acknowledged = [0]

            def on_console(message: object, acknowledged: list[int] = acknowledged) -> None:
                text = str(getattr(message, "text", ""))
                if text.startswith("routecrm-saved "):
                    acknowledged[0] = max(acknowledged[0], int(text.split()[1]))

            context.on("console", on_console)
            run_python(page, f"KEY = {key!r}\n" + KILL_SAVES)
            page.wait_for_timeout(1500 + random.randint(0, 1000))
            for pid in browser_pids(profile):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            shown = acknowledged[0]
            with contextlib.suppress(Exception):
                context.close()
            context = chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            try:
                page = context.pages[0] if context.pages else context.new_page()
                page.goto(f"{base_url}/app/")
                _started(page)
                found.append((shown, int(str(run_python(page, f"KEY = {key!r}\n" + KILL_COUNT)))))
            finally:
                context.close()
    return found


def time_starts(base_url: str, rounds: int) -> tuple[list[float], list[float], dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    first, offline = [], []
    saves: dict[str, Any] = {}
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
                if index == 0:
                    saves = time_saves(page)
            finally:
                context.close()
    return first, offline, saves


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
            " cache, until the sign-in screen again. Medians of the rounds. A save in the browser: in the first"
            " round, the app's own Python (the Flet worker's Pyodide, through Playwright) commits visits to a"
            " store journal of its own on the app's IndexedDB mount (`JournalStorage.commit`: the line sealed by"
            f" WebCrypto, appended, the mount flushed to IndexedDB), {SAVES} saves on a new journal and {SAVES}"
            f" after {LONG_JOURNAL_LINES:,} lines; the seal and the flush are also timed alone. The kill: a"
            " new profile, the app started, saves in a loop, each announced on the console once its commit"
            " returned (what the app shows as 已保存); after 1.5 to 2.5 s every process of that browser is"
            " killed (SIGKILL), the browser started again on the same profile, and the journal's lines counted."
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
                first, offline, saves = time_starts(server.base_url, rounds)
                killed = kill_during_saves(server.base_url, 1 if quick else KILL_ROUNDS)
    mib = 1024 * 1024
    section.tables.append(
        Table(
            ["", ""],
            [
                ["build time (`make pwa`)", fmt(built["seconds"], "s")],
                ["files in the build", f"{built['files']:,.0f}"],
                ["bytes in the build (served at /app/)", f"{built['bytes'] / mib:.1f} MiB"],
                [
                    "bytes precached by the service worker in Chromium (what a first start downloads)",
                    f"{built['precached_bytes'] / mib:.1f} MiB in {built['precached_files']:,.0f} files",
                ],
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
    short = [float(ms) for ms in saves["short"]]
    long = [float(ms) for ms in saves["long"]]
    sealed = [float(pair[0]) for pair in saves["parts"]]
    flushed = [float(pair[1]) for pair in saves["parts"]]
    journal_kib = float(saves["journal_bytes"]) / 1024
    quantiles = (50, 95, 100)
    section.tables.append(
        Table(
            ["", "p50", "p95", "max"],
            [
                [f"a save, new journal ({SAVES} saves)", *(fmt(percentile(short, q), "ms") for q in quantiles)],
                [
                    f"a save after {LONG_JOURNAL_LINES:,} lines ({journal_kib:,.0f} KiB journal; {SAVES} saves)",
                    *(fmt(percentile(long, q), "ms") for q in quantiles),
                ],
                [
                    "of a save: the WebCrypto seal of the line",
                    *(fmt(percentile(sealed, q), "ms") for q in (50, 95, 100)),
                ],
                [
                    "of a save: the IndexedDB flush (IDBFS syncfs, one changed file)",
                    *(fmt(percentile(flushed, q), "ms") for q in (50, 95, 100)),
                ],
            ],
            title="A save in the browser (the store's commit: journal line, WebCrypto seal, IndexedDB flush)",
        )
    )
    section.tables.append(
        Table(
            ["round", "saves shown as saved before the kill", "lines found after it", "lost"],
            [[str(i + 1), str(shown), str(kept), str(max(0, shown - kept))] for i, (shown, kept) in enumerate(killed)],
            title="The browser killed (SIGKILL) while saves run: what the store kept",
        )
    )
    section.targets += [
        Target("PWA save p95, new journal", percentile(short, 95), SAVE_TARGET_MS, "ms"),
        Target(f"PWA save p95 after {LONG_JOURNAL_LINES:,} lines", percentile(long, 95), SAVE_TARGET_MS, "ms"),
        Target("PWA first load on loopback (median)", percentile(first, 50), FIRST_LOAD_TARGET_S, "s"),
        Target("PWA cold start offline (median)", percentile(offline, 50), OFFLINE_START_TARGET_S, "s"),
    ]
    return section
