"""PostgreSQL for the benchmark's PostgreSQL runs: a throwaway cluster, or the database the environment names.

The cluster is made the way scripts/test-postgres.sh makes one (Debian's binaries in
/usr/lib/postgresql/*/bin, initdb in a temporary folder, owned by the `postgres` user when run as root,
listening only on a unix socket inside that folder, no TCP port), with one difference: PostgreSQL's durable
defaults are kept (fsync, synchronous_commit and full_page_writes on), because its figures are set beside
SQLite's and SQLite (WAL, synchronous=FULL) fsyncs every commit. Nothing is installed here: without a
PostgreSQL server the scenarios say so and leave its rows out.

With ROUTECRM_BENCH_DATABASE_URL set, that database is used instead of a cluster: its `public` schema is
dropped and made again before each run, so it must be a throwaway database.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

DATABASE_ENV = "ROUTECRM_BENCH_DATABASE_URL"
NOT_INSTALLED = "PostgreSQL not installed: its rows are missing (Debian: apt-get install postgresql)"
# One server process holds up to 40 pooled connections (server/db.py); the load checks and the floor add a few.
MAX_CONNECTIONS = 200


class PostgresMissing(RuntimeError):
    """No PostgreSQL server binaries on this machine, and no database named in the environment."""


def failure(error: Exception) -> tuple[str, str]:
    """(the scenario's note, the targets' why-not-measured) when the PostgreSQL runs could not happen.

    A scenario keeps its SQLite figures when its PostgreSQL part breaks; the traceback goes to stderr.
    """
    if isinstance(error, PostgresMissing):
        return str(error), "PostgreSQL not installed"
    traceback.print_exc()
    return f"The PostgreSQL runs failed: {type(error).__name__}: {str(error)[-500:]}", "PostgreSQL run failed"


def find_bindir() -> Path | None:
    """The newest Debian server binaries (/usr/lib/postgresql/<major>/bin), else initdb and pg_ctl on PATH."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda path: [int(part) if part.isdigit() else 0 for part in path.parent.name.split(".")],
    )
    for directory in reversed(candidates):
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).parent
    return None


@dataclass
class Databases:
    """Where the PostgreSQL runs go: `fresh()` gives the SQLAlchemy URL of an empty database for one run."""

    description: str  # for the method text: what PostgreSQL this is and how it is set up
    version: str
    socket_dir: Path | None = None  # the cluster's (None for a database named in the environment)
    user: str = ""
    given_url: str = ""  # ROUTECRM_BENCH_DATABASE_URL, when set
    _made: int = field(default=0, repr=False)

    def fresh(self, purpose: str = "run") -> str:
        """A new database in the cluster (or the given one, its schema dropped and made again), empty."""
        if self.given_url:
            wipe(self.given_url)
            return self.given_url
        import psycopg

        assert self.socket_dir is not None
        self._made += 1
        name = f"bench_{purpose}_{self._made}"
        with psycopg.connect(host=str(self.socket_dir), user=self.user, dbname="postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://{self.user}@/{name}?host={self.socket_dir}"


def wipe(database_url: str) -> None:
    """Drop everything in the database's public schema (tables, sequences, types)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def psycopg_conninfo(database_url: str) -> str:
    """The libpq URI of a SQLAlchemy `postgresql+psycopg://` URL (for code that talks to psycopg directly)."""
    from sqlalchemy.engine import make_url

    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def databases() -> Iterator[Databases]:
    """The database named by ROUTECRM_BENCH_DATABASE_URL, else a throwaway cluster for the block's length.

    Raises PostgresMissing (before the block runs) when neither is available.
    """
    given = os.environ.get(DATABASE_ENV)
    if given:
        version = _server_version(given)
        yield Databases(
            description=(
                f"PostgreSQL {version} in the database named by `{DATABASE_ENV}`, its schema dropped and made"
                " again before each run"
            ),
            version=version,
            given_url=given,
        )
        return
    bindir = find_bindir()
    if bindir is None:
        raise PostgresMissing(NOT_INSTALLED)
    with cluster(bindir) as made:
        yield made


@contextmanager
def cluster(bindir: Path) -> Iterator[Databases]:
    """initdb + pg_ctl start in a temporary folder; stopped and removed when the block ends, whatever happened."""
    as_root = os.geteuid() == 0
    if as_root:  # PostgreSQL refuses to run as root: the cluster belongs to `postgres`, as in test-postgres.sh
        if subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
            subprocess.run(
                ["useradd", "--system", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", "postgres"],
                check=True,
            )
        user = "postgres"
    else:
        import getpass

        user = getpass.getuser()

    def as_owner(*command: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *command] if as_root else list(command)

    # A short path: a unix socket path must stay under about 100 bytes.
    folder = Path(tempfile.mkdtemp(prefix="routecrm-bench-pg."))
    data, socket_dir = folder / "data", folder / "socket"
    started = False
    try:
        folder.chmod(0o755)
        data.mkdir()
        socket_dir.mkdir()
        if as_root:
            shutil.chown(folder, "postgres")
            shutil.chown(data, "postgres")
            shutil.chown(socket_dir, "postgres")
        clock = time.perf_counter()
        # --no-sync: the empty cluster's own files need not survive a power cut; the measured runs are durable.
        _run(
            as_owner(
                str(bindir / "initdb"),
                "-D",
                str(data),
                f"--username={user}",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ),
            "initdb",
        )
        options = (
            f"-c listen_addresses='' -c unix_socket_directories='{socket_dir}' -c max_connections={MAX_CONNECTIONS}"
            " -c fsync=on -c synchronous_commit=on -c full_page_writes=on"
        )
        log = folder / "server.log"
        if as_root:
            log.touch()
            shutil.chown(log, "postgres")
        started = True
        start = ["-D", str(data), "-l", str(log), "-w", "-t", "60", "start", "-o", options]
        _run(as_owner(str(bindir / "pg_ctl"), *start), "pg_ctl start", log)
        version = _binary_version(bindir)
        ready_s = time.perf_counter() - clock
        print(f"   PostgreSQL {version} ready in {ready_s:.1f} s (socket in {socket_dir})", flush=True)
        yield Databases(
            description=(
                f"PostgreSQL {version} in a throwaway cluster on a unix socket with its durable defaults, as SQLite"
                " fsyncs every commit: fsync, synchronous_commit and full_page_writes on; a fresh database per run"
            ),
            version=version,
            socket_dir=socket_dir,
            user=user,
        )
    finally:
        if started and (data / "postmaster.pid").exists():
            subprocess.run(
                as_owner(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"),
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(folder, ignore_errors=True)


def _run(command: list[str], what: str, log: Path | None = None) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip()
        if log is not None and log.exists():
            detail += "\n" + log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{what} failed ({done.returncode}): {detail[-3000:]}")


def _binary_version(bindir: Path) -> str:
    # "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
    words = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True).stdout.split()
    return words[2] if len(words) > 2 else "?"


def _server_version(database_url: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar_one()).split()[0]
    finally:
        engine.dispose()
