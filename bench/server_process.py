"""The real RouteCRM server as a separate process on loopback, over a throwaway database.

Each scenario gets its own temporary DATA_DIR and SQLite file (or the PostgreSQL database named by
ROUTECRM_BENCH_DATABASE_URL, wiped first), prepared with the server's own CLI.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
DEMO_PASSWORD = "demo1234"
DEMO_REPS = ("li.rep", "wang.rep", "zhao.rep")
DEMO_SUPERVISOR = "zhang.manager"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ServerDir:
    """A temporary DATA_DIR and the database URL the server and the CLI use."""

    path: Path
    database_url: str
    extra_env: dict[str, str] = field(default_factory=dict)  # more settings (server/settings.py)
    root: Path = ROOT  # the code the server and the CLI run (another checkout: bench/scale_out.py's "before")

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "DATA_DIR": str(self.path),
            "SECRET_KEY": "bench-secret-key-not-for-production-0123456789abcdef",
            # The benchmark signs in once and does not refresh: an access token must outlast a full run.
            "ACCESS_TOKEN_MINUTES": "720",
            **({"PYTHONPATH": str(self.root)} if self.root != ROOT else {}),
            **self.extra_env,
        }

    @property
    def sqlite_file(self) -> Path | None:
        prefix = "sqlite:///"
        return Path(self.database_url[len(prefix) :]) if self.database_url.startswith(prefix) else None

    def cli(self, *args: str) -> str:
        """Run `python -m server ARGS` against this database; its output, or an error with its stderr."""
        done = subprocess.run(
            [sys.executable, "-m", "server", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"python -m server {' '.join(args)} failed: {done.stderr.strip()[-2000:]}")
        return done.stdout


@contextmanager
def server_dir(database_url: str | None = None, root: Path = ROOT) -> Iterator[ServerDir]:
    path = Path(tempfile.mkdtemp(prefix="routecrm-bench-"))
    try:
        yield ServerDir(path, database_url or f"sqlite:///{path / 'routecrm.db'}", root=root)
    finally:
        shutil.rmtree(path, ignore_errors=True)


@dataclass
class RunningServer:
    base_url: str
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid


@contextmanager
def running_server(directory: ServerDir, *, workers: int = 1, start_s: float = 60) -> Iterator[RunningServer]:
    """`python -m server serve` on a free loopback port, until the block ends (then SIGTERM, SIGKILL)."""
    port = free_port()
    log = open(directory.path / f"server-{port}.log", "wb")  # noqa: SIM115 - closed in finally
    command = [sys.executable, "-m", "server", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    process = subprocess.Popen(command, cwd=directory.root, env=directory.env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}: {_tail(log.name)}")
            try:
                if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer /health within {start_s:.0f} s: {_tail(log.name)}")
            time.sleep(0.1)
        yield RunningServer(base_url, process)
    except BaseException:
        log.flush()
        print(f"--- the server's log ({log.name}), last lines:\n{_tail(log.name)}", file=sys.stderr)
        raise
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _tail(path: str) -> str:
    try:
        return Path(path).read_text(errors="replace")[-2000:]
    except OSError:
        return ""


def login(base_url: str, username: str, password: str) -> tuple[str, dict[str, object]]:
    """A Bearer token and the user, from POST /api/auth/login."""
    response = httpx.post(f"{base_url}/api/auth/login", json={"username": username, "password": password}, timeout=30)
    response.raise_for_status()
    body = response.json()
    return str(body["token"]), dict(body["user"])
