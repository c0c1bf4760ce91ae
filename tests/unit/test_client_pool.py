"""认领 / 释放到公海 on the phone, offline (client/features/pool): the customer's standing as the phone knows it
(我的客户 / 公海 / another rep's / waiting to sync / a refused claim naming the owner), the 公海 list, and the
card's ownership line with its 48-px buttons."""

from __future__ import annotations

import datetime as dt

from client.features.customers import view as customer_view
from client.features.pool import view as pool_view
from client.features.pool.service import Ownership, Standing, claim, ownership, pool_customers, release
from client.services import POOL_RULES, AppService, CustomerCard
from client.shell.state import AppState, Screen
from client.storage.store import LocalStore
from shared.enums import RecordKind
from shared.errors import ErrorCode
from shared.ids import new_id
from shared.pool import ClaimOutlook, ClaimStanding
from sync.protocol import Change, OpResult, OpStatus
from tests.unit.helpers import FakeClock, Recorder, buttons, pulled, texts

TZ = dt.timezone(dt.timedelta(hours=8))
ME, OTHER = new_id(), new_id()


def service_of(store: LocalStore) -> AppService:
    store.set_meta(user={"id": ME, "username": "li.rep", "display_name": "李明", "role": "rep", "territory": "东片"})
    return AppService(store, clock=FakeClock(dt.datetime(2026, 12, 7, 9, 0, tzinfo=TZ)))


def a_customer(store: LocalStore, name: str, owner: str | None, owner_name: str | None = None) -> str:
    fields = {"name": name, "kind": "clinic", "status": "active", "owner_rep_id": owner, "owner_name": owner_name}
    return pulled(store, RecordKind.CUSTOMER, fields)


def test_the_standing_follows_the_owner_and_the_taps_waiting_to_sync(store: LocalStore) -> None:
    service = service_of(store)
    mine, pool, others = (
        a_customer(store, "我的诊所", ME, "李明"),
        a_customer(store, "公海诊所", None),
        a_customer(store, "别人的诊所", OTHER, "王强"),
    )
    standing = {cid: ownership(service, store.get(RecordKind.CUSTOMER, cid) or {}) for cid in (mine, pool, others)}
    assert standing == {
        mine: Ownership(Standing.MINE, "李明"),
        pool: Ownership(Standing.POOL),
        others: Ownership(Standing.OTHER, "王强"),
    }
    assert [c["id"] for c in pool_customers(service)] == [pool]
    claim(service, pool)
    release(service, mine)
    assert store.pending_count() == 2  # saved with their ops, offline
    assert ownership(service, store.get(RecordKind.CUSTOMER, pool) or {}).standing is Standing.CLAIMING
    assert ownership(service, store.get(RecordKind.CUSTOMER, mine) or {}).standing is Standing.RELEASING
    assert pool_customers(service) == []  # claimed here: no longer offered


def test_a_refused_claim_names_the_owner_and_a_new_tap_replaces_it(store: LocalStore) -> None:
    service = service_of(store)
    customer_id = a_customer(store, "公海诊所", None)
    claim(service, customer_id)
    (op,) = store.pending_ops(10)
    store.record_results(
        [OpResult(op.seq, op.op_id, OpStatus.REJECTED, ErrorCode.ALREADY_CLAIMED, "already claimed by 王强")]
    )
    assert ownership(service, store.get(RecordKind.CUSTOMER, customer_id) or {}).refused == "already claimed by 王强"
    # The same sync's pull brings the customer with its owner: the card names them.
    data = {**(store.get(RecordKind.CUSTOMER, customer_id) or {}), "owner_rep_id": OTHER, "owner_name": "王强"}
    seq = store.pull_cursor() + 1
    store.apply_pull_page([Change(seq, RecordKind.CUSTOMER, customer_id, False, data)], seq)
    assert ownership(service, store.get(RecordKind.CUSTOMER, customer_id) or {}) == Ownership(
        Standing.OTHER, "王强", "王强"
    )
    claim(service, customer_id)  # tried again (e.g. after 王强 released it): the old draft goes
    assert store.rejected_ops() == [] and store.pending_count() == 1


def card_state(standing: Ownership) -> AppState:
    card = CustomerCard(
        customer={"id": "c1", "name": "东关诊所", "kind": "clinic", "status": "active"},
        on_plan_today=False,
        visits=[],
        notes=[],
        open_visit=None,
    )
    return AppState(lang="zh-CN", screen=Screen.CUSTOMER, customer_id="c1", customer=card, ownership=standing)


def test_the_card_offers_claim_for_a_pool_customer_and_release_for_the_reps_own() -> None:
    actions = Recorder()
    shown = customer_view.build(card_state(Ownership(Standing.POOL)), actions)  # type: ignore[arg-type]
    assert "公海客户" in texts(shown) and "释放到公海" not in buttons(shown)
    tap = buttons(shown)["认领"]
    assert tap.height >= 48
    tap.on_click(None)
    shown = customer_view.build(card_state(Ownership(Standing.MINE, "李明")), actions)  # type: ignore[arg-type]
    assert "我的客户" in texts(shown) and "认领" not in buttons(shown)
    buttons(shown)["释放到公海"].on_click(None)
    assert actions.calls == [("claim_customer", ("c1",)), ("release_customer", ("c1",))]
    refused = customer_view.build(card_state(Ownership(Standing.OTHER, "王强", "王强")), actions)  # type: ignore[arg-type]
    assert {"归属：王强", "认领未成功：已被 王强 认领"} <= set(texts(refused))
    assert not {"认领", "释放到公海"} & set(buttons(refused))


def test_the_pool_list_opens_a_card() -> None:
    actions = Recorder()
    state = AppState(
        lang="zh-CN", screen=Screen.POOL, pool_results=[{"id": "c9", "name": "北关卫生室", "kind": "clinic"}]
    )
    shown = pool_view.build(state, actions)  # type: ignore[arg-type]
    assert "北关卫生室" in texts(shown) and "公海客户" in texts(shown)


def outlook_of(service: AppService, customer_id: str) -> ClaimOutlook | None:
    return ownership(service, service.store.get(RecordKind.CUSTOMER, customer_id) or {}).outlook


def test_the_card_says_before_the_tap_that_a_claim_beyond_the_months_limit_will_be_refused(store: LocalStore) -> None:
    service = service_of(store)
    first, second, third = (a_customer(store, name, None) for name in ("北关卫生室", "南关诊所", "西街药店"))
    assert outlook_of(service, first) is None  # no sync has brought the limits yet: nothing is said
    # The last pull: 2 of this month's 3 claims used (the phone's clock says 2026-12).
    store.set_meta(**{POOL_RULES: ClaimStanding(3, 0, False, "2026-12", 2).as_dict()})
    assert outlook_of(service, first) is ClaimOutlook.LET_THROUGH
    claim(service, first)  # the 3rd, offline
    assert outlook_of(service, first) is ClaimOutlook.LET_THROUGH  # waiting to sync, and within the limit
    assert outlook_of(service, second) is ClaimOutlook.OVER_MONTHLY_LIMIT  # a 4th would be refused
    claim(service, second)
    assert outlook_of(service, second) is ClaimOutlook.OVER_MONTHLY_LIMIT  # said while it waits too
    release(service, first)  # a release gives back an owned place, not a claim of the month
    assert outlook_of(service, third) is ClaimOutlook.OVER_MONTHLY_LIMIT
    store.set_meta(**{POOL_RULES: ClaimStanding(4, 0, False, "2026-12", 2).as_dict()})
    assert outlook_of(service, third) is ClaimOutlook.OVER_MONTHLY_LIMIT  # 2 + first + second: 4 of 4
    store.set_meta(**{POOL_RULES: ClaimStanding(3, 0, True, "2026-12", 2).as_dict()})
    assert outlook_of(service, third) is ClaimOutlook.NEEDS_APPROVAL  # POOL_CLAIM_OVER_LIMIT=approve
    store.set_meta(**{POOL_RULES: ClaimStanding(3, 0, False, "2026-11", 3).as_dict()})
    assert outlook_of(service, third) is ClaimOutlook.LET_THROUGH  # last month's count: a new month began


def test_the_owned_limit_counts_the_reps_customers_and_the_taps_waiting_to_sync(store: LocalStore) -> None:
    service = service_of(store)
    a_customer(store, "我的诊所", ME, "李明")
    pool, other = a_customer(store, "公海诊所", None), a_customer(store, "另一家公海诊所", None)
    store.set_meta(**{POOL_RULES: ClaimStanding(0, 2, True, "2026-12", 0).as_dict()})
    assert outlook_of(service, pool) is ClaimOutlook.LET_THROUGH  # owns 1 of 2
    claim(service, pool)
    assert outlook_of(service, other) is ClaimOutlook.OVER_OWNED_LIMIT  # 2 of 2 with the pending claim


def test_the_card_shows_the_outlook_under_the_claim_button() -> None:
    actions = Recorder()
    standing = Ownership(Standing.POOL, outlook=ClaimOutlook.OVER_MONTHLY_LIMIT)
    shown = customer_view.build(card_state(standing), actions)  # type: ignore[arg-type]
    assert "本月认领已达上限：此认领同步后会被拒绝" in texts(shown) and "认领" in buttons(shown)
    fine = customer_view.build(card_state(Ownership(Standing.POOL, outlook=ClaimOutlook.LET_THROUGH)), actions)  # type: ignore[arg-type]
    assert not any("上限" in text for text in texts(fine))
