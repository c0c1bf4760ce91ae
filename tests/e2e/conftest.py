"""Real processes for end-to-end tests: the sync server, the rep's app (Flet, browser mode) and
headless Debian Chromium driven by Playwright. Nothing is faked; everything listens on loopback."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

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
# The demo territory's clock: the phone and the server agree on what "today" is.
FIELD_TZ = "Asia/Shanghai"

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


def log_of(artifacts: Path, request: pytest.FixtureRequest, process: str) -> Path:
    """Each test's own log of a process (test-artifacts/<test>-<process>.log), kept after a failure."""
    return artifacts / f"{request.node.name}-{process}.log"


@pytest.fixture
def server(tmp_path: Path, artifacts: Path, request: pytest.FixtureRequest) -> Iterator[Service]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'server.db'}",
        "DATA_DIR": str(tmp_path / "server-data"),
        "PYTHONUNBUFFERED": "1",
        "TZ": FIELD_TZ,
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
def rep_app_process(folder: Path, server_url: str, log: Path, *options: str) -> Iterator[Service]:
    """The rep's app as its own process in browser mode, its data in `folder`, syncing every 3 s."""
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "FLET_FORCE_WEB_SERVER": "true", "TZ": FIELD_TZ}
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
def client_app(tmp_path: Path, server_url: str, artifacts: Path, request: pytest.FixtureRequest) -> Iterator[Service]:
    with rep_app_process(tmp_path / "phone", server_url, log_of(artifacts, request, "client")) as service:
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
    yield opened
    with contextlib.suppress(Exception):
        opened.screenshot(path=str(artifacts / f"{request.node.name}-end.png"))
    context.close()


def open_flet_app(page: Page, url: str) -> None:
    """Load a Flet web app and switch on Flutter's semantics tree so roles and labels can be queried."""
    page.goto(url)
    page.wait_for_function("() => window.flet && window.flet.flutterApp", timeout=60_000)
    placeholder = page.locator("flt-semantics-placeholder")
    placeholder.wait_for(state="attached", timeout=30_000)
    placeholder.dispatch_event("click")
    page.locator("flt-semantics").first.wait_for(state="attached", timeout=30_000)
