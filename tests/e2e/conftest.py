"""Real processes for end-to-end tests: the sync server, the rep's app (Flet, browser mode) and
headless Debian Chromium driven by Playwright. Nothing is faked; everything listens on loopback.

Time: the processes keep the machine's zone (whatever it is: the company's business day must not depend on
it), and run on a clock shifted (`ROUTECRM_CLOCK_OFFSET`) to 09:30 of the company's current day, so that
the demo data and every test see the same believable morning at any real hour: the first visits done, the
rest of the route ahead. A test module overrides the `clock_offset` or `process_env` fixtures to choose
another moment or zone; `company_now()` is that moment as the test process computes it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import time_machine
from playwright.sync_api import Browser, Page, expect, sync_playwright

from shared.clock import CLOCK_OFFSET_ENV
from tests.conftest import clock_offset_env

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--enable-unsafe-swiftshader",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"
# The company's zone (the server's TIMEZONE, its default): the business day of the server and every phone.
FIELD_TZ = "Asia/Shanghai"
COMPANY_TZ = ZoneInfo(FIELD_TZ)
E2E_COMPANY_TIME = dt.time(9, 30)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A browser test that fails gets one more try with new processes and a new page, reported as R in the
    summary: on a busy 2-core machine a headless renderer now and then stalls so that Playwright's own timeouts
    never fire (a CI run waited 300 s on a 30 s `expect`). A test that fails twice fails the run. (Run with
    `-p no:rerunfailures` for one try only.)"""
    if not config.pluginmanager.hasplugin("rerunfailures"):
        return
    for item in items:
        if item.get_closest_marker("e2e") and not item.get_closest_marker("flaky"):
            item.add_marker(pytest.mark.flaky(reruns=1))


LOG_TAIL_LINES = 40


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed browser test's report carries the end of each of its processes' logs (the client's and the
    server's, without the static-file lines): CI shows the report, not test-artifacts/, and a sign-in that
    never answered is explained only there."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when != "call" or not report.failed or not item.get_closest_marker("e2e"):
        return
    tries = getattr(item, "execution_count", 1)
    name = item.name if tries <= 1 else f"{item.name}-try{tries}"
    for process in ("client", "server"):
        log = ARTIFACTS / f"{name}-{process}.log"
        if not log.exists():
            continue
        lines = log.read_text(errors="replace").splitlines()
        telling = [line for line in lines if '"GET /' not in line]
        report.sections.append((f"{log.name} (last lines)", "\n".join(telling[-LOG_TAIL_LINES:])))


def company_offset_at(moment: dt.time, days: int = 0) -> dt.timedelta:
    """The clock shift that puts the processes at `moment` of the company's current day (plus `days`)."""
    now = dt.datetime.now(COMPANY_TZ)
    target = dt.datetime.combine(now.date() + dt.timedelta(days=days), moment, tzinfo=COMPANY_TZ)
    return target - now


# One shift for the whole session: every test's processes agree, and no test crosses the company's midnight.
SESSION_OFFSET = company_offset_at(E2E_COMPANY_TIME)


def company_now(offset: dt.timedelta = SESSION_OFFSET) -> dt.datetime:
    """Now in the company's zone as the server and app processes of the tests see it."""
    return (dt.datetime.now(dt.UTC) + offset).astimezone(COMPANY_TZ)


def company_today(offset: dt.timedelta = SESSION_OFFSET) -> dt.date:
    return company_now(offset).date()


def process_clock_env(offset: dt.timedelta) -> dict[str, str]:
    """`ROUTECRM_CLOCK_OFFSET` for a process: `offset`, plus the test process's own shift (ROUTECRM_TEST_NOW)."""
    travelled = float(clock_offset_env().get(CLOCK_OFFSET_ENV, 0))
    return {CLOCK_OFFSET_ENV: f"{offset.total_seconds() + travelled:.3f}"}


# Playwright's `expect` waits 5 s unless told otherwise: too short for a Flet page to re-render on a loaded
# 2-core CI machine (a conflicts list once took longer). Assertions that expect a slow step name their own.
expect.set_options(timeout=20_000)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code < 500:
                return
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


class Service:
    """A real process of ours, started with `python -m ...`, that can be stopped and started again."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], ready_url: str, log: Path) -> None:
        self.name, self.args, self.env, self.ready_url, self.log_path = name, args, env, ready_url, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log_path, "ab") as log:  # the child has its own copy of the descriptor
            self.process = subprocess.Popen(
                [sys.executable, *self.args], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            wait_for_http(self.ready_url)
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"{self.name} did not start; log:\n{self.log_path.read_text()[-3000:]}") from None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def attempt_name(request: pytest.FixtureRequest) -> str:
    """The test's name, with "-try2" on its second try (a failed browser test runs again once): the first
    try's logs and screenshot are kept beside the second's."""
    tries = getattr(request.node, "execution_count", 1)
    return request.node.name if tries <= 1 else f"{request.node.name}-try{tries}"


def log_of(artifacts: Path, request: pytest.FixtureRequest, process: str) -> Path:
    """Each test's own log of a process (test-artifacts/<test>-<process>.log), kept after a failure."""
    return artifacts / f"{attempt_name(request)}-{process}.log"


@contextlib.contextmanager
def on_clock_of(service: Service) -> Iterator[None]:
    """The test process's clock set to the one `service` runs on, for server code a test runs in-process
    (e.g. a supervisor's edit made through the services, which must come after the phone's)."""
    offset = float(service.env.get(CLOCK_OFFSET_ENV) or 0)
    hatch = time_machine.escape_hatch
    real_now = hatch.time.time() if hatch.is_travelling() else time.time()
    with time_machine.travel(real_now + offset, tick=True):
        yield


@pytest.fixture(scope="session")
def pwa_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rep's app as a PWA (scripts/build_pwa.py, about 2 s), built once per session for every PWA test
    (tests/e2e/test_pwa*.py) and only when one runs."""
    out = tmp_path_factory.mktemp("pwa-build") / "pwa"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_pwa.py"), "--out", str(out)], check=True, timeout=120)
    return out


@pytest.fixture
def clock_offset() -> dt.timedelta:
    """The shift of the processes' clocks (a test module overrides it to run at another moment)."""
    return SESSION_OFFSET


@pytest.fixture
def server_env(clock_offset: dt.timedelta) -> dict[str, str]:
    """Environment added to the server's process (a test module may override it, e.g. to set TZ)."""
    return process_clock_env(clock_offset)


@pytest.fixture
def phone_env(clock_offset: dt.timedelta) -> dict[str, str]:
    """Environment added to the rep's app process (a test module may override it, e.g. to set TZ)."""
    return process_clock_env(clock_offset)


@pytest.fixture
def server(
    tmp_path: Path, artifacts: Path, request: pytest.FixtureRequest, server_env: dict[str, str]
) -> Iterator[Service]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'server.db'}",
        "DATA_DIR": str(tmp_path / "server-data"),
        "PYTHONUNBUFFERED": "1",
        **server_env,
    }
    subprocess.run([sys.executable, "-m", "server", "seed-demo"], cwd=ROOT, env=env, check=True)
    service = Service(
        "server",
        ["-m", "server", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env,
        f"http://127.0.0.1:{port}/health",
        log_of(artifacts, request, "server"),
    )
    service.start()
    yield service
    service.stop()


@pytest.fixture
def server_url(server: Service) -> str:
    return server.ready_url.removesuffix("/health")


@contextlib.contextmanager
def rep_app_process(
    folder: Path, server_url: str, log: Path, *options: str, extra_env: dict[str, str] | None = None
) -> Iterator[Service]:
    """The rep's app as its own process in browser mode, its data in `folder`, syncing every 3 s; its clock
    the session's (`extra_env` replaces that: see `phone_env`)."""
    port = free_port()
    added = process_clock_env(SESSION_OFFSET) if extra_env is None else extra_env
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "FLET_FORCE_WEB_SERVER": "true", **added}
    env.pop("FLET_APP_STORAGE_DATA", None)
    client_options = ["--data-dir", str(folder), "--sync-interval", "3", *options]
    service = Service(
        "client",
        [*f"-m client --web --host 127.0.0.1 --port {port} --server {server_url}".split(), *client_options],
        env,
        f"http://127.0.0.1:{port}/",
        log,
    )
    service.start()
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
def client_app(
    tmp_path: Path, server_url: str, artifacts: Path, request: pytest.FixtureRequest, phone_env: dict[str, str]
) -> Iterator[Service]:
    log = log_of(artifacts, request, "client")
    with rep_app_process(tmp_path / "phone", server_url, log, extra_env=phone_env) as service:
        yield service


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Module-scoped: sync Playwright keeps an event loop running in this thread while it is alive, which
    # would stop the asyncio-based integration tests that run after the end-to-end ones.
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest, artifacts: Path) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 420, "height": 900}, locale="zh-CN")
    opened = context.new_page()
    opened.on("crash", lambda crashed: print(f"the page's renderer crashed: {crashed.url}"))  # shown on failure
    yield opened
    with contextlib.suppress(Exception):
        opened.screenshot(path=str(artifacts / f"{attempt_name(request)}-end.png"))
    context.close()


def open_flet_app(page: Page, url: str) -> None:
    """Load a Flet web app and switch on Flutter's semantics tree so roles and labels can be queried."""
    page.goto(url)
    page.wait_for_function("() => window.flet && window.flet.flutterApp", timeout=60_000)
    placeholder = page.locator("flt-semantics-placeholder")
    placeholder.wait_for(state="attached", timeout=30_000)
    placeholder.dispatch_event("click")
    page.locator("flt-semantics").first.wait_for(state="attached", timeout=30_000)
