"""Demo data: a believable county (河北省保定市望都县) with three reps' territories and about 120 terminals.

Deterministic (fixed random seed), dates relative to today in settings.TIMEZONE. Every record goes through
the same service functions as real writes, so the change log is filled and phones can pull it all.
Every demo user's password is `demo1234`.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from server.clock import today
from server.db import create_tables, write_session
from server.domains.complaints.service import put_complaint
from server.domains.customers.service import put_customer
from server.domains.key_persons.service import put_key_person
from server.domains.notes.service import put_note
from server.domains.routes.service import set_route_plan
from server.domains.users.models import Actor
from server.domains.users.service import count_users, create_user
from server.domains.visits.service import put_visit
from server.settings import Settings
from shared.enums import Attitude, CustomerKind, CustomerStatus, Importance, Role, ValueTier, VisitType
from shared.ids import new_id

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
        rows.append(
            {
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
        )
    return rows


def _at(day: dt.date, minutes: int, settings: Settings) -> str:
    moment = dt.datetime.combine(day, dt.time(0, 0), tzinfo=settings.tz) + dt.timedelta(minutes=minutes)
    return moment.isoformat()


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
                "check_out_at": _at(day, start + rng.randint(8, 45), settings),
                "attitude": rng.choices([a.value for a in Attitude], weights=[50, 38, 12])[0],
                "progress": rng.choice(PROGRESS),
                "ordered": ordered,
                "order_amount": float(rng.randrange(300, 8000, 10)) if ordered else None,
            }
        )
        if rng.random() < 0.4:
            fields["next_visit_date"] = (day + dt.timedelta(days=rng.choice((3, 7, 14)))).isoformat()
    return fields


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


def _seed(session: Session, settings: Settings) -> str:
    rng = random.Random(SEED)
    supervisor = Actor.of(
        create_user(
            session, username=SUPERVISOR[0], password=DEMO_PASSWORD, role=Role.SUPERVISOR, display_name=SUPERVISOR[1]
        )
    )
    reps = {
        territory: Actor.of(
            create_user(
                session,
                username=username,
                password=DEMO_PASSWORD,
                role=Role.REP,
                display_name=name,
                territory=territory,
            )
        )
        for username, name, territory in REPS
    }
    now_day = today(settings.tz)
    customers: dict[str, list[str]] = {}
    for territory, townships in TERRITORIES.items():
        rep = reps[territory]
        ids: list[str] = []
        for township in townships:
            for fields in _customers_of(township, rng):
                created = now_day - dt.timedelta(days=rng.randint(30, 720))
                fields["created_at"] = _at(created, 9 * 60 + rng.randint(0, 480), settings)
                customer = put_customer(
                    session,
                    supervisor,
                    new_id(),
                    fields,
                    server_fields={
                        "territory": territory,
                        "owner_rep_id": rep.id,
                        "tier": rng.choices([t.value for t in ValueTier], weights=[20, 30, 50])[0],
                    },
                )
                ids.append(customer.id)
        customers[territory] = ids

    monday = now_day - dt.timedelta(days=now_day.weekday())
    days = [monday - dt.timedelta(days=7) + dt.timedelta(days=offset) for offset in range(14)]  # last week + this
    visit_count = 0
    for territory, rep in reps.items():
        pool = customers[territory]
        for day in days:
            planned = rng.sample(pool, rng.randint(6, 10))
            set_route_plan(session, supervisor, rep.id, day, planned)
            if day > now_day:
                continue
            if day == now_day:  # today: the morning's part of the route, the last visit still going on
                visited = planned[: max(2, len(planned) // 2)]
            else:
                visited = [cid for cid in planned if rng.random() < 0.82]
            off_route = rng.sample([cid for cid in pool if cid not in planned], rng.choice((0, 1, 1, 2)))
            start = 7 * 60 + 50 + rng.randint(0, 30)
            sequence = [(cid, True) for cid in visited] + [(cid, False) for cid in off_route]
            for index, (customer_id, on_route) in enumerate(sequence):
                finished = not (day == now_day and index == len(sequence) - 1)
                ordered = rng.random() < (0.55 if on_route else 0.35)
                fields = _visit_fields(rng, customer_id, day, start, settings, finished=finished, ordered=ordered)
                put_visit(session, rep, new_id(), fields, tz=settings.tz, device_id=f"demo-{rep.username}")
                visit_count += 1
                start += rng.randint(35, 70)

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
                "created_at": _at(now_day, 10 * 60 + rng.randint(0, 60), settings),
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
                    "created_at": _at(written, 17 * 60 + rng.randint(0, 120), settings),
                },
            )
            note_count += 1
    person_count = _seed_key_persons(session, rng, reps, customers, now_day)
    complaint_count = _seed_complaints(session, rng, reps, supervisor, customers, now_day, settings)
    total_customers = sum(len(ids) for ids in customers.values()) + len(reps)
    return (
        f"{COUNTY}: 1 supervisor ({SUPERVISOR[0]}), {len(reps)} reps ({', '.join(u for u, _, _ in REPS)}), "
        f"{total_customers} customers, {len(days) * len(reps)} route plans, {visit_count} visits, {note_count} notes, "
        f"{person_count} key persons, {complaint_count} complaints"
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
    now_day: dt.date,
    settings: Settings,
) -> int:
    """Two complaints per territory: one taken this morning, one older and already moving through its steps."""
    count = 0
    steps = ["investigating", "solution_proposed", "resolved"]
    for territory, rep in reps.items():
        for age_days in (0, rng.randint(2, 5)):
            category, description = rng.choice(COMPLAINTS)
            complaint_id = new_id()
            received = _at(now_day - dt.timedelta(days=age_days), 8 * 60 + rng.randint(30, 150), settings)
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
