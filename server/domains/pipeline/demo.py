"""Demo development pipeline (server/demo.py calls `seed_pipeline`): per territory, customers who ordered
have a won development (some already at 重复购买), prospects are being developed at every stage, and some
developments were lost, with the reasons the seeds' 战败分析 names. A random stream of its own, so the rest
of the demo stays as it was."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from server.actor import Actor
from server.changes.merging import Edit
from server.domains.customers.models import Customer
from server.domains.orders.models import Order
from server.domains.pipeline.service import put_opportunity, put_stage_event
from shared.enums import CustomerKind, CustomerStatus, LossReason, PipelineStage, StageAction
from shared.hlc import Hlc
from shared.ids import new_id
from shared.pipeline import OPEN_STAGES, opportunity_id_for

# Expected yearly purchases by kind of customer (yuan): a range, rounded to the thousand.
VALUE_RANGE = {
    CustomerKind.TOWNSHIP_HOSPITAL.value: (20_000, 80_000),
    CustomerKind.VILLAGE_CLINIC.value: (2_000, 8_000),
    CustomerKind.CLINIC.value: (3_000, 20_000),
    CustomerKind.PHARMACY.value: (5_000, 30_000),
    CustomerKind.RETAILER.value: (2_000, 10_000),
    CustomerKind.DEALER.value: (50_000, 200_000),
    CustomerKind.INDUSTRIAL.value: (10_000, 60_000),
}
# Price and competitors lose most developments; the rest as the seeds' stage checks go.
LOSS_WEIGHTS = {
    LossReason.PRICE: 30,
    LossReason.COMPETITOR: 25,
    LossReason.NO_NEED: 12,
    LossReason.DECISION_MAKER: 12,
    LossReason.PRODUCT_FIT: 8,
    LossReason.PAYMENT_TERMS: 7,
    LossReason.SERVICE: 4,
    LossReason.OTHER: 2,
}
STAGE_NOTES = {
    PipelineStage.INFORMATION: ["样品已送达，等院长试用反馈", "摸清了月用量和现供货商", "加了采购的微信，约下周再谈"],
    PipelineStage.ASSESSMENT: [
        "月用量约 20 盒，成交可能性大",
        "现供货商账期 60 天，是主要障碍",
        "预计费用：样品和两次拜访",
    ],
    PipelineStage.RELATIONSHIP: ["和坐诊医生关系不错，老板还没松口", "院长生日送了花篮", "技术负责人认可样品"],
    PipelineStage.CLOSING: ["老板同意先小批量试订", "约了下周考察仓库", "价格谈妥，等首单"],
}
LOSS_NOTES = {
    LossReason.PRICE: "比现供货商贵一成，不肯换",
    LossReason.COMPETITOR: "竞品给了更长账期和返点",
    LossReason.NO_NEED: "用量太小，没有换供货商的打算",
    LossReason.DECISION_MAKER: "一直没见到真正拍板的老板",
    LossReason.PRODUCT_FIT: "样品规格不合适",
    LossReason.PAYMENT_TERMS: "要求 90 天账期，公司不同意",
    LossReason.SERVICE: "嫌配送周期长",
    LossReason.OTHER: "诊所要转让",
}


def _at(day: dt.date, tz: dt.tzinfo, rng: random.Random) -> str:
    moment = dt.datetime.combine(day, dt.time(9, 0), tzinfo=tz) + dt.timedelta(minutes=rng.randint(0, 480))
    return moment.isoformat()


def _clock(at: str, node: str) -> str:
    return str(Hlc(int(dt.datetime.fromisoformat(at).timestamp() * 1000), 0, node))


def seed_pipeline(
    session: Session,
    reps: Mapping[str, Actor],
    customers: Mapping[str, list[str]],
    now_day: dt.date,
    tz: dt.tzinfo,
    seed: int,
) -> int:
    """Opportunities with their stage histories; returns how many."""
    rng = random.Random(seed)
    ordered = set(session.exec(select(Order.customer_id).distinct()).all())
    count = 0
    for territory, rep in reps.items():
        node = f"demo-{rep.id[:8]}"
        pool = customers[territory]
        rows = session.exec(select(Customer).where(col(Customer.id).in_(pool))).all()
        kinds = {c.id: c.kind for c in rows}
        gone_cold = {c.id for c in rows if c.status in (CustomerStatus.DORMANT, CustomerStatus.LOST)}
        buyers = [cid for cid in pool if cid in ordered and cid not in gone_cold]
        # Prospects, and customers gone cold being developed again.
        candidates = [cid for cid in pool if cid not in ordered or cid in gone_cold]
        won = rng.sample(buyers, min(len(buyers), 6))
        developing = rng.sample(candidates, min(len(candidates), 16))
        for index, customer_id in enumerate(won + developing):
            low, high = VALUE_RANGE.get(kinds.get(customer_id, ""), (3_000, 20_000))
            value = float(round(rng.uniform(low, high), -3))
            opened = now_day - dt.timedelta(days=rng.randint(25, 120))
            opportunity_id = opportunity_id_for(customer_id, 1)
            opened_at = _at(opened, tz, rng)
            fields = {"customer_id": customer_id, "expected_value": value, "opened_at": opened_at}
            put_opportunity(session, rep, opportunity_id, fields, edit=Edit(clock=_clock(opened_at, node)))
            if customer_id in won:
                target, ending = PipelineStage.CLOSING, StageAction.WON
            elif index % 4 == 3:  # about one in four developments lost
                target, ending = rng.choice(OPEN_STAGES[:4]), StageAction.LOST
            else:
                target, ending = rng.choice(OPEN_STAGES), StageAction.MOVE
            _history(session, rep, opportunity_id, customer_id, opened, now_day, target, ending, tz, rng, node)
            count += 1
    return count


def _history(
    session: Session,
    rep: Actor,
    opportunity_id: str,
    customer_id: str,
    opened: dt.date,
    now_day: dt.date,
    target: PipelineStage,
    ending: StageAction,
    tz: dt.tzinfo,
    rng: random.Random,
    node: str,
) -> None:
    """Moves stage by stage up to `target` (now and then one back), then won or lost if so."""
    steps: list[dict[str, object]] = []
    for stage in OPEN_STAGES[1 : OPEN_STAGES.index(target) + 1]:
        note = rng.choice(STAGE_NOTES[stage]) if stage in STAGE_NOTES and rng.random() < 0.6 else None
        steps.append({"action": StageAction.MOVE.value, "stage": stage.value, "note": note})
        if stage is PipelineStage.RELATIONSHIP and rng.random() < 0.15:  # the boss cooled: back a step, then on
            steps.append({"action": StageAction.MOVE.value, "stage": PipelineStage.ASSESSMENT.value, "note": None})
            steps.append({"action": StageAction.MOVE.value, "stage": stage.value, "note": None})
    if ending is StageAction.WON:
        steps.append({"action": StageAction.WON.value, "stage": PipelineStage.CLOSING.value, "note": "首单已下"})
        if rng.random() < 0.5:
            steps.append({"action": StageAction.MOVE.value, "stage": PipelineStage.REPEAT.value, "note": "第二次进货"})
    elif ending is StageAction.LOST:
        reason = rng.choices(list(LOSS_WEIGHTS), weights=list(LOSS_WEIGHTS.values()))[0]
        steps.append({"action": StageAction.LOST.value, "loss_reason": reason.value, "note": LOSS_NOTES[reason]})
    span = max((now_day - opened).days - 1, len(steps))
    days = sorted(rng.sample(range(1, span + 1), len(steps))) if steps else []
    for offset, step in zip(days, steps, strict=True):
        at = _at(opened + dt.timedelta(days=offset), tz, rng)
        fields: dict[str, Any] = {"opportunity_id": opportunity_id, "customer_id": customer_id, "at": at}
        fields |= {name: value for name, value in step.items() if value is not None}
        put_stage_event(session, rep, new_id(), fields, clock=_clock(at, node))
