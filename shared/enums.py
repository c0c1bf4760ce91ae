"""Closed vocabularies of the domain (see ../shared/domain.md). Values are stable wire strings."""

from enum import StrEnum


class Role(StrEnum):
    REP = "rep"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class RecordKind(StrEnum):
    CUSTOMER = "customer"
    ROUTE_PLAN = "route_plan"
    VISIT = "visit"
    NOTE = "note"
    CONFLICT = "conflict"  # concurrent edits of a field: the kept and the lost value (server-made, read-only)
    KEY_PERSON = "key_person"  # 关键人 at a customer
    COMPLAINT = "complaint"  # 客户反馈与投诉
    PRODUCT = "product"  # 产品目录: written on the server by supervisors, read by phones
    ORDER = "order"  # 订单 taken during a visit (append-only)
    COMPETITOR_REPORT = "competitor_report"  # 竞品信息 seen on a visit (append-only)


class OpAction(StrEnum):
    PUT = "put"  # create the record, or update the named fields of an existing one
    DELETE = "delete"  # tombstone


class CustomerKind(StrEnum):
    TOWNSHIP_HOSPITAL = "township_hospital"  # 乡镇卫生院
    VILLAGE_CLINIC = "village_clinic"  # 村卫生室
    CLINIC = "clinic"  # 诊所
    PHARMACY = "pharmacy"  # 药店
    RETAILER = "retailer"  # 零售终端
    DEALER = "dealer"  # 经销商/二批商
    INDUSTRIAL = "industrial"  # 终端用户


class CustomerStatus(StrEnum):
    PROSPECT = "prospect"  # 潜在客户
    NEW = "new"  # 新客户
    ACTIVE = "active"  # 活跃客户
    DORMANT = "dormant"  # 休眠客户
    LOST = "lost"  # 流失客户


class Importance(StrEnum):
    KEY = "key"  # 重点
    NORMAL = "normal"  # 普通
    POTENTIAL = "potential"  # 潜在


class ValueTier(StrEnum):
    A = "A"
    B = "B"
    C = "C"


class VisitType(StrEnum):
    FIRST = "first"  # 初次拜访
    SECOND = "second"  # 二次拜访
    EARLY = "early"  # 早访 07:30-08:10
    DAY = "day"  # 日访
    HOME = "home"  # 家访
    FOLLOW_UP = "follow_up"  # 回访
    PHONE = "phone"  # 电话拜访


class Attitude(StrEnum):
    POSITIVE = "positive"  # 积极
    NEUTRAL = "neutral"  # 一般
    NEGATIVE = "negative"  # 抵触


class KeyPersonRole(StrEnum):
    BOSS = "boss"  # 老板
    DOCTOR = "doctor"  # 坐诊医生
    TECHNICIAN = "technician"  # 技术
    QUALITY = "quality"  # 品控
    BUYER = "buyer"  # 采购
    DECISION_MAKER = "decision_maker"  # 决策人


class ComplaintCategory(StrEnum):
    QUALITY = "quality"  # 产品质量
    PRICE = "price"  # 价格
    DELIVERY = "delivery"  # 配送
    SERVICE = "service"  # 服务


class Severity(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class ComplaintStatus(StrEnum):
    """In order: a complaint only moves forward (受理 → 调查 → 提出方案 → 解决 → 回访确认满意)."""

    RECEIVED = "received"
    INVESTIGATING = "investigating"
    SOLUTION_PROPOSED = "solution_proposed"
    RESOLVED = "resolved"
    CONFIRMED = "confirmed"


class CreditRating(StrEnum):
    """信用等级, set by supervisors: how far the company trusts the customer with credit."""

    EXCELLENT = "excellent"  # 优
    GOOD = "good"  # 良
    FAIR = "fair"  # 中
    POOR = "poor"  # 差


class VisitFlag(StrEnum):
    """Why a visit's check-in deserves a supervisor's look; a flag never blocks the visit."""

    FAR_FROM_CUSTOMER = "far_from_customer"  # checked in farther than the radius from the customer's location
    POOR_ACCURACY = "poor_accuracy"  # the phone's location was too imprecise to tell
    MOCKED_LOCATION = "mocked_location"  # the phone reported a mock (simulated) location
