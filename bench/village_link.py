"""Scenario 7: a rep's syncs over a village link (issue #20), through the link emulator (bench/link.py).

Builds a territory on the real server process (`python -m server serve`, SQLite), then measures through
`bench.link` at the VILLAGE and EDGE presets what a rep's phone does:

- the **first sync** after sign-in (a new phone pulls the whole territory from 0), run in a child process that
  opens a real `LocalStore` and syncs through the client's own `HttpSyncSession` (the app's sync code), its
  peak memory read from /proc (VmHWM) — retried after a reset connection as the runner does, resuming from
  the stored cursor;
- the **morning sync**: about 200 records changed on the server overnight, pulled by that phone;
- the **evening push**: the day's 15 visits, 5 orders and 20 notes made offline, pushed (and the pull after).

Each with the link's own counts: bytes each way, connections, resets, and round trips (HTTP requests).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.client_store import rid
from bench.link import PRESETS, Link, LinkProfile, LinkStats, start_link
from bench.report import Section, Table, Target, fmt
from bench.server_process import ServerDir, free_port, login, running_server, server_dir
from sync.protocol import Op

ROOT = Path(__file__).resolve().parents[1]
# The territory: a rep's first sync after sign-in brings all of it.
CUSTOMERS, KEY_PERSONS, VISITS = 2_000, 2_000, 20_000
TERRITORY = "望都村片"
REP = "village.rep"
SUPERVISOR = "village.boss"
PASSWORD = "village-pass-1"
SEED_DEVICE = "bench-seed-device"
# Seeding (straight to the server, not through the link) on a loaded 2-core machine: a push of 500 may take long.
SEED_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
CHINA = dt.timezone(dt.timedelta(hours=8))
VILLAGES = ("东关", "西关", "南街", "北街", "高岭", "贾村", "固店", "赵庄", "寺下", "柳陀")
PROGRESS = (
    "医生反馈碘伏用量稳定，本月计划补货两箱，约下周二再访。",
    "老板不在，与坐诊医生沟通新品试用，留下样品和资料。",
    "采购提出价格偏高，已说明批量折扣，等待答复。",
    "卫生室搬迁到村委会旁边，库存盘点完毕，需补充纱布。",
)


# Fragments a rep's visit notes are made of; a note picks a few and adds figures, so that notes differ from each
# other about as much as real ones (a text repeated verbatim would compress far better than real notes do).
FRAGMENTS = (
    "医生反馈碘伏用量稳定",
    "本月计划补货",
    "约下周再访",
    "老板不在",
    "与坐诊医生沟通新品试用",
    "留下样品和资料",
    "采购提出价格偏高",
    "已说明批量折扣",
    "等待答复",
    "卫生室搬迁到村委会旁边",
    "库存盘点完毕",
    "需补充纱布",
    "竞品业务员上周来过",
    "对方报价更低",
    "输液器用量上升",
    "冬季流感病人增多",
    "账期希望延长",
    "已回款",
    "村医参加了乡镇培训",
    "提到医保控费",
    "棉签和口罩缺货",
    "要求送货到村",
    "介绍了新到的血糖试纸",
    "答应试用一盒",
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "明华建国秀英伟芳军丽强敏静磊洋勇艳杰娟涛超"


def visit_note(rng: random.Random) -> str:
    """A visit's 进展: three to five fragments and a few figures, in a random order."""
    parts = rng.sample(FRAGMENTS, rng.randint(3, 5))
    parts.insert(rng.randrange(len(parts)), f"补货{rng.randint(1, 20)}箱")
    if rng.random() < 0.5:
        parts.append(f"约{rng.randint(1, 12)}月{rng.randint(1, 28)}日再访")
    return "，".join(parts) + "。"


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def _op(device_id: str, seq: int, kind: str, record_id: str, fields: dict[str, Any], made_at: str) -> Op:
    from shared.enums import OpAction, RecordKind

    return Op(new_op_id(seq, device_id), device_id, seq, RecordKind(kind), record_id, OpAction.PUT, fields, made_at)


def new_op_id(seq: int, device_id: str) -> str:
    return rid(random.Random(f"{device_id}:{seq}"))


def territory_ops(
    device_id: str, customers: int, key_persons: int, visits: int, *, first_seq: int = 1, seed: int | str = 20
) -> list[Op]:
    """Put ops building a territory: customers (village clinics and the like), their key persons, and visits
    spread over the last 90 days, with the fields a rep fills in; each record about as large as a real one."""
    rng = random.Random(seed)
    made_at = "2026-11-01T00:00:00+00:00"
    ops: list[Op] = []
    customer_ids = [rid(rng) for _ in range(customers)]
    kinds = ("village_clinic", "village_clinic", "clinic", "pharmacy", "township_hospital")
    for index, customer_id in enumerate(customer_ids):
        village = VILLAGES[index % len(VILLAGES)]
        fields = {
            "name": f"望都县{village}村卫生室{index:04d}",
            "kind": kinds[index % len(kinds)],
            "address": f"河北省保定市望都县{village}村{index % 97 + 1}号",
            "phone": f"0312-77{index:05d}",
            "lat": round(38.7 + rng.random() * 0.2, 6),
            "lng": round(115.1 + rng.random() * 0.2, 6),
            "status": "active",
            "contact_person": person_name(rng),
        }
        ops.append(_op(device_id, first_seq + len(ops), "customer", customer_id, fields, made_at))
    roles = ("boss", "doctor", "technician", "buyer")
    for index in range(key_persons):
        fields = {
            "customer_id": customer_ids[index % customers],
            "name": person_name(rng),
            "role": roles[index % len(roles)],
            "phone": f"1{rng.randint(3_000_000_000, 9_999_999_999)}",
            "birthday": f"19{60 + index % 35}-{index % 12 + 1:02d}-{index % 28 + 1:02d}",
            "hobbies": "象棋、钓鱼",
            "attitude": "positive",
        }
        ops.append(_op(device_id, first_seq + len(ops), "key_person", rid(rng), fields, made_at))
    start = dt.datetime(2026, 8, 20, 8, 30, tzinfo=CHINA)
    for index in range(visits):
        check_in = start + dt.timedelta(days=index * 90 // max(1, visits), minutes=(index * 37) % 480)
        customer = customer_ids[rng.randrange(customers)]
        fields = {
            "customer_id": customer,
            "visit_type": "day",
            "planned": True,
            "check_in_at": check_in.isoformat(),
            "check_in_lat": round(38.7 + rng.random() * 0.2, 6),
            "check_in_lng": round(115.1 + rng.random() * 0.2, 6),
            "check_in_accuracy": 12.0,
            "check_out_at": (check_in + dt.timedelta(minutes=25)).isoformat(),
            "person_met": person_name(rng),
            "purpose": rng.choice(("日常拜访，了解用量", "新品推广", "催收货款", "送货并核对库存", "处理投诉回访")),
            "attitude": rng.choice(("positive", "positive", "neutral", "negative")),
            "progress": visit_note(rng),
            "ordered": index % 3 == 0,
        }
        ops.append(_op(device_id, first_seq + len(ops), "visit", rid(rng), fields, made_at))
    return ops


def push_all(api: Any, device_id: str, ops: Sequence[Op], batch: int = 500) -> None:
    """Push `ops` in batches straight to the server (no link): every op must be applied."""
    from sync.protocol import SCHEMA_VERSION, PushRequest

    for start in range(0, len(ops), batch):
        answer = api.push(PushRequest(device_id, SCHEMA_VERSION, list(ops[start : start + batch])))
        refused = [result for result in answer.results if result.status.value == "rejected"]
        if refused:
            raise RuntimeError(f"seeding refused: {refused[:3]}")


def body_bytes(value: Any) -> int:
    """The size of a JSON body as httpx sends it (compact separators, UTF-8)."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


# ---- the phone: a child process syncing through the app's own sync session ------------------

PHONE = r"""
import json, os, sys, time
from pathlib import Path

import httpx

from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from client.sync_runner import HttpSyncSession
from shared.enums import RecordKind
from sync.errors import Unreachable
from sync.http import KEEPALIVE_EXPIRY_S, tls_context


def status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


PLAIN = os.environ.get("ROUTECRM_BENCH_LINK_PLAIN") == "1"
if PLAIN:  # the phone as it was before issue #20: no gzip either way, pages of 500 for a first sync too
    import client.sync_runner
    import sync.http
    client.sync_runner.FULL_PULL_LIMIT = 500
    sync.http.GZIP_MIN_BYTES = 1 << 40


class Counting(httpx.HTTPTransport):
    # the app's transport (the same keep-alive limit and TLS context), counting requests
    requests = 0

    def handle_request(self, request):
        Counting.requests += 1
        if PLAIN:
            request.headers["Accept-Encoding"] = "identity"
        return super().handle_request(request)


folder, url, token, mode = sys.argv[1:5]
if PLAIN or os.environ.get("ROUTECRM_BENCH_LINK_NO_COLUMNS") == "1":  # plain pull pages, as before the columns
    import sync.http
    sync.http._PLAIN_PULL_SERVERS.add(url.rstrip("/") + "/")  # as httpx spells a base URL
baseline = status("VmRSS")
store = LocalStore(folder, StoreCipher(bytes(32)))
if mode == "evening":
    from bench.village_link import evening_records
    evening_records(store)
transport = Counting(limits=httpx.Limits(keepalive_expiry=KEEPALIVE_EXPIRY_S), verify=tls_context())
attempts, started, cpu = 0, time.perf_counter(), time.process_time()
while True:
    attempts += 1
    try:
        report = HttpSyncSession(store, url, token, transport=transport).run()
        break
    except Unreachable as error:  # the runner backs off and tries again; here at once
        print(f"attempt {attempts}: {error}", file=sys.stderr)
        if attempts >= 50:
            raise
elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
peak = status("VmHWM")  # the sync's peak, read before anything below copies records
held = sum(store.count(RecordKind(kind)) for kind in ("customer", "key_person", "visit"))
print(json.dumps({
    "seconds": elapsed, "attempts": attempts, "requests": Counting.requests, "pushed": report.pushed,
    "pulled": report.pulled, "held": held, "peak_bytes": peak, "baseline_bytes": baseline,
    "pending": store.pending_count(), "cpu_seconds": cpu, "end_bytes": status("VmRSS"),
}))
store.close()
"""


def evening_records(store: Any) -> None:
    """The day's work saved on the phone: 15 visits, 5 orders (on 5 of them, from the catalogue), 20 notes."""
    from shared.enums import RecordKind
    from shared.ids import new_id
    from shared.records import order_total

    customers = sorted(record["id"] for record in store.all(RecordKind.CUSTOMER))[:15]
    products = sorted(store.all(RecordKind.PRODUCT), key=lambda product: product["id"])[:3]
    day = dt.datetime(2026, 12, 7, 8, 30, tzinfo=CHINA)
    visits = []
    for index, customer in enumerate(customers):
        check_in = day + dt.timedelta(minutes=35 * index)
        visit_id = new_id()
        fields = {
            "customer_id": customer,
            "visit_type": "day",
            "planned": True,
            "check_in_at": check_in.isoformat(),
            "check_in_lat": 38.72,
            "check_in_lng": 115.15,
            "check_in_accuracy": 15.0,
        }
        store.save(RecordKind.VISIT, visit_id, fields)
        store.save(
            RecordKind.VISIT,
            visit_id,
            {
                "check_out_at": (check_in + dt.timedelta(minutes=25)).isoformat(),
                "person_met": "王大夫",
                "attitude": "positive",
                "progress": PROGRESS[index % len(PROGRESS)],
                "ordered": index < 5,
            },
        )
        visits.append((visit_id, customer, check_in))
    for visit_id, customer, check_in in visits[:5]:
        lines = [{"product_id": p["id"], "quantity": 2, "unit_price": p["unit_price"]} for p in products]
        fields = {
            "customer_id": customer,
            "visit_id": visit_id,
            "lines": lines,
            "amount": float(order_total(lines)),
            "ordered_at": (check_in + dt.timedelta(minutes=20)).isoformat(),
        }
        store.save(RecordKind.ORDER, new_id(), fields)
    for index in range(20):
        visit_id, customer, check_in = visits[index % len(visits)]
        text = f"{PROGRESS[index % len(PROGRESS)]} 备注{index}"
        fields = {"customer_id": customer, "visit_id": visit_id, "text": text, "created_at": check_in.isoformat()}
        store.save(RecordKind.NOTE, new_id(), fields)


@dataclass
class PhoneRun:
    seconds: float
    attempts: int
    requests: int
    pushed: int
    pulled: int
    held: int
    peak_bytes: int
    baseline_bytes: int
    pending: int  # ops still waiting on the phone after the sync (none expected)
    cpu_seconds: float  # the phone process's CPU time during the sync (parsing, storing, HTTP)
    end_bytes: int  # its resident memory once the sync ended (the store as it stays)
    link: LinkStats


def child_figures(what: str, command: list[str], cwd: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a child process (the phone, the peer's client) to its end: the JSON object on its last line."""
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=3_600)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed: {done.stderr.strip()[-2000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def phone_sync(link: Link, folder: Path, token: str, mode: str) -> PhoneRun:
    """One sync of the phone in a child process (its own memory), through `link`, retried after resets."""
    before = link.snapshot()
    command = [sys.executable, "-c", PHONE, str(folder), link.url, token, mode]
    figures = child_figures(f"the phone's {mode} sync", command, ROOT)
    return PhoneRun(**figures, link=link.snapshot().since(before))


def morning_changes(base_url: str, token: str, device_id: str, first_seq: int, customers: list[str]) -> int:
    """About 200 records changed on the server overnight (the office and the rep's colleagues): 100 customers'
    phone numbers and contacts, 100 new visits. Returns the next seq of that device."""
    from shared.enums import OpAction, RecordKind
    from sync.http import HttpSyncApi

    rng = random.Random(first_seq)
    ops: list[Op] = []
    made_at = "2026-12-06T14:00:00+00:00"
    for index, customer in enumerate(customers[:100]):
        fields = {"phone": f"0312-88{index:05d}", "contact_person": "赵大夫"}
        ops.append(
            Op(rid(rng), device_id, first_seq + len(ops), RecordKind.CUSTOMER, customer, OpAction.PUT, fields, made_at)
        )
    day = dt.datetime(2026, 12, 6, 9, 0, tzinfo=CHINA)
    for index in range(100):
        check_in = day + dt.timedelta(minutes=5 * index)
        visit: dict[str, Any] = {
            "customer_id": customers[index % len(customers)],
            "visit_type": "day",
            "planned": True,
            "check_in_at": check_in.isoformat(),
            "check_out_at": (check_in + dt.timedelta(minutes=20)).isoformat(),
            "attitude": "neutral",
            "progress": PROGRESS[index % len(PROGRESS)],
            "ordered": False,
        }
        ops.append(
            Op(rid(rng), device_id, first_seq + len(ops), RecordKind.VISIT, rid(rng), OpAction.PUT, visit, made_at)
        )
    api = HttpSyncApi(base_url, token, timeout=SEED_TIMEOUT)
    try:
        push_all(api, device_id, ops)
    finally:
        api.close()
    return first_seq + len(ops)


def add_products(directory: ServerDir, count: int = 30) -> None:
    """The catalogue (a supervisor's, on the server): every phone pulls it."""
    from sqlmodel import select

    from server.actor import Actor
    from server.db import make_engine, write_session
    from server.domains.products.service import put_product
    from server.models import User

    engine = make_engine(directory.database_url)
    rng = random.Random(30)
    try:
        with write_session(engine) as session:
            supervisor = Actor.of(session.exec(select(User).where(User.username == SUPERVISOR)).one())
            for index in range(count):
                fields = {"name": f"碘伏消毒液{index}", "spec": "500ml", "unit": "瓶", "unit_price": 12.5 + index}
                put_product(session, supervisor, rid(rng), fields)
    finally:
        engine.dispose()


@dataclass
class LinkRuns:
    profile: LinkProfile
    first: PhoneRun
    morning: PhoneRun
    evening: PhoneRun


def run_profile(profile: LinkProfile, port: int, base_url: str, sizes: tuple[int, int, int], folder: Path) -> LinkRuns:
    """A new phone's first sync, the next morning's and the evening push, all through one link."""
    token, _ = login(base_url, REP, PASSWORD)
    seed_token, _ = login(base_url, REP, PASSWORD)
    with start_link(port, profile) as link:
        first = phone_sync(link, folder, token, "first")
        customers_on_phone = _customer_ids(base_url, token)
        device = f"{SEED_DEVICE}-morning-{profile.name}"
        morning_changes(base_url, seed_token, device, 1, customers_on_phone)
        morning = phone_sync(link, folder, token, "morning")
        evening = phone_sync(link, folder, token, "evening")
    return LinkRuns(profile, first, morning, evening)


def _customer_ids(base_url: str, token: str) -> list[str]:
    import httpx

    from sync.protocol import SCHEMA_VERSION

    ids: list[str] = []
    cursor = 0
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        while True:
            body = {"cursor": cursor, "schema_version": SCHEMA_VERSION, "limit": 1_000, "full": True}
            page = http.post("/api/sync/pull", json=body).json()
            ids += [change["record_id"] for change in page["changes"] if change["kind"] == "customer"]
            cursor = page["cursor"]
            if not page["has_more"]:
                return sorted(ids)


# ---- the peer: pouchdb-server, and a PouchDB replicating from it through the same link ----------

PEER_HOME = Path(
    os.environ.get("PEER_HOME")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "routecrm-peer-pouchdb"
)
PEER_PULL = Path(__file__).with_name("peer_link_pull.js")
PEER_BATCH = 1_000  # the replicator's batch, as RouteCRM's first-sync page


@dataclass
class PeerRun:
    seconds: float
    attempts: int
    docs: int
    peak_bytes: int  # the node process's resident peak, sampled every 100 ms
    link: LinkStats


class PeerUnavailable(RuntimeError):
    """pouchdb-server is not installed (../shared/peers/pouchdb/run.sh installs it into PEER_HOME)."""


@contextmanager
def pouchdb_server() -> Iterator[str]:
    """pouchdb-server on its own loopback port (as run.sh starts it), in memory of nothing: its base URL."""
    binary = PEER_HOME / "node_modules" / ".bin" / "pouchdb-server"
    if not binary.exists() or shutil.which("node") is None:
        raise PeerUnavailable(f"no {binary} (run ../shared/peers/pouchdb/run.sh once to install it)")
    data = Path(tempfile.mkdtemp(prefix="routecrm-bench-pouch-"))
    (data / "config.json").write_text('{"couchdb":{"uuid":"bench"},"log":{"level":"error"}}')
    port = free_port()
    with open(data / "server.log", "wb") as log:
        process = subprocess.Popen(
            [str(binary), "-p", str(port), "-o", "127.0.0.1", "-d", str(data), "-c", str(data / "config.json"), "-n"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        import httpx

        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                if httpx.get(base + "/", timeout=1).is_success:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise PeerUnavailable("pouchdb-server did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


def seed_peer(peer_url: str, server_url: str, token: str) -> int:
    """The territory in the peer, record for record as RouteCRM's phone receives it (every field the server
    sends, the server's own fields included), one document each: put straight in, not through the link."""
    import httpx

    from sync.protocol import SCHEMA_VERSION

    cursor, count = 0, 0
    with (
        httpx.Client(base_url=server_url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as ours,
        httpx.Client(base_url=peer_url, timeout=120) as peer,
    ):
        peer.put("/territory").raise_for_status()
        while True:
            body = {"cursor": cursor, "schema_version": SCHEMA_VERSION, "limit": 1_000, "full": True}
            page = ours.post("/api/sync/pull", json=body).json()
            docs = [
                {**(change["data"] or {}), "_id": change["record_id"], "kind": change["kind"]}
                for change in page["changes"]
                if not change["deleted"]
            ]
            if docs:
                answer = peer.post("/territory/_bulk_docs", json={"docs": docs})
                answer.raise_for_status()
                count += len(docs)
            cursor = page["cursor"]
            if not page["has_more"]:
                return count


def peer_first_sync(peer_url: str, profile: LinkProfile) -> PeerRun:
    """A new PouchDB replicating the territory from pouchdb-server through a link with `profile`."""
    port = int(peer_url.rsplit(":", 1)[1])
    with start_link(port, profile) as link, tempfile.TemporaryDirectory(prefix="routecrm-bench-pouch-phone-") as phone:
        before = link.snapshot()
        command = ["node", str(PEER_PULL), f"{link.url}/territory", str(Path(phone) / "db"), str(PEER_BATCH)]
        env = {**os.environ, "NODE_PATH": str(PEER_HOME / "node_modules")}
        figures = child_figures("the peer's first sync", command, PEER_HOME, env)
        return PeerRun(**figures, link=link.snapshot().since(before))


def run(quick: bool) -> Section:
    divisor = int(os.environ.get("ROUTECRM_BENCH_LINK_DIVISOR", "10" if quick else "1"))
    sizes = (CUSTOMERS // divisor, KEY_PERSONS // divisor, VISITS // divisor)
    profiles = [PRESETS[name] for name in os.environ.get("ROUTECRM_BENCH_LINKS", "VILLAGE,EDGE").split(",")]
    runs: list[LinkRuns] = []
    with server_dir() as directory:
        directory.cli("init-db")
        directory.cli(
            "create-user", "--username", REP, "--password", PASSWORD, "--role", "rep", "--territory", TERRITORY
        )
        directory.cli(
            "create-user",
            "--username",
            SUPERVISOR,
            "--password",
            PASSWORD,
            "--role",
            "supervisor",
            "--territory",
            TERRITORY,
        )
        add_products(directory)
        with running_server(directory) as server:
            from sync.http import HttpSyncApi

            token, _ = login(server.base_url, REP, PASSWORD)
            api = HttpSyncApi(server.base_url, token, timeout=SEED_TIMEOUT)
            started = time.perf_counter()
            try:
                push_all(api, SEED_DEVICE, territory_ops(SEED_DEVICE, *sizes))
            finally:
                api.close()
            print(f"   territory built in {time.perf_counter() - started:.0f} s: {sizes}", flush=True)
            port = int(server.base_url.rsplit(":", 1)[1])
            for profile in profiles:
                with tempfile.TemporaryDirectory(prefix="routecrm-bench-phone-") as folder:
                    runs.append(run_profile(profile, port, server.base_url, sizes, Path(folder)))
                    print(f"   {profile.name}: first sync {runs[-1].first.seconds:.1f} s", flush=True)
            peers, peer_problem = run_peer(server.base_url, token, profiles)
    return section(runs, sizes, divisor, peers, peer_problem)


def run_peer(server_url: str, token: str, profiles: list[LinkProfile]) -> tuple[dict[str, PeerRun], str]:
    """The peer's first sync on each link, or why it did not run."""
    if os.environ.get("ROUTECRM_BENCH_LINK_PEER", "1") == "0":
        return {}, "the peer was skipped (`ROUTECRM_BENCH_LINK_PEER=0`)"
    peers: dict[str, PeerRun] = {}
    try:
        with pouchdb_server() as peer_url:
            seeded = seed_peer(peer_url, server_url, token)
            print(f"   peer: {seeded:,} documents in pouchdb-server", flush=True)
            for profile in profiles:
                peers[profile.name] = peer_first_sync(peer_url, profile)
                print(f"   peer {profile.name}: first sync {peers[profile.name].seconds:.1f} s", flush=True)
    except PeerUnavailable as error:
        return peers, str(error)
    return peers, ""


def _row(name: str, run: PhoneRun, visits: int | None = None) -> list[str]:
    link = run.link
    per_visit = f"{(link.up + link.down) / visits:,.0f}" if visits else ""
    return [
        name,
        fmt(run.seconds, "s"),
        f"{link.down:,}",
        f"{link.up:,}",
        per_visit,
        f"{run.requests} + {link.connections} connect",
        f"{run.attempts} ({link.resets} reset, {link.stalls} stalls)",
        f"{link.busy_s['down']:.1f} / {link.busy_s['up']:.1f} / {link.stalled_s:.1f} s",
        fmt(run.cpu_seconds, "s"),
    ]


def section(
    runs: list[LinkRuns],
    sizes: tuple[int, int, int],
    divisor: int,
    peers: dict[str, PeerRun] | None = None,
    peer_problem: str = "",
) -> Section:
    peers = peers or {}
    customers, key_persons, visits = sizes
    scaled = "" if divisor == 1 else f" (the issue's territory ÷ {divisor}, `ROUTECRM_BENCH_LINK_DIVISOR`)"
    result = Section(
        key="link",
        title="7. Sync over a village link",
        method=(
            f"A territory of {customers:,} customers, {key_persons:,} key persons and {visits:,} visits{scaled}, plus"
            " a catalogue of 30 products, on the real server process (`python -m server serve`, SQLite). The phone is"
            " a child process running the app's own sync (`client.sync_runner.HttpSyncSession`: `SyncEngine` over"
            " `HttpSyncApi`; pages of 2,000 in the columns encoding in a first sync, 500 after) on a real"
            " `LocalStore`, through the link"
            " emulator `bench/link.py` (an asyncio proxy on loopback; bandwidth per direction as a token bucket,"
            " half the round trip each way,"
            " loss as a 1 % chance per 1,400-byte segment of a stall of 3 round trips, a 0.01 % chance per segment"
            " of a reset connection, after which the phone syncs again at once, going on from its stored cursor)."
            " VILLAGE: 384 kbit/s down, 128 kbit/s up, 300 ms round trip; EDGE: 200 / 60 kbit/s, 600 ms. For each"
            " link a new phone: its first sync after sign-in (pulls everything), the morning sync after 200 records"
            " changed on the server (100 customers edited, 100 visits of colleagues), the evening push (15 visits"
            " made at check-in and closed at check-out, 5 orders, 20 notes, then the pull). Bytes are what the link"
            " carried (HTTP headers and bodies, not TCP/IP headers); round trips: HTTP requests plus TCP connects."
            " The phone's peak memory: VmHWM of its process (Python with the client's imports and the store)."
            " Link busy:"
            " the time the link's bandwidth alone needed for the bytes (the emulator's own accounting); stalled: the"
            " retransmission stalls' total; phone CPU: the phone process's CPU time during the sync."
            " One run each."
        ),
    )
    rows = []
    for run in runs:
        name = run.profile.name
        rows.append(_row(f"{name}: first sync", run.first, visits))
        rows.append(_row(f"{name}: morning sync (200 changed)", run.morning))
        rows.append(_row(f"{name}: evening push (15 visits, 5 orders, 20 notes)", run.evening, 15))
    result.tables.append(
        Table(
            [
                "sync",
                "time",
                "bytes down",
                "bytes up",
                "bytes per visit",
                "round trips",
                "attempts",
                "link busy down / up / stalled",
                "phone CPU",
            ],
            rows,
            title="Through the link emulator",
        )
    )
    memory_rows = [
        [
            f"{run.profile.name}: first sync",
            f"{run.first.peak_bytes / 2**20:,.0f} MB",
            f"{run.first.baseline_bytes / 2**20:,.0f} MB",
            f"{run.first.held:,}",
        ]
        for run in runs
    ]
    result.tables.append(Table(["phone process", "peak (VmHWM)", "at start (imports)", "records held"], memory_rows))
    peer_rows = []
    for run in runs:
        peer = peers.get(run.profile.name)
        if peer is None:
            continue
        link = peer.link
        peer_rows.append(
            [
                f"{run.profile.name}: first sync",
                fmt(run.first.seconds, "s"),
                fmt(peer.seconds, "s"),
                f"{run.first.seconds / peer.seconds:.2f}×",
                f"{run.first.link.down:,} / {link.down:,}",
                f"{run.first.link.up:,} / {link.up:,}",
                f"{run.first.requests} + {run.first.link.connections} / {link.connections} connect",
                f"{run.first.attempts} / {peer.attempts} ({link.resets} reset, {link.stalls} stalls)",
                f"{run.first.peak_bytes / 2**20:,.0f} / {peer.peak_bytes / 2**20:,.0f} MB",
                f"{peer.docs:,}",
            ]
        )
    if peer_rows:
        result.tables.append(
            Table(
                [
                    "sync",
                    "RouteCRM",
                    "peer",
                    "RouteCRM ÷ peer",
                    "bytes down (ours / peer)",
                    "bytes up",
                    "round trips (ours: requests + connects / peer: connects)",
                    "attempts (peer's link events)",
                    "phone process peak",
                    "peer docs",
                ],
                peer_rows,
                title="The pouchdb peer through the same link (pouchdb-server 4, a new PouchDB replicating from it)",
            )
        )
    why_peer = peer_problem or "the peer did not run"
    for run in runs:
        name = run.profile.name
        if name == "VILLAGE":
            result.targets.append(Target(f"link: first sync on {name}", run.first.seconds, 60.0, "s"))
        peer = peers.get(name)
        ratio = None if peer is None else run.first.seconds / peer.seconds
        result.targets += [
            Target(f"link: morning sync on {name}", run.morning.seconds, 5.0, "s"),
            Target(f"link: phone peak memory, first sync on {name}", run.first.peak_bytes / 2**20, 150.0, "MB"),
            Target(f"link: first sync on {name} ÷ peer", ratio, 0.5, "×", "" if peer else why_peer),
        ]
    if divisor != 1:
        result.notes.append(f"Scaled down: the territory is the issue's divided by {divisor}.")
    if os.environ.get("ROUTECRM_BENCH_LINK_PLAIN") == "1":
        result.notes.append(
            "`ROUTECRM_BENCH_LINK_PLAIN=1`: the phone as before issue #20 (no gzip either way, pages of 500)."
        )
    return result
