"""Demo data: a believable county (河北省保定市望都县) with three reps' territories and about 120 terminals.

Deterministic for a given moment (fixed random seed), relative to the company's now (settings.TIMEZONE):
seeded at any hour, today holds the day so far and nothing lies in the future. Every record goes through
the same service functions as real writes, so the change log is filled and phones can pull it all.
Every demo user's password is `demo1234`.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from server.actor import Actor
from server.clock import local_day, now_in, now_iso
from server.db import create_tables, write_session
from server.demo_photos import seed_photo
from server.domains.access import RECORD_CACHE, preload
from server.domains.approvals.demo import seed_approvals
from server.domains.attendance.service import put_punch
from server.domains.campaigns.demo import seed_campaigns_and_targets
from server.domains.chain.demo import DemoPhones
from server.domains.competitors.service import put_competitor_report
from server.domains.complaints.service import put_complaint
from server.domains.customers.models import Customer
from server.domains.customers.service import put_customer
from server.domains.development.service import (
    lifecycle_rules,
    recompute_tiers,
    refresh_all_lifecycles,
    set_credit_rating,
    tier_rules,
)
from server.domains.key_persons.service import put_key_person
from server.domains.notes.service import put_note
from server.domains.orders.service import put_order
from server.domains.pipeline.demo import seed_pipeline
from server.domains.products.models import Product
from server.domains.products.service import put_product
from server.domains.routes.service import set_route_plan
from server.domains.users.models import User
from server.domains.users.service import count_users, create_user
from server.domains.visits.service import put_visit, visit_flag_rules
from server.settings import Settings
from shared.enums import (
    Attitude,
    CreditRating,
    CustomerKind,
    CustomerStatus,
    DealOutcome,
    Importance,
    PhotoSource,
    RecordKind,
    Role,
    VisitType,
)
from shared.ids import new_id
from shared.records import home_follow_up_due, order_total

DEMO_PASSWORD = "demo1234"
SEED = 20261126
COUNTY = "河北省保定市望都县"
COUNTY_SEAT = (38.7076, 115.1550)  # 望都县城


@dataclass(frozen=True)
class Township:
    name: str
    offset: tuple[float, float]  # from the county seat, degrees (lat, lng)
    villages: tuple[str, ...]


TERRITORIES: dict[str, tuple[Township, ...]] = {
    "望都东片": (
        Township("望都镇", (0.0, 0.012), ("东关村", "南关村", "北关村", "东白尧村", "城东村", "东阳村")),
        Township("固店镇", (0.045, 0.085), ("固店村", "吕家庄村", "东马庄村", "西马庄村", "大白尧村", "刘庄村")),
        Township("中韩庄乡", (-0.055, 0.07), ("中韩庄村", "北韩庄村", "南韩庄村", "东韩庄村", "柳陀村", "石庄村")),
    ),
    "望都西片": (
        Township("寺庄乡", (-0.04, -0.075), ("寺庄村", "贤城村", "王庄村", "刘家庄村", "南辛庄村", "大马庄村")),
        Township("赵庄乡", (0.0, -0.11), ("赵庄村", "南贾村", "北贾村", "西白尧村", "韩家营村", "杨各庄村")),
        Township("黑堡乡", (-0.09, -0.02), ("黑堡村", "沟里村", "孟庄村", "北石桥村", "南石桥村", "小王庄村")),
    ),
    "望都北片": (
        Township("贾村乡", (0.075, -0.03), ("贾村", "西贾村", "北苑村", "南苑村", "高庄村", "辛庄村")),
        Township("高岭乡", (0.11, 0.03), ("高岭村", "西高岭村", "郭村", "马坊村", "史家庄村", "李家庄村")),
    ),
}

REPS = (
    ("li.rep", "李明", "望都东片"),
    ("wang.rep", "王强", "望都西片"),
    ("zhao.rep", "赵丽", "望都北片"),
)
SUPERVISOR = ("zhang.manager", "张经理")

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐韩冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = (
    "建国",
    "秀英",
    "志强",
    "桂兰",
    "红梅",
    "海涛",
    "丽娟",
    "国庆",
    "春生",
    "玉珍",
    "振华",
    "淑芬",
    "立新",
    "雪梅",
    "文斌",
)
MOBILE_PREFIXES = ("131", "135", "136", "138", "139", "150", "151", "158", "186", "187")
PHARMACY_NAMES = (
    "仁和堂药店",
    "康泰大药房",
    "百姓大药房",
    "同济堂药店",
    "惠民药店",
    "益康大药房",
    "福瑞堂药店",
    "济生药店",
)
ROLES_MET = ("院长", "医生", "老板", "采购主任", "药剂师", "护士长")
PURPOSES = (
    "介绍新品并了解用药量",
    "回访上次样品试用情况",
    "收集竞品信息",
    "跟进订单与回款",
    "送宣传资料，确认陈列",
    "了解关键人需求",
)
PROGRESS = (
    "已建立联系，约定下次带样品",
    "试用反馈良好，考虑进货",
    "对价格有顾虑，需准备报价方案",
    "已下单，约定下周送货",
    "决策人外出，下次再访",
    "关系稳定，正常补货",
)
NOTES = (
    "院长周二、周四上午坐诊，其他时间在县里开会。",
    "竞品每盒便宜 2 元，但到货慢，客户有意见。",
    "老板娘管进货，下次直接找她。",
    "要求送货到村口，路窄大车进不去。",
    "上批货外包装有破损，已反馈仓库，需回访确认。",
    "采购主任生日在下月，记得问候。",
    "对冬季促销活动感兴趣，订货会请他参加。",
    "药店准备扩店，下月可能增加品种。",
)


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return f"0312-72{rng.randint(10000, 99999)}"
    return f"{rng.choice(MOBILE_PREFIXES)}{rng.randint(10_000_000, 99_999_999)}"


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


# When some demo customers receive reps (shared/door_hours.py): township hospitals on weekdays outside their
# lunch break; the owners of one pharmacy chain only before 10:00.
HOSPITAL_HOURS = {"weekly": {str(day): ["08:30-11:30", "14:30-17:00"] for day in range(1, 6)}}
OWNER_MORNINGS = {"weekly": {str(day): ["08:00-10:00"] for day in range(1, 8)}}


def _customers_of(township: Township, rng: random.Random) -> list[dict[str, object]]:
    """One township centre, village clinics, clinics and pharmacies: 15 terminals per township."""
    base_lat, base_lng = COUNTY_SEAT[0] + township.offset[0], COUNTY_SEAT[1] + township.offset[1]
    prefix = township.name.removesuffix("镇").removesuffix("乡")
    entries: list[tuple[str, CustomerKind, str]] = [
        (
            f"{township.name}卫生院",
            CustomerKind.TOWNSHIP_HOSPITAL,
            f"{COUNTY}{township.name}政府街 {rng.randint(1, 80)} 号",
        )
    ]
    for village in township.villages:
        entries.append((f"{village}卫生室", CustomerKind.VILLAGE_CLINIC, f"{COUNTY}{township.name}{village}"))
    for _ in range(4):
        surname = rng.choice(SURNAMES)
        village = rng.choice(township.villages)
        entries.append(
            (f"{village.removesuffix('村')}{surname}氏诊所", CustomerKind.CLINIC, f"{COUNTY}{township.name}{village}")
        )
    for name in rng.sample(PHARMACY_NAMES, 4):
        entries.append(
            (
                f"{prefix}{name}",
                CustomerKind.PHARMACY,
                f"{COUNTY}{township.name}{rng.choice(('大街', '商业街', '新华路', '建设路'))} {rng.randint(1, 200)} 号",
            )
        )
    rows: list[dict[str, object]] = []
    for name, kind, address in entries:
        row: dict[str, object] = {
            "name": name,
            "kind": kind.value,
            "address": address,
            "phone": _phone(rng),
            "lat": round(base_lat + rng.uniform(-0.018, 0.018), 6),
            "lng": round(base_lng + rng.uniform(-0.022, 0.022), 6),
            "status": rng.choices([s.value for s in CustomerStatus], weights=[8, 14, 62, 11, 5])[0],
            "importance": rng.choices([i.value for i in Importance], weights=[20, 60, 20])[0],
            "contact_person": _person(rng),
        }
        if kind is CustomerKind.TOWNSHIP_HOSPITAL:
            row["door_hours"] = HOSPITAL_HOURS
        elif kind is CustomerKind.PHARMACY and name.endswith(PHARMACY_NAMES[0]):
            row["door_hours"] = OWNER_MORNINGS
        rows.append(row)
    return rows


def _at(day: dt.date, minutes: int, settings: Settings) -> str:
    moment = dt.datetime.combine(day, dt.time(0, 0), tzinfo=settings.tz) + dt.timedelta(minutes=minutes)
    return moment.isoformat()


def _minute_of_day(at: str) -> int:
    moment = dt.datetime.fromisoformat(at)
    return moment.hour * 60 + moment.minute


def _book_visit(world: DemoWorld, rep: Actor, day: dt.date, fields: dict[str, object]) -> None:
    """A route visit's time, kept for the rep's day (its times are set by the route, in order, never clashing)."""
    start = _minute_of_day(str(fields["check_in_at"]))
    end = _minute_of_day(str(fields.get("check_out_at") or fields["check_in_at"])) + 1
    world.booked.setdefault((rep.id, day), []).append((start, max(end, start + 1)))


def _before(now: dt.datetime, at: str) -> str:
    """`at`, or the same time a day earlier when it is still to come (seeded early in the morning)."""
    moment = dt.datetime.fromisoformat(at)
    return at if moment <= now else (moment - dt.timedelta(days=1)).isoformat()


def _sent_at(fields: dict[str, object]) -> str:
    """When a demo visit reached the server: as the rep checked out (or in), as on a phone with signal."""
    return str(fields.get("check_out_at") or fields["check_in_at"])


VISIT_END_FIELDS = ("check_out_at", "attitude", "progress", "ordered", "order_amount", "next_visit_date")


def _so_far(fields: dict[str, object], now: dt.datetime) -> dict[str, object] | None:
    """A visit as it stands at `now`: None when not yet begun, without its end when still going on."""
    if dt.datetime.fromisoformat(str(fields["check_in_at"])) > now:
        return None
    if dt.datetime.fromisoformat(str(fields["check_out_at"])) <= now:
        return fields
    return {name: value for name, value in fields.items() if name not in VISIT_END_FIELDS}


def _visit_fields(
    rng: random.Random, customer_id: str, day: dt.date, start: int, settings: Settings, *, finished: bool, ordered: bool
) -> dict[str, object]:
    visit_type = rng.choices(
        [VisitType.DAY, VisitType.SECOND, VisitType.EARLY, VisitType.FOLLOW_UP, VisitType.FIRST, VisitType.PHONE],
        weights=[50, 20, 10, 10, 7, 3],
    )[0]
    if visit_type == VisitType.EARLY:  # 早访 07:30-08:10 only as the day's first call
        if start > 8 * 60 + 10:
            visit_type = VisitType.DAY
        else:
            start = 7 * 60 + 40
    fields: dict[str, object] = {
        "customer_id": customer_id,
        "visit_type": visit_type.value,
        "check_in_at": _at(day, start, settings),
        "person_met": rng.choice(SURNAMES) + rng.choice(ROLES_MET),
        "purpose": rng.choice(PURPOSES),
    }
    if finished:
        fields.update(
            {
                "check_out_at": _at(day, start + rng.randint(8, 25), settings),  # before the next stop's start
                "attitude": rng.choices([a.value for a in Attitude], weights=[50, 38, 12])[0],
                "progress": rng.choice(PROGRESS),
                "ordered": ordered,
                "order_amount": float(rng.randrange(300, 8000, 10)) if ordered else None,
            }
        )
        if rng.random() < 0.4:
            fields["next_visit_date"] = (day + dt.timedelta(days=rng.choice((3, 7, 14)))).isoformat()
    return fields


def _seed_attendance(session: Session, reps: list[Actor], days: list[dt.date], settings: Settings) -> int:
    """考勤 of the days before today (today each rep still has to start the day on the phone): most start around
    08:00, some late; most end around 18:00, some early, one day in a while never ended."""
    rng = random.Random(SEED + 17)
    count = 0
    for rep in reps:
        for day in days:
            start = 7 * 60 + 40 + rng.choice((0, 5, 10, 12, 15, 18, 19, 25, 35, 50))
            put_punch(session, rep, new_id(), {"action": "start", "at": _at(day, start, settings)}, tz=settings.tz)
            count += 1
            if rng.random() < 0.1:  # forgot 下班打卡
                continue
            end = 17 * 60 + 30 + rng.choice((5, 20, 30, 35, 40, 55, 70))
            put_punch(session, rep, new_id(), {"action": "end", "at": _at(day, end, settings)}, tz=settings.tz)
            count += 1
    return count


def seed_demo(engine: Engine, settings: Settings, *, force: bool = False) -> str | None:
    """Fill the database with the demo county; None (nothing done) when it has users, unless `force`."""
    if force:
        import server.models  # noqa: F401 - every table known before drop_all

        SQLModel.metadata.drop_all(engine)
    create_tables(engine)
    with write_session(engine) as session:
        if count_users(session) > 0:
            return None
        return _seed(session, settings)


def _demo_rep(session: Session, username: str, name: str, territory: str) -> User:
    """A demo rep living in the first township of the territory: the day's route starts and ends there."""
    rep = create_user(
        session, username=username, password=DEMO_PASSWORD, role=Role.REP, display_name=name, territory=territory
    )
    home = TERRITORIES[territory][0].offset
    rep.base_lat, rep.base_lng = round(COUNTY_SEAT[0] + home[0], 6), round(COUNTY_SEAT[1] + home[1], 6)
    session.add(rep)
    return rep


def _seed(session: Session, settings: Settings) -> str:
    rng = random.Random(SEED)
    supervisor = Actor.of(
        create_user(
            session, username=SUPERVISOR[0], password=DEMO_PASSWORD, role=Role.SUPERVISOR, display_name=SUPERVISOR[1]
        )
    )
    reps = {territory: Actor.of(_demo_rep(session, username, name, territory)) for username, name, territory in REPS}
    now = now_in(settings.tz)
    now_day = now.date()
    world = DemoWorld(random.Random(SEED + 4), _seed_products(session, supervisor))
    customers: dict[str, list[str]] = {}
    for territory, townships in TERRITORIES.items():
        rep = reps[territory]
        ids: list[str] = []
        for township in townships:
            for fields in _customers_of(township, rng):
                created = now_day - dt.timedelta(days=rng.randint(30, 720))
                fields["created_at"] = _at(created, 9 * 60 + rng.randint(0, 480), settings)
                rng.choices("ABC", weights=[20, 30, 50])  # keeps the rest of the county as it was before tiers
                fields["status"] = CustomerStatus.PROSPECT.value  # orders move customers along (lifecycle)
                customer = put_customer(
                    session,
                    supervisor,
                    new_id(),
                    fields,
                    server_fields={"territory": territory, "owner_rep_id": rep.id},
                )
                ids.append(customer.id)
                world.places[customer.id] = (customer.lat or COUNTY_SEAT[0], customer.lng or COUNTY_SEAT[1])
                world.kinds[customer.id] = customer.kind
        customers[territory] = ids

    monday = now_day - dt.timedelta(days=now_day.weekday())
    days = [monday - dt.timedelta(days=7) + dt.timedelta(days=offset) for offset in range(14)]  # last week + this
    visit_count = _seed_order_history(session, world, reps, customers, days[0], settings)
    for territory, rep in reps.items():
        pool = customers[territory]
        for day in days:
            planned = rng.sample(pool, rng.randint(6, 10))
            set_route_plan(session, supervisor, rep.id, day, planned)
            if day > now_day:
                continue
            # Today the rep works down the route in order (the later stops still ahead); earlier days skipped some.
            visited = planned if day == now_day else [cid for cid in planned if rng.random() < 0.82]
            off_route = rng.sample([cid for cid in pool if cid not in planned], rng.choice((0, 1, 1, 2)))
            start = 7 * 60 + 50 + rng.randint(0, 30)
            sequence = [(cid, True) for cid in visited] + [(cid, False) for cid in off_route]
            for customer_id, on_route in sequence:
                ordered = rng.random() < (0.55 if on_route else 0.35)
                fields = _visit_fields(rng, customer_id, day, start, settings, finished=True, ordered=ordered)
                start += rng.randint(35, 70)
                so_far = _so_far(fields, now)  # today: the visits begun by now, the one going on not checked out
                _book_visit(world, rep, day, fields)
                if so_far is not None:
                    _record_visit(session, world, rep, customer_id, so_far, settings)
                    visit_count += 1
    visit_count += _seed_home_follow_ups(session, world, now_day, settings)
    punch_count = _seed_attendance(session, list(reps.values()), [day for day in days if day < now_day], settings)

    # Prospects the reps met on the road today (the board lists them).
    for territory, rep in reps.items():
        township = rng.choice(TERRITORIES[territory])
        village = rng.choice(township.villages)
        put_customer(
            session,
            rep,
            new_id(),
            {
                "name": f"{village.removesuffix('村')}{rng.choice(SURNAMES)}记诊所",
                "kind": CustomerKind.CLINIC.value,
                "address": f"{COUNTY}{township.name}{village}",
                "phone": _phone(rng),
                "contact_person": _person(rng),
                "importance": Importance.POTENTIAL.value,
                "created_at": _before(now, _at(now_day, 10 * 60 + rng.randint(0, 60), settings)),
            },
        )

    note_count = 0
    for territory, rep in reps.items():
        for customer_id in rng.sample(customers[territory], 8):
            author = rep if rng.random() < 0.75 else supervisor
            written = now_day - dt.timedelta(days=rng.randint(0, 20))
            put_note(
                session,
                author,
                new_id(),
                {
                    "customer_id": customer_id,
                    "text": rng.choice(NOTES),
                    "created_at": _before(now, _at(written, 17 * 60 + rng.randint(0, 120), settings)),
                },
            )
            note_count += 1
    person_count = _seed_key_persons(session, rng, reps, customers, now_day)
    complaint_count = _seed_complaints(session, rng, reps, supervisor, customers, now, settings)
    opportunity_count = seed_pipeline(session, reps, customers, now_day, settings.tz, SEED + 11)
    campaign_count, result_count, target_count = seed_campaigns_and_targets(
        session, supervisor, reps, customers, now_day, SEED + 13
    )
    refresh_all_lifecycles(session, now_day, lifecycle_rules(settings))
    tiers = recompute_tiers(session, now_day, tier_rules(settings))
    rated = _seed_credit_ratings(session, world, supervisor, customers)
    signed_count = world.phones.store(session, _at(days[0] - dt.timedelta(days=60), 9 * 60, settings))
    approval_count = seed_approvals(session, supervisor, reps, settings, lifecycle_rules(settings))
    total_customers = sum(len(ids) for ids in customers.values()) + len(reps)
    return (
        f"{COUNTY}: 1 supervisor ({SUPERVISOR[0]}), {len(reps)} reps ({', '.join(u for u, _, _ in REPS)}), "
        f"{total_customers} customers, {len(days) * len(reps)} route plans, {visit_count} visits, {note_count} notes, "
        f"{person_count} key persons, {complaint_count} complaints, {len(world.products)} products, "
        f"{world.order_count} orders, {world.report_count} competitor reports, {rated} credit ratings, "
        f"{approval_count} orders above their credit limit (审批), "
        f"{opportunity_count} development opportunities, {campaign_count} campaigns with {result_count} "
        f"participation records, {target_count} monthly targets, {punch_count} attendance punches, "
        f"{signed_count} signed visit ops, {world.photo_count} visit photos; "
        f"tiers A/B/C {tiers.counts['A']}/{tiers.counts['B']}/{tiers.counts['C']}"
    )


HOBBIES = ["钓鱼", "下象棋", "打乒乓球", "喝茶", "书法", "跳广场舞", "养花", "听戏"]
FAMILY = ["儿子在保定上大学", "女儿今年高考", "爱人在镇卫生院工作", "父母同住，母亲腿脚不好", "孙子刚满月"]
COMPLAINTS = [
    ("delivery", "上周订的货晚到三天，耽误了门诊用药"),
    ("quality", "有两盒包装破损，外盒受潮"),
    ("price", "隔壁诊所拿货价比我们低，希望给个说法"),
    ("service", "业务员上次约好没来，电话也没回"),
    ("quality", "批号与发票不一致，需要核对"),
    ("delivery", "送货时间总在中午，希望改到上午"),
]


def _seed_key_persons(
    session: Session, rng: random.Random, reps: dict[str, Actor], customers: dict[str, list[str]], now_day: dt.date
) -> int:
    """The people who matter at about half the customers; a few birthdays fall this week."""
    count = 0
    for territory, rep in reps.items():
        for customer_id in rng.sample(customers[territory], len(customers[territory]) // 2):
            others = rng.sample(["doctor", "buyer", "technician", "quality", "boss"], rng.randint(0, 2))
            for role in ["decision_maker", *others]:
                birthday = dt.date(rng.randint(1958, 1992), rng.randint(1, 12), rng.randint(1, 28))
                if rng.random() < 0.08:  # someone to greet this week
                    soon = now_day + dt.timedelta(days=rng.randint(0, 6))
                    if (soon.month, soon.day) != (2, 29):
                        birthday = birthday.replace(month=soon.month, day=soon.day)
                fields: dict[str, object] = {
                    "customer_id": customer_id,
                    "name": _person(rng),
                    "role": role,
                    "phone": _phone(rng),
                    "birthday": birthday.isoformat(),
                    "attitude": rng.choice(["positive", "positive", "neutral", "negative"]),
                }
                if rng.random() < 0.6:
                    fields["hobbies"] = rng.choice(HOBBIES)
                if rng.random() < 0.4:
                    fields["family_notes"] = rng.choice(FAMILY)
                put_key_person(session, rep, new_id(), fields)
                count += 1
    return count


def _seed_complaints(
    session: Session,
    rng: random.Random,
    reps: dict[str, Actor],
    supervisor: Actor,
    customers: dict[str, list[str]],
    now: dt.datetime,
    settings: Settings,
) -> int:
    """Two complaints per territory: one taken this morning (yesterday, if the morning is still to come), one
    older and already moving through its steps."""
    now_day = now.date()
    count = 0
    steps = ["investigating", "solution_proposed", "resolved"]
    for territory, rep in reps.items():
        for age_days in (0, rng.randint(2, 5)):
            category, description = rng.choice(COMPLAINTS)
            complaint_id = new_id()
            received = _before(now, _at(now_day - dt.timedelta(days=age_days), 8 * 60 + rng.randint(30, 150), settings))
            fields = {
                "customer_id": rng.choice(customers[territory]),
                "category": category,
                "severity": rng.choice(["high", "medium", "low"]),
                "description": description,
                "received_at": received,
            }
            put_complaint(session, rep, complaint_id, fields, today=now_day)
            if age_days:
                status = rng.choice(steps)
                put_complaint(session, supervisor, complaint_id, {"status": status}, today=now_day)
            count += 1
    return count


# The catalogue of a distributor of medical consumables and pharmacy goods (name, spec, unit, list price).
PRODUCTS = (
    ("一次性使用无菌注射器", "5ml 带针 × 100支/盒", "盒", 38.0),
    ("一次性使用无菌注射器", "1ml 胰岛素 × 100支/盒", "盒", 45.0),
    ("一次性使用输液器", "带针 × 50套/包", "包", 62.0),
    ("医用脱脂纱布块", "7.5cm×7.5cm-8P × 100片/包", "包", 16.5),
    ("医用脱脂棉签", "10cm × 50支/包 × 20包", "袋", 24.0),
    ("医用外科口罩", "17.5cm×9.5cm × 50只/盒", "盒", 25.0),
    ("一次性使用医用橡胶检查手套", "M号 × 100只/盒", "盒", 32.0),
    ("碘伏消毒液", "500ml/瓶", "瓶", 9.8),
    ("75%医用酒精", "500ml/瓶", "瓶", 7.5),
    ("医用胶带", "1.25cm×9.1m × 24卷/盒", "盒", 28.0),
    ("一次性使用采血针", "0.7mm × 100支/盒", "盒", 19.0),
    ("电子体温计", "MT-101 × 10支/盒", "盒", 86.0),
    ("血糖试纸", "50片/盒（含采血针）", "盒", 68.0),
    ("医用弹性绷带", "10cm×4.5m × 12卷/包", "包", 36.0),
    ("一次性使用换药包", "灭菌 × 20套/箱", "箱", 55.0),
)
# How much a kind of terminal buys, relative to a village clinic: the few large ones make most sales (80/20).
PURCHASE_SCALE = {
    CustomerKind.TOWNSHIP_HOSPITAL.value: 6.0,
    CustomerKind.PHARMACY.value: 2.5,
    CustomerKind.CLINIC.value: 1.0,
    CustomerKind.VILLAGE_CLINIC.value: 0.5,
}
# Order history before the demo fortnight: how each customer has bought over the last year.
BUYING_PATTERNS = {"regular": 55, "lapsing": 12, "lost": 7, "new": 8, "never": 18}
COMPETITORS = (
    ("振德", "医用脱脂纱布块", 14.0, "进货满 500 元送一箱棉签"),
    ("稳健", "医用外科口罩", 22.0, "月底前买十送一"),
    ("康德莱", "一次性使用无菌注射器 5ml", 35.0, None),
    ("威高", "一次性使用输液器", 58.0, "年度协议价，季度返点 3%"),
    ("鱼跃", "电子体温计", 79.0, "试用装免费送两支"),
    ("三诺", "血糖试纸", 59.0, "老客户第二盒半价"),
)
CREDIT_REASONS = {
    CreditRating.EXCELLENT: "三年合作，从未拖欠货款",
    CreditRating.GOOD: "回款及时",
    CreditRating.FAIR: "偶有延迟回款，需跟进",
    CreditRating.POOR: "有两笔货款逾期超过 60 天",
}


TRAVEL_MINUTES = 10  # between two customers of a village route, at least


@dataclass
class DemoWorld:
    """What the order-related parts of the demo share; its own random stream keeps the rest unchanged."""

    rng: random.Random
    products: list[Product]
    places: dict[str, tuple[float, float]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    sizes: dict[str, float] = field(default_factory=dict)  # how much more than a village clinic they buy
    patterns: dict[str, str] = field(default_factory=dict)  # BUYING_PATTERNS, by customer
    order_count: int = 0
    history_visits: int = 0
    report_count: int = 0
    # Where phones checked out: a stream of its own, so adding it changed none of the data above.
    check_out_rng: random.Random = field(default_factory=lambda: random.Random(SEED + 9))
    # Each visit type's own fields (and a few day visits made home visits): a stream of its own too.
    type_rng: random.Random = field(default_factory=lambda: random.Random(SEED + 11))
    home_visits: dict[str, tuple[str, dt.date, Actor]] = field(default_factory=dict)  # the last 家访, by customer
    # Each rep-day's visits as (start, end) minutes: a rep is at one customer at a time, with time to travel.
    booked: dict[tuple[str, dt.date], list[tuple[int, int]]] = field(default_factory=dict)
    # Each rep's phone, signing the visits it records (issue #17): keys from a stream of their own.
    phones: DemoPhones = field(default_factory=lambda: DemoPhones(SEED + 29))
    # Visit photos of the last week (server/demo_photos.py): a stream of its own too.
    photo_rng: random.Random = field(default_factory=lambda: random.Random(SEED + 13))
    photo_count: int = 0
    far_photo: bool = False

    def book(self, rep_id: str, day: dt.date, start: int, minutes: int) -> int:
        """The first start from `start` on at which the rep is free for `minutes` (plus travel); booked."""
        taken = self.booked.setdefault((rep_id, day), [])
        while clash := [end for begin, end in taken if start < end + TRAVEL_MINUTES and begin < start + minutes]:
            start = max(clash) + TRAVEL_MINUTES
        taken.append((start, start + minutes))
        return start


def _seed_products(session: Session, supervisor: Actor) -> list[Product]:
    return [
        put_product(
            session,
            supervisor,
            new_id(),
            {"name": name, "spec": spec, "unit": unit, "unit_price": price, "active": True},
        )
        for name, spec, unit, price in PRODUCTS
    ]


def _order_lines(world: DemoWorld, customer_id: str) -> list[dict[str, object]]:
    """One to four products; quantities by the customer's size; sometimes a negotiated price (95%)."""
    scale = world.sizes.setdefault(
        customer_id, PURCHASE_SCALE.get(world.kinds.get(customer_id, ""), 1.0) * world.rng.lognormvariate(0, 0.9)
    )
    lines: list[dict[str, object]] = []
    for product in world.rng.sample(world.products, world.rng.randint(1, 4)):
        price = product.unit_price if world.rng.random() < 0.8 else round(product.unit_price * 0.95, 2)
        quantity = max(1, round(world.rng.randint(2, 12) * scale))
        lines.append({"product_id": product.id, "quantity": quantity, "unit_price": price})
    return lines


def _check_in_place(world: DemoWorld, customer_id: str) -> dict[str, object]:
    """Where the phone said it was: near the customer, now and then far off, imprecise or mocked."""
    lat, lng = world.places[customer_id]
    roll = world.rng.random()
    spread = 0.012 if roll < 0.03 else 0.0004  # ~1.3 km off, or within ~45 m
    place: dict[str, object] = {
        "check_in_lat": round(lat + world.rng.uniform(-spread, spread) + (spread if roll < 0.03 else 0), 6),
        "check_in_lng": round(lng + world.rng.uniform(-spread, spread), 6),
        "check_in_accuracy": float(world.rng.randint(380, 900) if 0.03 <= roll < 0.05 else world.rng.randint(5, 40)),
    }
    if 0.05 <= roll < 0.06:
        place["check_in_mocked"] = True
    return place


def _record_visit(
    session: Session, world: DemoWorld, rep: Actor, customer_id: str, fields: dict[str, object], settings: Settings
) -> None:
    """A visit of the demo fortnight, with its check-in place; most visits that ordered get an itemised order,
    a few the rep only ticked (an app from before orders); some bring news of a competitor."""
    if fields["visit_type"] != VisitType.PHONE.value:
        fields.update(_check_in_place(world, customer_id))
        if fields.get("check_out_at"):  # checked out at the door, a few metres from the customer's pin
            lat, lng = world.places[customer_id]
            spread = 0.0003
            fields["check_out_lat"] = round(lat + world.check_out_rng.uniform(-spread, spread), 6)
            fields["check_out_lng"] = round(lng + world.check_out_rng.uniform(-spread, spread), 6)
    fields.update(_type_fields(world, customer_id, fields, settings))
    if fields.get("ordered") and world.patterns.get(customer_id) in ("lapsing", "lost") and world.rng.random() < 0.85:
        fields.update({"ordered": False, "order_amount": None})  # gone cold: visited, did not order
    lines = _order_lines(world, customer_id) if fields.get("ordered") else []
    itemised = bool(lines) and world.rng.random() < 0.85
    if itemised:
        fields["order_amount"] = float(order_total(lines))
    visit_id = new_id()
    world.phones.sign(rep, RecordKind.VISIT, visit_id, fields, _sent_at(fields))
    visit = put_visit(
        session,
        rep,
        visit_id,
        fields,
        tz=settings.tz,
        device_id=f"demo-{rep.username}",
        flag_rules=visit_flag_rules(settings),
        received_at=_sent_at(fields),
    )
    at = str(fields.get("check_out_at") or fields["check_in_at"])
    customer = session.get(Customer, customer_id)
    if customer is not None and customer_id in world.places:
        today = local_day(now_iso(), settings.tz)
        place = world.places[customer_id]
        far = world.photo_count >= 3 and not world.far_photo  # one photo taken 2 km from its customer
        source = seed_photo(session, world.photo_rng, rep, visit, customer.name, place, settings, today, far=far)
        world.photo_count += source is not None
        world.far_photo = world.far_photo or (far and source is PhotoSource.LIVE)
    if visit.visit_type == VisitType.HOME.value:
        world.home_visits[customer_id] = (visit.id, visit.visit_day, rep)
    if itemised:
        _take_order(session, world, rep, customer_id, visit.id, lines, at, settings)
    if fields.get("check_out_at") and world.rng.random() < 0.06:
        brand, product, price, promotion = world.rng.choice(COMPETITORS)
        report: dict[str, object] = {"customer_id": customer_id, "visit_id": visit.id, "brand": brand}
        report["product"] = product
        report.update({"price": price, "promotion": promotion, "observed_at": at})
        put_competitor_report(session, rep, new_id(), report)
        world.report_count += 1


NEEDS = ("疗效稳定、价格适中的常用药", "希望每周配送一次，不压库存", "儿科用药和输液耗材", "医保目录内的慢病用药")
KEY_PERSONS_MET = ("王院长、药房刘主任", "坐诊李医生", "老板张某（决策人）", "采购赵会计")
COMPETITORS_IN_USE = ("华北制药同类产品", "石药集团", "修正药业", "本地经销商自有品牌")
PRESENTED = ("阿莫西林胶囊供货方案", "感冒灵颗粒与板蓝根组合报价", "输液耗材年度供货方案", "新品试用装与陈列支持")
OBJECTIONS = ("嫌价格比竞品高：讲了质量和配送优势", "担心回款周期：说明了月结政策", "库存多：建议小批量试进")
PROMISES = ("答应下周送样品到科室", "帮院长打听孩子中考政策", "承诺协调加急配送", "约定带产品资料给科室医生")
CARRIED_THROUGH = ("送到了家访时答应的样品", "兑现了承诺的配送时间", "把报价单送到并讲解清楚")


def _type_fields(
    world: DemoWorld, customer_id: str, fields: dict[str, object], settings: Settings
) -> dict[str, object]:
    """Believable fields of the visit's type (shared.records.VISIT_TYPE_FIELDS); a few day visits that ended
    are home visits (家访) instead, and a follow-up (回访) two days or less after one is linked to it."""
    rng = world.type_rng
    visit_type = VisitType(str(fields["visit_type"]))
    if visit_type is VisitType.DAY and fields.get("check_out_at") and rng.random() < 0.06:
        visit_type = VisitType.HOME
    values: dict[str, object] = {"visit_type": visit_type.value}
    if visit_type is VisitType.FIRST:
        values.update({"needs": rng.choice(NEEDS), "key_persons_met": rng.choice(KEY_PERSONS_MET)})
        values["competitors_in_use"] = rng.choice(COMPETITORS_IN_USE)
        values["monthly_volume"] = float(rng.randrange(2000, 30000, 500))
        values["next_visit_agreed"] = rng.random() < 0.7
    elif visit_type in (VisitType.SECOND, VisitType.DAY):
        values.update({"products_presented": rng.choice(PRESENTED), "objections": rng.choice(OBJECTIONS)})
        outcome = rng.choices(list(DealOutcome), weights=[40, 45, 15])[0]
        values["deal_outcome"] = DealOutcome.AGREED.value if fields.get("ordered") else outcome.value
        if visit_type is VisitType.SECOND:
            values["appointment_booked"] = rng.random() < 0.8
    elif visit_type is VisitType.EARLY:
        values.update({"materials_delivered": rng.random() < 0.9, "prescription_reminded": rng.random() < 0.8})
    elif visit_type is VisitType.HOME:
        values["promises"] = rng.choice(PROMISES)
    elif visit_type is VisitType.FOLLOW_UP:
        values.update({"carried_through": rng.choice(CARRIED_THROUGH), "satisfied": rng.random() < 0.85})
        home = world.home_visits.get(customer_id)
        day = local_day(str(fields["check_in_at"]), settings.tz)
        if home is not None and home[1] <= day <= home_follow_up_due(home[1]):
            values["follows_visit_id"] = home[0]
    elif visit_type is VisitType.PHONE:
        values["call_minutes"] = rng.randint(3, 15)
    return values


def _seed_home_follow_ups(session: Session, world: DemoWorld, today: dt.date, settings: Settings) -> int:
    """The 回访 the day after each customer's last home visit of the fortnight (one made today or yesterday
    still waits: the rep's phone shows it due)."""
    made = 0
    for customer_id, (_, day, rep) in list(world.home_visits.items()):
        follow_day = day + dt.timedelta(days=1)
        if follow_day >= today:
            continue
        minutes = world.type_rng.randint(10, 25)
        start = world.book(rep.id, follow_day, 10 * 60 + world.type_rng.randint(0, 300), minutes)
        fields: dict[str, object] = {
            "customer_id": customer_id,
            "visit_type": VisitType.FOLLOW_UP.value,
            "check_in_at": _at(follow_day, start, settings),
            "check_out_at": _at(follow_day, start + minutes, settings),
            "purpose": "回访落实家访内容",
            "attitude": Attitude.POSITIVE.value,
            "ordered": False,
        }
        lat, lng = world.places[customer_id]
        fields["check_in_lat"] = round(lat + world.type_rng.uniform(-0.0003, 0.0003), 6)
        fields["check_in_lng"] = round(lng + world.type_rng.uniform(-0.0003, 0.0003), 6)
        fields["check_in_accuracy"] = float(world.type_rng.randint(5, 30))
        fields.update(_type_fields(world, customer_id, fields, settings))
        visit_id = new_id()
        world.phones.sign(rep, RecordKind.VISIT, visit_id, fields, _sent_at(fields))
        put_visit(
            session,
            rep,
            visit_id,
            fields,
            tz=settings.tz,
            device_id=f"demo-{rep.username}",
            flag_rules=visit_flag_rules(settings),
            received_at=_sent_at(fields),
        )
        made += 1
    return made


def _take_order(
    session: Session,
    world: DemoWorld,
    rep: Actor,
    customer_id: str,
    visit_id: str,
    lines: list[dict[str, object]],
    at: str,
    settings: Settings,
) -> None:
    fields = {
        "customer_id": customer_id,
        "visit_id": visit_id,
        "lines": lines,
        "amount": float(order_total(lines)),
        "ordered_at": at,
    }
    put_order(session, rep, new_id(), fields, tz=settings.tz, lifecycle=lifecycle_rules(settings))
    world.order_count += 1


def _order_days(world: DemoWorld, pattern: str, first_day: dt.date, before: dt.date) -> list[dt.date]:
    """The days a customer of this buying pattern ordered on, in the year before the demo fortnight."""
    rng = world.rng
    if pattern == "never":
        return []
    if pattern == "new":
        return [before - dt.timedelta(days=rng.randint(3, 35))]
    last = {
        "regular": before - dt.timedelta(days=rng.randint(1, 20)),
        "lapsing": before - dt.timedelta(days=rng.randint(60, 150)),
        "lost": before - dt.timedelta(days=rng.randint(175, 300)),
    }[pattern]
    days, day = [], first_day + dt.timedelta(days=rng.randint(0, 40))
    while day <= last:
        days.append(day)
        day += dt.timedelta(days=rng.randint(18, 42))
    return days or [last]


def _seed_order_history(
    session: Session,
    world: DemoWorld,
    reps: dict[str, Actor],
    customers: dict[str, list[str]],
    before: dt.date,
    settings: Settings,
) -> int:
    """A year of orders before the demo fortnight, each taken on a visit (or a phone call) by the owner rep."""
    first_day = before - dt.timedelta(days=360)
    # As a push does: the customers loaded once, new records found through the session's cache, no flush
    # before every read (a thousand orders in one transaction would otherwise flush a thousand times).
    preload(session, {Customer: {cid for ids in customers.values() for cid in ids}})
    with session.no_autoflush:
        _seed_history_orders(session, world, reps, customers, first_day, before, settings)
    session.info.pop(RECORD_CACHE, None)
    return world.history_visits


def _seed_history_orders(
    session: Session,
    world: DemoWorld,
    reps: dict[str, Actor],
    customers: dict[str, list[str]],
    first_day: dt.date,
    before: dt.date,
    settings: Settings,
) -> None:
    for territory, rep in reps.items():
        for customer_id in customers[territory]:
            pattern = world.rng.choices(list(BUYING_PATTERNS), weights=list(BUYING_PATTERNS.values()))[0]
            world.patterns[customer_id] = pattern
            for day in _order_days(world, pattern, first_day, before):
                phone = world.rng.random() < 0.2
                wanted = 9 * 60 + world.rng.randint(0, 420)
                minutes = 5 if phone else world.rng.randint(10, 40)
                start = world.book(rep.id, day, wanted, minutes)
                fields: dict[str, object] = {
                    "customer_id": customer_id,
                    "visit_type": (VisitType.PHONE if phone else VisitType.DAY).value,
                    "check_in_at": _at(day, start, settings),
                    "check_out_at": _at(day, start + minutes, settings),
                    "purpose": "跟进订单与回款" if phone else "正常补货",
                    "progress": "关系稳定，正常补货",
                    "attitude": Attitude.POSITIVE.value,
                }
                if not phone:
                    fields.update(_check_in_place(world, customer_id))
                lines = _order_lines(world, customer_id)
                fields.update({"ordered": True, "order_amount": float(order_total(lines))})
                visit_id = new_id()
                world.phones.sign(rep, RecordKind.VISIT, visit_id, fields, _sent_at(fields))
                visit = put_visit(
                    session,
                    rep,
                    visit_id,
                    fields,
                    tz=settings.tz,
                    device_id=f"demo-{rep.username}",
                    flag_rules=visit_flag_rules(settings),
                    received_at=_sent_at(fields),
                )
                _take_order(session, world, rep, customer_id, visit.id, lines, str(fields["check_out_at"]), settings)
                world.history_visits += 1


def _seed_credit_ratings(session: Session, world: DemoWorld, supervisor: Actor, customers: dict[str, list[str]]) -> int:
    """The supervisor has rated about a third of the customers; a few ratings were changed since."""
    rated = 0
    ratings = list(CreditRating)
    for ids in customers.values():
        for customer_id in world.rng.sample(ids, len(ids) // 3):
            rating = world.rng.choices(ratings, weights=[25, 45, 22, 8])[0]
            if world.rng.random() < 0.2:  # rated before, changed since
                earlier = world.rng.choice([r for r in ratings if r != rating])
                set_credit_rating(session, supervisor, customer_id, earlier.value, CREDIT_REASONS[earlier])
            set_credit_rating(session, supervisor, customer_id, rating.value, CREDIT_REASONS[rating])
            rated += 1
    return rated
