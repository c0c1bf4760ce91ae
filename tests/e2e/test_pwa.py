"""The rep's app as an offline PWA (issue #21, docs/pwa.md), served by the real server process at /app/ and run
in headless Chromium: Python runs in the browser (Pyodide), there is no app process.

The app renders its sign-in screen; Chromium's installability check finds nothing missing; the rep signs in
(over fetch to /api/ on the same origin, through a loopback proxy the test can slow down), sets a PIN and sees
the day's route after the first sync; offline, the rep records a visit with an order and a photo picked in the
browser's file chooser; a reload, still offline, starts the app from our service worker's cache and the PIN
opens the store kept in IndexedDB with the visit in it; back online, the app syncs by itself, the supervisor's
board counts the visit and the order and the server holds the photo's bytes; while the link holds a sync
request the app still answers a tap; a new
build on the server replaces the app's cache at the next start, and the start after runs it with the store
intact. The build is made once per session (scripts/build_pwa.py, about 2 s). The load times are written to
test-artifacts/pwa-times.json (measured, never asserted: docs/benchmarks.md)."""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import io
import json
import re
import time
from collections.abc import Iterator, Sequence
from hashlib import sha256
from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from tests.e2e import rep_app
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, Service, attempt_name, company_now, log_of
from tests.e2e.slow_link import SlowLink
from tests.e2e.test_check_in_location import WANGDU
from tests.e2e.test_offline_visit_reaches_supervisor import SYNC_WAIT_MS, board_numbers, supervisor_sign_in
from tests.e2e.test_visit_with_order import rows

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SIGN_IN_HINT = "首次登录需要联网；之后离线也能使用。"
CACHE_NAMES = "async () => (await caches.keys()).filter((name) => name.startsWith('routecrm-app-'))"
NEW_BUILD_MARKER = "// the next build"
LOCATED_AHEAD = f"已取得位置（±{WANGDU['accuracy']} 米）"


# The service worker is active once every file of the build is in its cache (install precaches, then activates).
SERVICE_WORKER_ACTIVE = "async () => !!(await navigator.serviceWorker.getRegistration())?.active"


def wait_until(page: Page, predicate: str, timeout_s: float = 60) -> None:
    """Poll an async predicate in the page (page.wait_for_function takes a pending promise for true)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(predicate):
        assert time.monotonic() < deadline, f"not true within {timeout_s:.0f} s: {predicate}"
        page.wait_for_timeout(250)


def build_script() -> ModuleType:
    """scripts/build_pwa.py as a module (its write_service_worker rewrites sw.js after a file changes)."""
    spec = importlib.util.spec_from_file_location("build_pwa", ROOT / "scripts" / "build_pwa.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def server_env(server_env: dict[str, str], pwa_dir: Path) -> dict[str, str]:
    return {**server_env, "PWA_DIR": str(pwa_dir)}


@contextlib.contextmanager
def pwa_phone(
    browser: Browser,
    artifacts: Path,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    *,
    extra_args: Sequence[str] = (),
    permissions: Sequence[str] = ("geolocation",),
) -> Iterator[BrowserContext]:
    """A browser profile on disk, as on a phone: an incognito context (Playwright's default) is never
    installable (Chromium reports `in-incognito`). Chromium plays the phone's GPS (tests/e2e/test_check_in_location.py).

    The app's Python runs in the browser: its log is the browser's console, kept as the test's client log (a
    failed test's report shows its end: conftest.py `pytest_runtest_makereport`), without the fallback fonts
    Flutter asks for and the build does not hold (docs/pwa.md)."""
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "chromium-profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=[*CHROMIUM_ARGS, *extra_args],
        viewport={"width": 360, "height": 740},
        locale="zh-CN",
        service_workers="allow",
        geolocation=WANGDU,
        permissions=list(permissions),
    )
    with log_of(artifacts, request, "client").open("w", encoding="utf-8", buffering=1) as console:

        def keep(message: ConsoleMessage) -> None:
            if "assets/fonts/" not in message.text and "Failed to load resource" not in message.text:
                console.write(f"{message.type}: {message.text}\n")

        context.on("console", keep)
        context.on("weberror", lambda error: console.write(f"error: {error.error}\n"))
        yield context
        for page in context.pages:
            page.screenshot(path=str(artifacts / f"{attempt_name(request)}-end.png"))
        context.close()


@pytest.fixture
def phone_context(
    browser: Browser, artifacts: Path, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[BrowserContext]:
    with pwa_phone(browser, artifacts, request, tmp_path) as context:
        yield context


@pytest.fixture
def slow_link(server_url: str) -> Iterator[SlowLink]:
    """The phone reaches the server through a loopback proxy that the test can slow down (a crawling link)."""
    with SlowLink(server_url).serving() as link:
        yield link


def started(page: Page, first_screen: str) -> float:
    """Wait for the app's first screen (Flutter's semantics switched on to read it); seconds it took."""
    began = time.monotonic()
    page.wait_for_function("() => window.flet && window.flet.flutterApp", timeout=60_000)
    placeholder = page.locator("flt-semantics-placeholder")
    placeholder.wait_for(state="attached", timeout=30_000)
    placeholder.dispatch_event("click")
    expect(page.get_by_text(first_screen)).to_be_visible(timeout=60_000)  # Python started and drew the screen
    return time.monotonic() - began


def a_small_photo(path: Path) -> bytes:
    image = Image.effect_noise((160, 120), 60).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    path.write_bytes(out.getvalue())
    return out.getvalue()


def test_pwa_installs_signs_in_and_works_offline(
    tmp_path: Path,
    server: Service,
    server_url: str,
    slow_link: SlowLink,
    phone_context: BrowserContext,
    browser: Browser,
    artifacts: Path,
    pwa_dir: Path,
) -> None:
    supervisor = browser.new_context(locale="zh-CN").new_page()
    supervisor_sign_in(supervisor, server_url)
    before = board_numbers(supervisor, "li.rep")

    page = phone_context.pages[0] if phone_context.pages else phone_context.new_page()
    began = time.monotonic()
    app_url = slow_link.url  # the phone's way to the server (the page's origin): the slow link
    page.goto(f"{app_url}/app/")
    started(page, SIGN_IN_HINT)
    first_load = time.monotonic() - began

    # Our service worker has precached the app (it is active only once every file is in its cache).
    wait_until(page, SERVICE_WORKER_ACTIVE)
    cdp = phone_context.new_cdp_session(page)
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == [], manifest["errors"]
    assert manifest["url"] == f"{app_url}/app/manifest.webmanifest"

    # Sign in against /api/ on the same origin (XHR from Python; the server address is the page's origin), set
    # the PIN (Argon2id by hash-wasm, the store sealed by WebCrypto); the first sync brings the rep's day.
    rep_app.signs_in(page, "li.rep", new_phone=True)
    stops = rep_app.unvisited_stops(page)

    # Offline: a visit with an order and a photo, kept in the store on IndexedDB. The photo is picked in the
    # browser's file chooser and its bytes handed to Python (FilePicker with_data; no app process here).
    phone_context.set_offline(True)
    rep_app.wait_offline(page)
    photo_path = tmp_path / "门头照片.jpg"
    photo = a_small_photo(photo_path)

    def add_photo() -> None:
        with page.expect_file_chooser(timeout=15_000) as chooser:
            rep_app.tap(page, "添加照片")
        chooser.value.set_files(str(photo_path))
        expect(page.get_by_text("照片已保存（待上传）")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("照片 1 · 待上传")).to_be_visible()

    # Chromium plays the GPS (WANGDU): the app asks for the position when the visit form opens, says when it has
    # one, and 签到 takes it (client/shell/app.py `locate_ahead`).
    visited = rep_app.record_visit(
        page, stops[0], person="王院长", ordered_amount="860", before_check_out=add_photo, located=LOCATED_AHEAD
    )
    rep_app.back_to_today(page)
    expect(rep_app.stop_button(page, stops[0])).to_have_accessible_name(re.compile("已进货$"))

    # Still offline, the app starts again from the service worker's cache, and the PIN opens the store: the
    # visit is there, waiting to be synced.
    began = time.monotonic()
    page.reload()
    started(page, "输入 PIN 码解锁")
    offline_reload = time.monotonic() - began
    assert page.evaluate("() => !!navigator.serviceWorker.controller")  # served by our worker, not the network
    rep_app.unlock(page)
    expect(rep_app.stop_button(page, stops[0])).to_have_accessible_name(re.compile(f"{visited} .*已进货$"))
    expect(rep_app.pending_count(page)).not_to_have_text("待同步 0")
    expect(page.get_by_text("照片待上传 1")).to_be_visible()

    # Online again: the app syncs by itself and the supervisor's board counts the visit and its order.
    phone_context.set_offline(False)
    expect(page.get_by_text("待同步 0")).to_be_visible(timeout=SYNC_WAIT_MS)
    supervisor.reload()
    after = board_numbers(supervisor, "li.rep")
    assert after["visited-on-route"] == before["visited-on-route"] + 1
    assert after["ordered-on-route"] == before["ordered-on-route"] + 1
    # The browser runs on the real hour, the server on the tests' shifted one: the app learnt the server's time at
    # its first sync, kept it across the offline restart, and stamped the visit with it (client/clock.py).
    (visit,) = rows(tmp_path / "server.db", "select * from visits where person_met = ?", "王院长")
    assert abs(dt.datetime.fromisoformat(visit["check_in_at"]) - company_now()) < dt.timedelta(minutes=10)
    # The check-in carries the position the browser gave, made offline, as the server stored it.
    position = (visit["check_in_lat"], visit["check_in_lng"], visit["check_in_accuracy"])
    assert position == pytest.approx((WANGDU["latitude"], WANGDU["longitude"], WANGDU["accuracy"]), abs=1e-6)
    # The photo's bytes went up after the records, as from the native app: the server holds the same bytes.
    expect(page.get_by_text(re.compile(r"^照片待上传"))).not_to_be_visible(timeout=SYNC_WAIT_MS)
    (stored,) = rows(tmp_path / "server.db", "select * from visit_photos where sha256 = ?", sha256(photo).hexdigest())
    assert stored["uploaded_at"] and stored["content_type"] == "image/jpeg" and stored["size"] == len(photo)

    # A sync over a crawling link does not freeze the screen: while the link holds a sync request (fetch,
    # awaited with the Python stack suspended), the app still answers a tap (a stop opens); released, the sync
    # ends and the app goes back to Today.
    slow_link.hold()
    rep_app.tap(page, "立即同步")
    deadline = time.monotonic() + 10
    while slow_link.held == 0:
        assert time.monotonic() < deadline, "the sync's request never reached the slow link"
        page.wait_for_timeout(100)
    rep_app.stop_button(page, stops[1]).click()
    expect(page.get_by_role("button", name="开始拜访")).to_be_visible(timeout=10_000)
    assert slow_link.held > 0, "the sync's request was answered before the app answered the tap"
    slow_link.release()
    rep_app.back_to_today(page)
    expect(page.get_by_text("同步中…")).to_have_count(0, timeout=SYNC_WAIT_MS)

    # A new server version: the server's build changes (one file edited and sw.js rewritten, as a new `make pwa`
    # does). The next start fetches sw.js, installs the new version and drops the old cache; the start after
    # that runs the new files, and the store is untouched.
    old_caches = page.evaluate(CACHE_NAMES)
    with (pwa_dir / "boot-1.js").open("a", encoding="utf-8") as boot:
        boot.write(NEW_BUILD_MARKER + "\n")
    new_version = build_script().write_service_worker(pwa_dir)[0]
    assert [f"routecrm-app-{new_version}"] != old_caches
    page.reload()
    started(page, "输入 PIN 码解锁")
    wait_until(page, f"async () => (await ({CACHE_NAMES})()).join() === 'routecrm-app-{new_version}'")
    page.reload()
    started(page, "输入 PIN 码解锁")
    assert page.evaluate(f"async () => (await (await fetch('boot-1.js')).text()).includes('{NEW_BUILD_MARKER}')")
    rep_app.unlock(page)
    expect(rep_app.stop_button(page, stops[0])).to_have_accessible_name(re.compile(f"{visited} .*已进货$"))
    (artifacts / "pwa-times.json").write_text(
        json.dumps({"first_load_s": round(first_load, 2), "offline_reload_s": round(offline_reload, 2)}) + "\n"
    )


def test_a_browser_killed_while_the_app_saves_keeps_every_save_it_acknowledged(
    server_url: str, browser: Browser
) -> None:
    """The app's own store (client/storage/journal.py) commits in a loop in the browser, each commit announced once
    it returned (what the app shows as 已保存); every process of the browser is killed (SIGKILL) mid-loop, the
    browser started again on the same profile, and the journal read back: nothing acknowledged is missing.
    (bench/pwa.py runs the same kill and reports it; here it is asserted.)"""
    from bench.pwa import kill_during_saves

    ((shown, kept),) = kill_during_saves(server_url, rounds=1, chromium=browser.browser_type)
    assert shown > 0, "no save was acknowledged before the kill"
    assert kept >= shown, f"{shown} saves were acknowledged, only {kept} were kept"
