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
    VISIT_PHOTO = "visit_photo"  # 拜访照片: a photo's metadata; its bytes go up separately (/api/photos)
    OPPORTUNITY = "opportunity"  # 开发机会: a customer's development pipeline (docs/pipeline.md)
    STAGE_EVENT = "stage_event"  # a stage change, won or lost of an opportunity (append-only)
    PIPELINE_SETTINGS = "pipeline_settings"  # the stages' probabilities (server-made, read by phones)
    CAMPAIGN = "campaign"  # 营销活动: planned by supervisors on the server, read by phones
    CAMPAIGN_RESULT = "campaign_result"  # a customer's participation in a campaign, recorded on a visit (append-only)
    SALES_TARGET = "sales_target"  # 销售目标 of one rep for one month: set by supervisors, read by that rep's phone
    COMPLAINT_STEP = "complaint_step"  # a complaint moved to a step, with its note and time (append-only)
    HOLIDAY = "holiday"  # 节日: the company's holiday list, kept by admins on the server, read by every phone
    WORK_REPORT = "work_report"  # 日报 / 周报 of a rep for a day or week: written on the phone, commented on the web
    LEADERBOARD = "leaderboard"  # 排行榜 of a territory and period (server-made; phones get it if LEADERBOARD_ON_PHONE)
    ATTENDANCE = "attendance"  # 考勤打卡: a rep's start or end of the working day, made on the phone (append-only)
    CUSTOMER_CLAIM = "customer_claim"  # a rep claims a 公海 customer or releases their own (docs/ownership.md)
    APPROVAL = "approval"  # 审批: a request made by a rule and its decision (server-made, read by phones)


class AttendanceAction(StrEnum):
    """What a 考勤 punch says: the rep starts (上班打卡) or ends (下班打卡) the working day."""

    START = "start"
    END = "end"


class ReportPeriod(StrEnum):
    """What a rep's work report (日报 / 周报) covers: one day, or a Monday-to-Sunday week."""

    DAY = "day"  # 日报
    WEEK = "week"  # 周报


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


class DealOutcome(StrEnum):
    """How a second or day visit ended (二次拜访 step 7, 缔结业务关系; 日访 ... 成交)."""

    AGREED = "agreed"  # 达成合作
    CONSIDERING = "considering"  # 考虑中
    DECLINED = "declined"  # 未成交


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
    OUTSIDE_EARLY_WINDOW = "outside_early_window"  # an early visit (早访) checked in outside 07:30-08:10
    NO_LOCATION = "no_location"  # a visit in person (not 电话拜访) checked in without a location fix
    TOO_SHORT = "too_short"  # shorter than its visit type's minimum (checked out, or a call's minutes)
    OVERLAPPING = "overlapping"  # its time overlaps another visit of the same rep
    IMPOSSIBLE_TRAVEL = "impossible_travel"  # too far from the rep's previous check-in for the time between
    ENTERED_LATE = "entered_late"  # reached the server long after its check-in
    OUTSIDE_HOURS = "outside_hours"  # checked in outside the company's working hours
    PHOTO_OUTSIDE_VISIT = "photo_outside_visit"  # a photo taken before its check-in or after its check-out
    PHOTO_FAR_FROM_CUSTOMER = "photo_far_from_customer"  # a photo taken farther than the limit from the customer
    GALLERY_PHOTO = "gallery_photo"  # only gallery photos where the visit needed one taken with the app's camera
    PHOTO_MISSING = "photo_missing"  # no photo (or no live one) where the visit's type or campaign needs one
    CLOCK_SET_BACK = "clock_set_back"  # stamped earlier than the phone's op before it: its clock was set back


class CampaignType(StrEnum):
    """营销活动的类型 (../shared/domain.md)."""

    PROMOTION = "promotion"  # 促销
    ORDER_MEETING = "order_meeting"  # 订货会
    DISPLAY = "display"  # 陈列
    TRIAL = "trial"  # 试用


class PipelineStage(StrEnum):
    """客户开发流程, in order (the seeds' 阶段一…五, then 重复购买); docs/pipeline.md."""

    IDENTIFY = "identify"  # 确定开发对象
    INFORMATION = "information"  # 信息收集/样品资料
    ASSESSMENT = "assessment"  # 价值评估
    RELATIONSHIP = "relationship"  # 关系建立
    CLOSING = "closing"  # 促成成交
    REPEAT = "repeat"  # 重复购买


class PipelineOutcome(StrEnum):
    OPEN = "open"
    WON = "won"  # 成交
    LOST = "lost"  # 战败


class StageAction(StrEnum):
    """What a stage event does to its opportunity."""

    MOVE = "move"  # to `stage` (forward or back)
    WON = "won"
    LOST = "lost"  # with a loss reason (战败分析)


class LossReason(StrEnum):
    """Why a development was lost (战败客户分析), from the seeds' stage checks and 成交障碍."""

    NO_NEED = "no_need"  # 无潜在需求 (阶段一: 判断成交机会的有无, 无则终止)
    PRICE = "price"  # 价格
    COMPETITOR = "competitor"  # 竞争对手
    PRODUCT_FIT = "product_fit"  # 样品/产品不符合需求
    DECISION_MAKER = "decision_maker"  # 未与关键决策人建立关系
    PAYMENT_TERMS = "payment_terms"  # 结账方式/信用
    SERVICE = "service"  # 供货与服务
    OTHER = "other"  # 其他


class PhotoType(StrEnum):
    """Content types a visit photo may have, told by the file's first bytes (shared.photos.sniff_photo_type)."""

    JPEG = "image/jpeg"
    PNG = "image/png"
    WEBP = "image/webp"
    HEIC = "image/heic"


class PhotoSource(StrEnum):
    """Where a visit photo came from (docs/photos.md): the app's camera view (stamped, taken then and there) or
    a pick from the phone's gallery (any photo, any time). A photo from before this field has none: 来源未知."""

    LIVE = "live"
    GALLERY = "gallery"


class PhotoRequirement(StrEnum):
    """What a visit type or campaign type asks of a visit's photos (settings PHOTO_REQUIRED*)."""

    ANY = "any"  # at least one photo, camera or gallery
    LIVE = "live"  # at least one taken with the app's camera


class ClaimAction(StrEnum):
    """What a rep does from the phone with a customer's ownership (docs/ownership.md)."""

    CLAIM = "claim"  # 认领: a 公海 customer becomes the rep's
    RELEASE = "release"  # 释放到公海: the rep's customer goes back to the territory's pool


class OwnerChangeReason(StrEnum):
    """How a customer's owner changed: each change is kept in the customer's owner history."""

    CLAIM = "claim"  # a rep claimed it from the pool (phone)
    RELEASE = "release"  # its rep or a supervisor released it to the pool
    ASSIGN = "assign"  # a supervisor gave it to a rep (or edited the owner)
    RETURN = "return"  # no visit or order for POOL_RETURN_DAYS of its tier: back to the pool (scheduled job)
    HANDOVER = "handover"  # a supervisor's handover of a rep's customers (/handover)
    START = "start"  # the owner it had before its history began (first pool_return run): the return counts from here
