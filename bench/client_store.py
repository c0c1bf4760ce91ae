"""Scenario 1: the rep's local store (client/storage/: store.py over journal.py) at realistic and large sizes.

A store is filled the way a phone fills it, by pulled pages (`LocalStore.apply_pull_page`), with 2,000
customers, a route plan for today and N visits shaped like the server's records; it is then opened
again (which folds the journal into the snapshot), as the app finds it the next morning.

Measured per size:
- a durable save of a new visit (`LocalStore.save`: validation, one fsynced journal append);
- what the rep's taps cost in the app (`AppService.check_in`, then `AppService.check_out` of that visit);
- cold start: a new Python process imports the client, unlocks the store's key with the rep's PIN
  (`Vault.unlock`: Argon2id at the app's cost), opens the store and computes today's route
  (`AppService.today()`), no UI; wall time from spawning the process, and its resident memory;
- the store's files on disk.

The store is the app's: encrypted (AES-GCM, client/storage/vault.py), its key in a key file under a PIN.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.report import Section, Table, Target, fmt, median, percentile

ROOT = Path(__file__).resolve().parents[1]
CUSTOMERS = 2_000
HEADLINE_VISITS = 5_000
WARM_UP = 20
TERRITORY = "望都东片"
REP_ID = "6f1c2b9e-3a4d-4e5f-8a7b-9c0d1e2f3a4b"
KINDS = ("clinic", "village_clinic", "pharmacy", "retailer", "township_hospital", "dealer")
PURPOSES = ("送宣传资料，确认陈列", "介绍新品，了解库存", "回款对账", "带样品试用", "处理退货")
PROGRESS = ("已建立联系，约定下次带样品", "有意向，需要报价", "已下单，等待配送", "暂无需求")
BENCH_PIN = "246810"


def rid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def customer_record(rng: random.Random, index: int) -> dict[str, Any]:
    return {
        "id": rid(rng),
        "name": f"望都{index:04d}号诊所",
        "kind": rng.choice(KINDS),
        "address": f"河北省保定市望都县固店镇第{index % 97}村{index % 13}号",
        "phone": f"158{rng.randrange(10**8):08d}",
        "lat": round(38.7 + rng.random() / 10, 6),
        "lng": round(115.1 + rng.random() / 10, 6),
        "status": rng.choice(("active", "new", "dormant", "prospect")),
        "importance": rng.choice(("key", "normal", "potential")),
        "contact_person": "陈建国",
        "created_at": "2025-02-09T09:08:00+08:00",
        "territory": TERRITORY,
        "owner_rep_id": REP_ID,
        "updated_at": "2026-11-27T00:25:57+00:00",
        "tier": rng.choice("ABC"),
    }


def visit_fields(rng: random.Random, customer_id: str, check_in: dt.datetime) -> dict[str, Any]:
    """What a device writes at check-in (the fields of a new visit)."""
    return {
        "customer_id": customer_id,
        "visit_type": rng.choice(("day", "second", "follow_up")),
        "planned": True,
        "check_in_at": check_in.isoformat(timespec="seconds"),
        "check_in_lat": round(38.7 + rng.random() / 10, 6),
        "check_in_lng": round(115.1 + rng.random() / 10, 6),
        "check_in_accuracy": 12.0,
        "ordered": False,
    }


def checkout_fields(rng: random.Random, check_out: dt.datetime) -> dict[str, Any]:
    return {
        "check_out_at": check_out.isoformat(timespec="seconds"),
        "person_met": "胡采购主任",
        "purpose": rng.choice(PURPOSES),
        "attitude": rng.choice(("positive", "neutral", "negative")),
        "progress": rng.choice(PROGRESS),
        "ordered": True,
        "order_amount": float(rng.randrange(100, 10_000)),
    }


def visit_record(rng: random.Random, customer_id: str, check_in: dt.datetime) -> dict[str, Any]:
    """A finished visit as the server sends it in a pull (every column)."""
    return {
        **visit_fields(rng, customer_id, check_in),
        **checkout_fields(rng, check_in + dt.timedelta(minutes=rng.randint(10, 40))),
        "check_out_lat": None,
        "check_out_lng": None,
        "next_visit_date": None,
        "notes": None,
        "id": rid(rng),
        "rep_id": REP_ID,
        "device_id": "phone-of-li",
        "territory": TERRITORY,
        "visit_day": check_in.date().isoformat(),
        "updated_at": "2026-11-27T00:25:57+00:00",
    }


@dataclass
class StoreShape:
    customers: list[str]
    planned: list[str]
    cipher: Any  # client.storage.vault.StoreCipher (imported lazily, like the rest of the client)


def build_store(folder: Path, visits: int, *, seed: int = 7) -> StoreShape:
    """Fill a store by pulled pages: customers, today's plan, `visits` visits (about 6 of them today)."""
    from client.storage.store import LocalStore
    from client.storage.vault import StoreCipher, Vault
    from shared.enums import RecordKind
    from sync.protocol import Change

    rng = random.Random(seed)
    now = dt.datetime.now().astimezone().replace(microsecond=0)
    records: list[tuple[RecordKind, dict[str, Any]]] = []
    customers = [customer_record(rng, index) for index in range(CUSTOMERS)]
    records += [(RecordKind.CUSTOMER, customer) for customer in customers]
    ids = [customer["id"] for customer in customers]
    planned = rng.sample(ids, 10)
    plan = {"id": rid(rng), "rep_id": REP_ID, "day": now.date().isoformat(), "customer_ids": planned}
    records.append((RecordKind.ROUTE_PLAN, {**plan, "territory": TERRITORY, "updated_at": now.isoformat()}))
    for index in range(visits):
        if index < 6:  # this morning's visits to the route's first stops
            moment = now.replace(hour=8) + dt.timedelta(minutes=40 * index)
            customer_id = planned[index]
        else:
            moment = now.replace(hour=8) - dt.timedelta(days=rng.randint(1, 730), minutes=rng.randint(0, 600))
            customer_id = rng.choice(ids)
        records.append((RecordKind.VISIT, visit_record(rng, customer_id, moment)))

    cipher = StoreCipher.new()
    Vault(folder).set_pin(BENCH_PIN, cipher)  # as the app does after the first sign-in
    store = LocalStore(folder, cipher)
    try:
        store.set_meta(
            token="bench-token",
            server_url="http://127.0.0.1:9",
            user={"id": REP_ID, "username": "li.rep", "role": "rep", "territory": TERRITORY, "display_name": "李明"},
        )
        for start in range(0, len(records), 1000):
            page = [
                Change(seq=start + offset + 1, kind=kind, record_id=record["id"], deleted=False, data=record)
                for offset, (kind, record) in enumerate(records[start : start + 1000])
            ]
            store.apply_pull_page(page, cursor=start + len(page))
    finally:
        store.close()
    LocalStore(folder, cipher).close()  # the next open folds the journal into the snapshot, as the app does daily
    return StoreShape(ids, planned, cipher)


@dataclass
class SaveTimes:
    save_ms: list[float] = field(default_factory=list)  # LocalStore.save of a new visit
    check_in_ms: list[float] = field(default_factory=list)  # AppService.check_in
    check_out_ms: list[float] = field(default_factory=list)  # AppService.check_out


class SaveBench:
    """One open store taking timed saves in rounds, so that several sizes can take turns (same disk noise)."""

    def __init__(self, folder: Path, shape: StoreShape, *, seed: int = 11) -> None:
        from client.services import AppService
        from client.storage.store import LocalStore

        self.shape = shape
        self.rng = random.Random(seed)
        self.now = dt.datetime.now().astimezone().replace(microsecond=0)
        self.times = SaveTimes()
        self.store = LocalStore(folder, shape.cipher)
        self.service = AppService(self.store)
        for _ in range(WARM_UP):  # the first appends to a new journal file cost more: not the steady state
            self._save()

    def _save(self) -> float:
        from shared.enums import RecordKind
        from shared.ids import new_id

        fields = visit_fields(self.rng, self.rng.choice(self.shape.customers), self.now)
        started = time.perf_counter()
        self.store.save(RecordKind.VISIT, new_id(), fields)
        return (time.perf_counter() - started) * 1000

    def saves(self, count: int) -> None:
        self.times.save_ms += [self._save() for _ in range(count)]

    def taps(self, count: int) -> None:
        """`count` check-ins, each followed by the check-out of that visit, as the rep's taps."""
        from client.location import Location

        for _ in range(count):
            customer_id = self.rng.choice(self.shape.planned + self.shape.customers[:50])
            started = time.perf_counter()
            visit = self.service.check_in(customer_id, location=Location(38.71, 115.16, 12.0))
            self.times.check_in_ms.append((time.perf_counter() - started) * 1000)
            fields = checkout_fields(self.rng, self.now)
            del fields["check_out_at"]  # check_out stamps it
            started = time.perf_counter()
            self.service.check_out(visit["id"], fields, location=Location(38.71, 115.16))
            self.times.check_out_ms.append((time.perf_counter() - started) * 1000)

    def close(self) -> None:
        self.store.close()


# ---- cold start, in a new process -----------------------------------------------------------


def cold_start_child(folder: str) -> None:
    """Run in a fresh interpreter: import the client, unlock the key with the PIN, open the store, compute
    today's route; print figures."""
    started = time.perf_counter()
    from client.services import AppService
    from client.storage.store import LocalStore
    from client.storage.vault import Vault

    imported = time.perf_counter()
    rss_imported = _rss_kb()
    cipher = Vault(folder).unlock(BENCH_PIN)
    unlocked = time.perf_counter()
    store = LocalStore(folder, cipher)
    opened = time.perf_counter()
    route = AppService(store).today()
    ready = time.perf_counter()
    print(
        json.dumps(
            {
                "import_s": imported - started,
                "unlock_s": unlocked - imported,
                "open_s": opened - unlocked,
                "today_s": ready - opened,
                "stops": len(route.stops),
                "visited": route.visited,
                "rss_imported_kb": rss_imported,
                "rss_kb": _rss_kb(),
                "hwm_kb": _rss_kb("VmHWM"),
            }
        ),
        flush=True,
    )
    store.close()


def _rss_kb(key: str = "VmRSS") -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


@dataclass
class ColdStart:
    wall_s: float  # from spawning the process to the route being computed
    import_s: float
    unlock_s: float
    open_s: float
    today_s: float
    stops: int
    visited: int
    rss_imported_kb: int
    rss_kb: int
    hwm_kb: int


def cold_start(folder: Path) -> ColdStart:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.client_store", "cold-start", str(folder)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    wall = time.perf_counter() - started
    _, errors = process.communicate(timeout=60)
    if not line:
        raise RuntimeError(f"cold start failed: {errors[-2000:]}")
    return ColdStart(wall_s=wall, **json.loads(line))


def median_cold_start(folder: Path, samples: int, *, copy_each: bool = False) -> ColdStart:
    """The sample with the median wall time (a copy of the folder each time if opening changes it)."""
    runs = []
    for _ in range(samples):
        if copy_each:
            scratch = Path(tempfile.mkdtemp(prefix="routecrm-bench-cold-"))
            target = scratch / "store"
            shutil.copytree(folder, target)
            try:
                runs.append(cold_start(target))
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        else:
            runs.append(cold_start(folder))
    return sorted(runs, key=lambda run: run.wall_s)[len(runs) // 2]


def store_bytes(folder: Path) -> dict[str, int]:
    return {path.name: path.stat().st_size for path in sorted(folder.iterdir()) if path.is_file()}


# ---- the scenario ---------------------------------------------------------------------------


@dataclass
class LevelResult:
    visits: int
    times: SaveTimes
    clean: ColdStart
    with_journal: ColdStart | None
    files: dict[str, int]


def measure_levels(levels: list[int], saves: int, cold_samples: int, scratch: Path) -> list[LevelResult]:
    """Every size built first, then measured in turns (cold starts, saves), so noise falls on all alike."""
    folders = [scratch / f"store-{visits}" for visits in levels]
    shapes = [build_store(folder, visits) for folder, visits in zip(folders, levels, strict=True)]
    files = [store_bytes(folder) for folder in folders]
    starts: list[list[ColdStart]] = [[] for _ in levels]
    for _ in range(cold_samples):
        for runs, folder in zip(starts, folders, strict=True):
            runs.append(cold_start(folder))
    clean = [sorted(runs, key=lambda run: run.wall_s)[len(runs) // 2] for runs in starts]
    benches = [SaveBench(folder, shape) for folder, shape in zip(folders, shapes, strict=True)]
    try:
        # One save per size in turn: a burst of disk or CPU noise from other work lands on every size alike.
        for _ in range(saves):
            for bench in benches:
                bench.saves(1)
        for _ in range(saves // 2):
            for bench in benches:
                bench.taps(1)
    finally:
        for bench in benches:
            bench.close()
    # The app killed after a day of saves: the next start replays the journal and folds it in.
    headline = levels.index(HEADLINE_VISITS)
    with_journal = median_cold_start(folders[headline], max(1, cold_samples // 2), copy_each=True)
    return [
        LevelResult(visits, bench.times, start, with_journal if index == headline else None, size)
        for index, (visits, bench, start, size) in enumerate(zip(levels, benches, clean, files, strict=True))
    ]


def run(quick: bool) -> Section:
    from client.storage.journal import SNAPSHOT

    saves = 200 if quick else 500
    levels = [500, HEADLINE_VISITS, 20_000] if quick else [500, 1_000, 2_000, HEADLINE_VISITS, 10_000, 20_000]
    cold_samples = 3 if quick else 5
    section = Section(
        key="store",
        title="1. Client store (the rep's phone)",
        method=(
            f"A store is filled the way a phone fills it, by pulled pages, with {CUSTOMERS:,} customers, today's"
            " route plan (10 stops) and N finished visits shaped like the server's records (about 6 of them"
            " today); it is then reopened, which folds the journal into the snapshot. Then, in this process:"
            f" {WARM_UP} untimed saves, then {saves} timed durable saves of a new visit (`LocalStore.save`:"
            " validation, one fsynced journal append),"
            f" then {saves // 2} check-ins and {saves // 2} check-outs through `AppService` (what a tap costs,"
            f" including the service's reads). So a store of N visits holds N + {WARM_UP + saves + saves // 2} by the"
            " last timed save. All sizes are built first and then measured in turns (one save for each size in"
            " turn, then the next), so that the disk's and the machine's noise falls on every size alike."
            " The store is the app's: every journal line and the snapshot sealed with AES-256-GCM, the key in a"
            " key file under a PIN. Cold start: a new Python process imports `client.storage.store` and"
            " `client.services`,"
            " unlocks the key with the PIN (`Vault.unlock`, Argon2id at the app's cost: 64 MiB, 3 passes, 4 lanes),"
            " opens the store and computes `AppService.today()` (no UI); wall time from spawning it, median of"
            f" {cold_samples}; the file cache is warm (it is on a phone too, mostly). 'After saves' is the same"
            " start with the day's saves still in the journal (replayed and folded in on open). RSS is that"
            " process's resident memory once the route is ready."
        ),
    )
    scratch = Path(tempfile.mkdtemp(prefix="routecrm-bench-store-"))
    try:
        results = measure_levels(levels, saves, cold_samples, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    headline = next(result for result in results if result.visits == HEADLINE_VISITS)
    small, large = results[0], results[-1]
    times = headline.times
    section.tables.append(
        Table(
            ["operation", "samples", "p50", "p95", "p99", "max"],
            [
                [
                    name,
                    str(len(values)),
                    *(fmt(percentile(values, p), "ms") for p in (50, 95, 99)),
                    fmt(max(values), "ms"),
                ]
                for name, values in (
                    ("save a new visit (LocalStore.save)", times.save_ms),
                    ("check in (AppService.check_in)", times.check_in_ms),
                    ("check out (AppService.check_out)", times.check_out_ms),
                )
            ],
            title=f"Saves with {CUSTOMERS:,} customers and {HEADLINE_VISITS:,} visits",
        )
    )
    starts = [("clean (snapshot only)", headline.clean)]
    if headline.with_journal:
        starts.append((f"after {WARM_UP + saves + saves // 2 * 2} saves (journal replayed)", headline.with_journal))
    section.tables.append(
        Table(
            [
                "start",
                "wall",
                "imports",
                "PIN unlock",
                "open store",
                "today()",
                "RSS after imports",
                "RSS ready",
                "peak RSS",
            ],
            [
                [
                    name,
                    fmt(run.wall_s, "s"),
                    fmt(run.import_s, "s"),
                    fmt(run.unlock_s, "s"),
                    fmt(run.open_s, "s"),
                    fmt(run.today_s * 1000, "ms"),
                    f"{run.rss_imported_kb / 1024:.0f} MB",
                    f"{run.rss_kb / 1024:.0f} MB",
                    f"{run.hwm_kb / 1024:.0f} MB",
                ]
                for name, run in starts
            ],
            title=f"Cold start to today's route ready ({headline.clean.stops} stops, {headline.visits:,} visits)",
        )
    )
    section.tables.append(
        Table(
            ["file", "bytes"],
            [[name, f"{size:,}"] for name, size in headline.files.items()],
            title=f"Store files with {CUSTOMERS:,} customers and {HEADLINE_VISITS:,} visits (after opening)",
        )
    )
    section.tables.append(
        Table(
            [
                "visits",
                "save p50",
                "save p95",
                "save p99",
                "check-in p95",
                "check-out p95",
                "cold start",
                "today()",
                "RSS ready",
                "snapshot",
            ],
            [
                [
                    f"{result.visits:,}",
                    *(fmt(percentile(result.times.save_ms, p), "ms") for p in (50, 95, 99)),
                    fmt(percentile(result.times.check_in_ms, 95), "ms"),
                    fmt(percentile(result.times.check_out_ms, 95), "ms"),
                    fmt(result.clean.wall_s, "s"),
                    fmt(result.clean.today_s * 1000, "ms"),
                    f"{result.clean.rss_kb / 1024:.0f} MB",
                    f"{result.files.get(SNAPSHOT, 0) / 1e6:.1f} MB",
                ]
                for result in results
            ],
            title=f"Growth ({CUSTOMERS:,} customers throughout)",
        )
    )
    save_p95 = percentile(times.save_ms, 95)
    growth = percentile(large.times.save_ms, 95) / percentile(small.times.save_ms, 95)
    tap_growth = percentile(large.times.check_in_ms, 95) / percentile(small.times.check_in_ms, 95)
    section.targets += [
        Target("store: save a visit p95 (5,000 visits)", save_p95, 5.0, "ms"),
        Target(
            f"store: save p95 at {large.visits:,} / at {small.visits:,} visits",
            growth,
            1.5,
            "×",
        ),
        Target("store: cold start to today's route (5,000 visits)", headline.clean.wall_s, 1.5, "s"),
        Target(
            f"store: cold start with {large.visits:,} visits",
            large.clean.wall_s,
            1.5,
            "s",
        ),
        Target("store: check-in tap p95 (5,000 visits)", percentile(times.check_in_ms, 95), 5.0, "ms"),
        Target(f"store: check-in p95 at {large.visits:,} / at {small.visits:,} visits", tap_growth, 1.5, "×"),
    ]
    section.notes.append(
        "The save, cold-start and growth targets are the issue's; the check-in rows hold the same goals to what"
        " a rep's tap costs through `AppService` (the issue's 'save a visit' measured at the service)."
    )
    imports = median([result.clean.import_s for result in results])
    section.notes.append(
        f"Of a cold start, importing the client modules alone takes about {fmt(imports, 's')} (median over the"
        " sizes); the rest is the interpreter starting, the PIN's key derivation (which the rep waits for once"
        " per unlock, after typing the PIN), opening the store and today()."
    )
    section.notes.append(
        "The store is encrypted at rest (docs/security.md): sealing a save (AES-GCM) costs tens of microseconds"
        f" next to its fsync. Of the clean cold start, {fmt(headline.clean.unlock_s, 's')} is the PIN's key"
        " derivation (Argon2id), spent after the rep typed the PIN; the lock screen shows before it, once the"
        " imports are done."
    )
    return section


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "cold-start":
        cold_start_child(argv[1])
        return 0
    print("usage: python -m bench.client_store cold-start STORE_FOLDER", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
