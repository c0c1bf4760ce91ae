"""Scenario 8: what signing costs the push path (issue #17), before and after, on the same ops.

`python -m bench --quick --only chain` (or `python -m bench.chain [N]` for just this table).

- The phone: building an op (the store's `_new_op` without the chain), then signing it and hashing it (what the
  store adds per save); median over N ops, one thread. A save's fsync (section 1) comes on top of either.
- The server, in-process on a fresh SQLite database per variant (the sync service's `push` called directly, no
  HTTP): N note ops pushed in pushes of 500, as a phone's outbox goes.
  - **before**: the chain switched off (`check_push` and `record_applied` replaced by no-ops): the push path
    as it was before issue #17, unsigned ops;
  - **after, unsigned**: a phone with no key (an app from before signing): nothing to verify, each op recorded;
  - **after, signed**: a phone with a key: every signature verified, each op and its link recorded.
  - `check_push` alone on one push of 500 signed ops (the verification, outside the write lock).
Figures are reported, never asserted.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any
from unittest import mock

from bench.report import Section, Table
from server.actor import Actor
from server.db import make_engine, migrate_database, write_session
from server.domains.chain.recording import check_push
from server.domains.customers.service import put_customer
from server.domains.sync import service as sync_service
from server.domains.users.service import create_user
from server.settings import Settings
from server.sync_kinds import SYNC_KINDS
from shared.enums import CustomerKind, OpAction, RecordKind, Role
from shared.ids import new_id
from sync.chain import GENESIS, PhoneKey, op_hash
from sync.protocol import MAX_OPS_PER_PUSH, SCHEMA_VERSION, Op, PushRequest, SigningKey

TERRITORY = "东片"


def _note_ops(device_id: str, customer_id: str, count: int, key: PhoneKey | None) -> list[Op]:
    """`count` note ops of one phone, signed and chained with `key` (None: unsigned, as an old app made them)."""
    ops, head = [], GENESIS
    for seq in range(1, count + 1):
        op = Op(
            op_id=new_id(),
            device_id=device_id,
            seq=seq,
            kind=RecordKind.NOTE,
            record_id=new_id(),
            action=OpAction.PUT,
            fields={
                "customer_id": customer_id,
                "text": f"第{seq}次拜访：院长要样品，下周三再来",
                "created_at": "2026-12-07T09:00:00+08:00",
            },
            made_at="2026-12-07T01:00:00+00:00",
        )
        if key is not None:
            op = key.sign(replace(op, prev_hash=head))
            head = op_hash(op)
        ops.append(op)
    return ops


def phone_side(count: int) -> tuple[float, float]:
    """Median µs per op: building it, and signing + hashing it."""
    key, built, signed = PhoneKey.new(), [], []
    head = GENESIS
    for seq in range(1, count + 1):
        started = time.perf_counter()
        op = Op(
            op_id=new_id(),
            device_id="bench-phone",
            seq=seq,
            kind=RecordKind.NOTE,
            record_id=new_id(),
            action=OpAction.PUT,
            fields={
                "customer_id": "c",
                "text": f"第{seq}次拜访：院长要样品",
                "created_at": "2026-12-07T09:00:00+08:00",
            },
            made_at="2026-12-07T01:00:00+00:00",
            prev_hash=head,
        )
        middle = time.perf_counter()
        op = key.sign(op)
        head = op_hash(op)
        done = time.perf_counter()
        built.append((middle - started) * 1e6)
        signed.append((done - middle) * 1e6)
    return statistics.median(built), statistics.median(signed)


@contextmanager
def _server(folder: Path) -> Iterator[tuple[Any, Settings, Actor, str]]:
    settings = Settings(
        database_url=f"sqlite:///{folder / 'server.db'}",
        secret_key="bench-secret-key-for-signing-tokens-0123456789",
        timezone="Asia/Shanghai",
        data_dir=folder,
        run_jobs=False,
    )
    engine = make_engine(settings.database_url)
    migrate_database(engine)
    with write_session(engine) as session:
        boss = Actor.of(create_user(session, username="boss", password="bench-password-1", role=Role.SUPERVISOR))
        rep = Actor.of(
            create_user(session, username="rep", password="bench-password-1", role=Role.REP, territory=TERRITORY)
        )
        customer = put_customer(
            session,
            boss,
            new_id(),
            {"name": "东片诊所", "kind": CustomerKind.CLINIC.value, "status": "active"},
            server_fields={"territory": TERRITORY},
        ).id
    try:
        yield engine, settings, rep, customer
    finally:
        engine.dispose()


def _push_all(engine: Any, settings: Settings, rep: Actor, ops: list[Op], key: SigningKey | None) -> float:
    """Seconds to push `ops` in pushes of 500."""
    started = time.perf_counter()
    for start in range(0, len(ops), MAX_OPS_PER_PUSH):
        batch = ops[start : start + MAX_OPS_PER_PUSH]
        sync_service.push(
            engine, settings, rep, PushRequest(batch[0].device_id, SCHEMA_VERSION, batch, key), SYNC_KINDS
        )
    return time.perf_counter() - started


def _no_chain() -> Any:
    """The push path as before issue #17: no signature checked, nothing recorded in the chain."""
    skip_check: Callable[..., None] = lambda *_args, **_kwargs: None  # noqa: E731
    skip_record: Callable[..., None] = lambda *_args, **_kwargs: None  # noqa: E731
    patches = [
        mock.patch.object(sync_service, "check_push", skip_check),
        mock.patch.object(sync_service, "record_applied", skip_record),
    ]
    return patches


def server_side(count: int, runs: int) -> dict[str, float]:
    """Median seconds to push `count` ops, per variant; and `check_push` alone on 500 signed ops."""
    timings: dict[str, list[float]] = {"before": [], "unsigned": [], "signed": [], "verify_500": []}
    for run_number in range(runs + 1):  # the first run warms the imports and caches up; it is not counted
        if run_number == 0:
            warm = server_side_once(min(count, MAX_OPS_PER_PUSH))
            del warm
            continue
        for name, seconds in server_side_once(count).items():
            timings[name].append(seconds)
    return {name: statistics.median(values) for name, values in timings.items()}


def server_side_once(count: int) -> dict[str, float]:
    """Seconds to push `count` ops in each variant, and to check 500 signed ops."""
    timings: dict[str, list[float]] = {"before": [], "unsigned": [], "signed": [], "verify_500": []}
    for _ in range(1):
        for variant in ("before", "unsigned", "signed"):
            with tempfile.TemporaryDirectory() as folder, _server(Path(folder)) as (engine, settings, rep, customer):
                device = f"bench-{variant}"
                key = PhoneKey.new() if variant == "signed" else None
                ops = _note_ops(device, customer, count, key)
                signing = SigningKey(key.public_hex, 1) if key is not None else None
                if variant == "before":
                    patches = _no_chain()
                    for patch in patches:
                        patch.start()
                    try:
                        timings[variant].append(_push_all(engine, settings, rep, ops, None))
                    finally:
                        for patch in patches:
                            patch.stop()
                else:
                    timings[variant].append(_push_all(engine, settings, rep, ops, signing))
                if variant == "signed" and key is not None:
                    request = PushRequest(device, SCHEMA_VERSION, ops[:MAX_OPS_PER_PUSH], signing)
                    started = time.perf_counter()
                    check_push(engine, rep, request)
                    timings["verify_500"].append(time.perf_counter() - started)
    return {name: values[0] for name, values in timings.items()}


def run(quick: bool, count: int | None = None) -> Section:
    count = count or (1_000 if quick else 5_000)
    runs = 1 if quick else 3
    build_us, sign_us = phone_side(count)
    server = server_side(count, runs)
    checked = min(count, MAX_OPS_PER_PUSH)  # one push's worth
    per_op = {name: server[name] / count * 1e6 for name in ("before", "unsigned", "signed")}
    rows = [
        ["push path, before (no chain)", f"{server['before']:.2f} s", f"{per_op['before']:.0f} µs", "—"],
        [
            "push path, after, unsigned ops (old app)",
            f"{server['unsigned']:.2f} s",
            f"{per_op['unsigned']:.0f} µs",
            f"{(server['unsigned'] / server['before'] - 1) * 100:.0f} %",
        ],
        [
            "push path, after, signed ops",
            f"{server['signed']:.2f} s",
            f"{per_op['signed']:.0f} µs",
            f"{(server['signed'] / server['before'] - 1) * 100:.0f} %",
        ],
        [
            f"check_push alone, {checked} signed ops",
            f"{server['verify_500'] * 1000:.1f} ms",
            f"{server['verify_500'] / checked * 1e6:.0f} µs",
            "",
        ],
    ]
    phone = [
        ["build an op", f"{build_us:.1f} µs"],
        ["sign it and hash it (added per save)", f"{sign_us:.1f} µs"],
    ]
    return Section(
        key="chain",
        title="8. Signing the push path (issue #17)",
        method=(
            f"{count:,} note ops of one phone, pushed in pushes of 500 straight into the sync service on a fresh "
            f"SQLite database per variant (median of {runs} run(s)); the phone's side is the median per op over "
            f"{count:,} ops. Before = `check_push` and `record_applied` switched off."
        ),
        tables=[
            Table(["server", f"{count:,} ops", "per op", "vs before"], rows, title="Push path"),
            Table(["phone", "median per op"], phone, title="Phone"),
        ],
    )


def main(argv: list[str]) -> int:
    count = int(argv[0]) if argv else 2_000
    section = run(quick=False, count=count)
    print(section.method)
    for table in section.tables:
        print(f"\n{table.title}")
        for row in table.rows:
            print("  " + " | ".join(row))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
