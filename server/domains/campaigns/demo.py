"""Demo campaigns with participation recorded on the demo visits, and monthly targets for every rep
(server/demo.py calls this after the visits and orders exist, so results and achievement come from them)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping

from sqlmodel import Session, col, select

from server.actor import Actor
from server.domains.campaigns.service import put_campaign, put_campaign_result
from server.domains.orders.models import Order
from server.domains.targets.service import month_of, parse_month, set_target, target_achievement
from server.domains.visits.models import Visit
from shared.enums import CampaignType
from shared.ids import new_id

FEEDBACK = (
    "订货会政策很实惠，当场订了货",
    "对买赠活动感兴趣，下次再进一批",
    "陈列位置好，顾客问的人多了",
    "试用装反馈不错，医生愿意继续用",
    "今年预算紧，先观望",
    "希望配送再快一点",
)


def _plans(day: dt.date) -> list[tuple[CampaignType, str, dt.date, dt.date, float, str]]:
    """Per territory: an order meeting running now, a display finished last month, a trial starting soon."""
    last_month_end = day.replace(day=1) - dt.timedelta(days=1)
    return [
        (
            CampaignType.ORDER_MEETING,
            "冬季乡镇订货会",
            day - dt.timedelta(days=12),
            day + dt.timedelta(days=5),
            3000.0,
            "以乡镇为单位组织小型订货会，卫生院主任传达政策到村卫生室；现场订货满 2000 元赠消毒液一箱。",
        ),
        (
            CampaignType.DISPLAY,
            "药店端架陈列",
            last_month_end.replace(day=1),
            last_month_end,
            1200.0,
            "重点药店端架陈列一个月，陈列费按店支付。",
        ),
        (
            CampaignType.TRIAL,
            "新品敷料试用",
            day + dt.timedelta(days=3),
            day + dt.timedelta(days=30),
            800.0,
            "向诊所医生赠送试用装，形成使用习惯后再跟进订货。",
        ),
    ]


def seed_campaigns_and_targets(
    session: Session,
    supervisor: Actor,
    reps: Mapping[str, Actor],
    customers: Mapping[str, list[str]],
    today: dt.date,
    seed: int,
) -> tuple[int, int, int]:
    """Returns (campaigns, participation records, targets)."""
    rng = random.Random(seed)
    session.flush()  # the demo's visits and orders, readable below
    campaigns = results = 0
    by_id = {rep.id: rep for rep in reps.values()}
    for territory, ids in customers.items():
        for kind, name, starts, ends, cost, notes in _plans(today):
            invited = rng.sample(ids, min(len(ids), rng.randint(8, 14)))
            fields = {
                "campaign_type": kind.value,
                "name": f"{territory}{name}",
                "territory": territory,
                "starts_on": starts.isoformat(),
                "ends_on": ends.isoformat(),
                "customer_ids": invited,
                "cost": cost,
                "notes": notes,
            }
            campaign = put_campaign(session, supervisor, new_id(), fields)
            campaigns += 1
            if starts > today:
                continue  # not started: nothing to record yet
            visits = session.exec(
                select(Visit)
                .where(col(Visit.customer_id).in_(invited), col(Visit.visit_day) >= starts)
                .where(col(Visit.visit_day) <= min(ends, today))
                .order_by(col(Visit.check_in_at))
            ).all()
            recorded: set[str] = set()
            for visit in visits:
                if visit.customer_id in recorded or visit.rep_id not in by_id or rng.random() < 0.25:
                    continue
                recorded.add(visit.customer_id)
                order = session.exec(select(Order).where(Order.visit_id == visit.id)).first()
                participated = order is not None or rng.random() < 0.6
                result: dict[str, object] = {
                    "campaign_id": campaign.id,
                    "customer_id": visit.customer_id,
                    "visit_id": visit.id,
                    "participated": participated,
                    "recorded_at": visit.check_out_at or visit.check_in_at,
                    "feedback": rng.choice(FEEDBACK if participated else FEEDBACK[4:]),
                }
                if order is not None and participated:
                    result["order_id"], result["amount"] = order.id, order.amount
                put_campaign_result(session, by_id[visit.rep_id], new_id(), result)
                results += 1
    session.flush()
    return campaigns, results, _seed_targets(session, supervisor, list(reps.values()), today, rng)


def _seed_targets(session: Session, supervisor: Actor, reps: list[Actor], today: dt.date, rng: random.Random) -> int:
    """Targets for the last two months and this one. The demo's history is made up, so the targets are made to
    fit it: a past month's targets a little around what the rep did (achievement about 80-120%), this month's
    around the pace so far projected to the month's end."""
    end_of_last = today.replace(day=1) - dt.timedelta(days=1)
    end_of_one_before = end_of_last.replace(day=1) - dt.timedelta(days=1)
    count = 0
    for month in (month_of(end_of_one_before), month_of(end_of_last), month_of(today)):
        first, last = parse_month(month)
        elapsed = (min(today, last) - first).days + 1
        pace = ((last - first).days + 1) / elapsed  # 1 for a past month
        done = target_achievement(session, [rep.id for rep in reps], month)
        for rep in reps:
            row = done[rep.id]

            def goal(actual: float, floor: float, pace: float = pace) -> float:
                return max(actual * pace, floor) / rng.uniform(0.8, 1.2)

            set_target(
                session,
                supervisor,
                rep.id,
                month,
                sales_amount=round(goal(row.amount.actual, 3000.0), -2),
                new_customers=max(1, round(goal(row.new_customers.actual, 1.0))),
                visits=max(10, round(goal(row.visits.actual, 10.0))),
            )
            count += 1
    return count
