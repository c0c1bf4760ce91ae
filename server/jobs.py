"""Scheduled jobs that run once across every server process sharing the database.

Each job has a row in `scheduled_jobs` with the time it is next due. A process claims a due job by moving
that time forward inside a write transaction (which holds the database's write lock: BEGIN IMMEDIATE on
SQLite, an advisory lock on PostgreSQL), so exactly one process wins each run, whatever their number.
A job that fails is simply due again at its next time. Every process runs a `JobRunner` thread that looks
for due jobs twice a minute.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from server.clock import utc_now
from server.db import write_session
from server.jobs_models import ScheduledJob
from server.settings import Settings

logger = logging.getLogger(__name__)
POLL_SECONDS = 30.0


@dataclass(frozen=True)
class Job:
    name: str
    every: dt.timedelta
    run: Callable[[Engine, Settings, dt.datetime], object]


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(engine: Engine, job: Job, now: dt.datetime, runner: str) -> bool:
    """True for the one caller that takes this run of `job`; it is then due again `job.every` later."""
    with write_session(engine) as session:
        row = session.get(ScheduledJob, job.name)
        if row is not None and row.next_run_at > now.isoformat():
            return False
        row = row or ScheduledJob(name=job.name, next_run_at=now.isoformat())
        row.next_run_at = (now + job.every).isoformat()
        row.last_run_at, row.last_runner = now.isoformat(), runner
        session.add(row)
    return True


def run_due_jobs(engine: Engine, settings: Settings, jobs: list[Job], now: dt.datetime, runner: str) -> list[str]:
    """Run the jobs this process claims; returns their names."""
    ran = []
    for job in jobs:
        if not claim(engine, job, now, runner):
            continue
        try:
            job.run(engine, settings, now)
            ran.append(job.name)
        except Exception:  # a failing job must not stop the others or the server; it is due again later
            logger.exception("scheduled job %s failed", job.name)
    return ran


class JobRunner:
    """The thread each server process runs; `stop()` ends it at shutdown."""

    def __init__(self, engine: Engine, settings: Settings, jobs: list[Job]) -> None:
        self.engine, self.settings, self.jobs = engine, settings, jobs
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (an app may be started and stopped more than once, e.g. in tests)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="routecrm-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        runner = runner_name()
        while not self._stop.is_set():
            try:
                run_due_jobs(self.engine, self.settings, self.jobs, utc_now(), runner)
            except Exception:  # the database may be briefly unreachable; try again at the next poll
                logger.exception("could not check scheduled jobs")
            self._stop.wait(POLL_SECONDS)
