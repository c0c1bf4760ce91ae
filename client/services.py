"""The app service: what the rep's screens ask for and do, on top of the local store.

Every write goes to the local store first (durable when `save` returns) and is pushed by the sync
runner later; nothing here waits for the network except signing in. Views never call this module:
the app's event handlers do, and put the results into view state.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import httpx

from client import clock
from client.api import CALL_FAILED, LOGIN_PATH, api_client
from client.features.approvals.expected import APPROVAL_RULES, Expectations, held_visit_ids
from client.features.approvals.service import approval_status, approvals_of_customer, with_approvals
from client.features.orders.catalogue import usual_products
from client.features.today import reminders
from client.features.today.reminders import parse_moment
from client.features.today.route_order import (
    ROUTE_ORDERS,
    expected_by_stop,
    in_chosen_order,
    position_now,
    rest_of_day,
    with_choice,
)
from client.location import Location, valid_location
from client.storage.store import LocalStore
from shared.approvals import counted
from shared.complaints import ComplaintProgress, derive_progress
from shared.door_hours import same_hours, typed_to_stored
from shared.enums import (
    ComplaintCategory,
    ComplaintStatus,
    CustomerKind,
    CustomerStatus,
    Importance,
    RecordKind,
    Severity,
    VisitType,
)
from shared.errors import ErrorCode
from shared.holidays import Holiday, company_holidays, default_holidays
from shared.ids import new_id
from shared.rates import visit_ordered
from shared.records import MAX_QUANTITY, MAX_UNIT_PRICE, amount_matches, order_total
from shared.route_order import Arrival, DayPlan, RouteRules
from shared.visit_rules import Flags, VisitFlagRules, day_flags, own_flags, photo_flags, required_photo

logger = logging.getLogger(__name__)

POOL_RULES = "pool_rules"  # the store's metadata: the rep's claim limits and standing (shared/pool.py ClaimStanding)
CLOCK_CORRECTION = "clock_correction"  # the store's metadata: seconds from the phone's clock to the server's

Clock = Callable[[], dt.datetime]
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # sorts records without a valid time last


def local_now() -> dt.datetime:
    """Now in the company's zone with its UTC offset (visits record local time with the offset)."""
    return clock.now()


def iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


class SignInProblem(StrEnum):
    BAD_CREDENTIALS = "bad_credentials"
    UNREACHABLE = "unreachable"
    REFUSED = "refused"
    MISSING = "missing"
    OTHER_USER = "other_user"
    BROKEN = "broken"  # an error in the app itself, not an answer of the server


class SignInFailed(Exception):
    def __init__(self, problem: SignInProblem, message: str = "") -> None:
        super().__init__(f"{problem.value}: {message}")
        self.problem = problem
        self.message = message


class StopStatus(StrEnum):
    NOT_VISITED = "not_visited"
    VISITED = "visited"
    ORDERED = "ordered"


@dataclass(frozen=True)
class Stop:
    """A customer on today's route (or visited off route today) and how the day went there."""

    customer_id: str
    customer: dict[str, Any] | None  # None: on the plan but not (yet) on this device
    status: StopStatus
    visit_in_progress: bool = False


@dataclass(frozen=True)
class TodayRoute:
    day: dt.date
    stops: list[Stop] = field(default_factory=list)
    off_route: list[Stop] = field(default_factory=list)
    has_plan: bool = False
    # When each stop not yet visited is expected, in the order shown, from where the rep is and now
    # (client/features/today/route_order.py); `own_order`: the rep chose the order on this phone.
    expected: dict[str, Arrival] = field(default_factory=dict)
    own_order: bool = False

    @property
    def remaining(self) -> list[Stop]:
        return [stop for stop in self.stops if stop.status is StopStatus.NOT_VISITED and stop.customer]

    @property
    def visited(self) -> int:
        return sum(stop.status is not StopStatus.NOT_VISITED for stop in self.stops)

    @property
    def ordered(self) -> int:
        return sum(stop.status is StopStatus.ORDERED for stop in self.stops)


class ConflictSide(StrEnum):
    """Whose edit a conflict concerns, as this phone sees it."""

    MINE_LOST = "mine_lost"  # this rep's change was replaced by a concurrent one
    MINE_KEPT = "mine_kept"  # this phone's change replaced a concurrent one (the other value is kept)
    OTHERS = "others"  # two edits by others


@dataclass(frozen=True)
class ConflictItem:
    """A conflict record the server kept (kind "conflict"), with what the rep's screens need to show it."""

    conflict: dict[str, Any]  # field, kept_value, lost_value, created_at, reviewed...
    customer_id: str
    customer_name: str | None  # None: the customer is not on this phone
    side: ConflictSide

    @property
    def field_name(self) -> str:
        return str(self.conflict.get("field") or "")

    @property
    def reviewed(self) -> bool:
        return bool(self.conflict.get("reviewed"))


@dataclass(frozen=True)
class CustomerCard:
    customer: dict[str, Any]
    visits: list[dict[str, Any]]  # newest first
    notes: list[dict[str, Any]]  # newest first
    on_plan_today: bool
    open_visit: dict[str, Any] | None  # today's visit checked in and not checked out
    conflicts: list[ConflictItem] = field(default_factory=list)  # newest first
    key_persons: list[dict[str, Any]] = field(default_factory=list)  # by name
    complaints: list[dict[str, Any]] = field(default_factory=list)  # newest first
    orders: list[dict[str, Any]] = field(default_factory=list)  # purchase record, newest first
    competitor_reports: list[dict[str, Any]] = field(default_factory=list)  # newest first
    products: dict[str, dict[str, Any]] = field(default_factory=dict)  # the catalogue by id (order lines' names)
    approvals: list[dict[str, Any]] = field(default_factory=list)  # 审批 of its orders, itself, credit: newest first
    as_of: dt.datetime | None = None  # when the card was read: the complaints' response timers count from it


@dataclass(frozen=True)
class VisitRecords:
    """What was recorded on one visit besides the visit itself, oldest first."""

    orders: list[dict[str, Any]] = field(default_factory=list)
    competitor_reports: list[dict[str, Any]] = field(default_factory=list)
    complaints: list[dict[str, Any]] = field(default_factory=list)

    @property
    def order_total(self) -> float:
        return round(sum(float(order.get("amount") or 0) for order in self.orders), 2)

    @property
    def held_total(self) -> float:
        """Of `order_total`, the orders waiting for approval (expected or pending) or rejected: counted nowhere."""
        held = (order for order in self.orders if not counted(approval_status(order)))
        return round(sum(float(order.get("amount") or 0) for order in held), 2)


class FormProblems(ValueError):
    """A form's values cannot make a record: translation keys by field (e.g. "quantity.0"); nothing stored."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(", ".join(f"{name}: {key}" for name, key in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class OrderLineInput:
    """One line of the order form as typed: text until the order is taken."""

    product_id: str
    quantity: str = ""
    unit_price: str = ""


def parse_number(text: str) -> float | int | None:
    """A number typed on a phone ("12", "12.5", "1,200", "１２"), or None if it is not one."""
    cleaned = text.strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def order_lines_from_form(rows: list[OrderLineInput]) -> list[dict[str, Any]]:
    """The order form's rows as order lines (shared.records.order_lines); raises FormProblems, keyed
    "quantity.{i}" / "unit_price.{i}" / "lines", with translation keys."""
    problems: dict[str, str] = {}
    if not rows:
        raise FormProblems({"lines": "client.order.no_lines"})
    lines = []
    for index, row in enumerate(rows):
        quantity, price = parse_number(row.quantity), parse_number(row.unit_price)
        if quantity is None:
            problems[f"quantity.{index}"] = "client.order.bad_quantity"
        elif not 0 < quantity <= MAX_QUANTITY:
            problems[f"quantity.{index}"] = "client.order.quantity_range"
        if price is None:
            problems[f"unit_price.{index}"] = "client.order.bad_price"
        elif not 0 <= price <= MAX_UNIT_PRICE:
            problems[f"unit_price.{index}"] = "client.order.price_range"
        lines.append({"product_id": row.product_id, "quantity": quantity, "unit_price": price})
    if len({row.product_id for row in rows}) != len(rows):
        problems["lines"] = "client.order.duplicate_product"
    if problems:
        raise FormProblems(problems)
    return lines


def order_amount(rows: list[OrderLineInput]) -> float | None:
    """The amount the form's rows come to, as the server checks it (shared.records.order_total); None
    while a row has no valid number yet."""
    try:
        return float(order_total(order_lines_from_form(rows)))
    except FormProblems:
        return None


def optional_price(text: str) -> float | int | None:
    """An optional price field: None when empty; raises FormProblems when it is not a price."""
    if not text.strip():
        return None
    price = parse_number(text)
    if price is None or not 0 <= price <= MAX_UNIT_PRICE:
        raise FormProblems({"price": "client.order.bad_price"})
    return price


# The key person form's fields (the rest of a key person is the server's).
KEY_PERSON_FORM_FIELDS = ("name", "role", "phone", "birthday", "hobbies", "family_notes", "attitude")


def key_person_fields(values: dict[str, Any]) -> dict[str, Any]:
    """The key person form as record fields: trimmed, an empty optional field as None, the birthday checked
    (raises FormProblems with translation keys)."""
    fields: dict[str, Any] = {}
    for name in KEY_PERSON_FORM_FIELDS:
        if name not in values:
            continue
        value = values[name]
        text = value.strip() if isinstance(value, str) else value
        fields[name] = text or None
    problems = {}
    if not fields.get("name"):
        problems["name"] = "client.key_person.name_required"
    if not fields.get("role"):
        problems["role"] = "client.key_person.role_required"
    birthday = fields.get("birthday")
    if birthday:
        try:
            fields["birthday"] = dt.date.fromisoformat(str(birthday)).isoformat()
        except ValueError:
            problems["birthday"] = "client.key_person.bad_birthday"
    if problems:
        raise FormProblems(problems)
    return fields


# The customer fields a rep edits on the phone (the customer form); the rest is the server's or a supervisor's.
CUSTOMER_FORM_FIELDS = ("name", "kind", "address", "phone", "contact_person", "door_hours")


@dataclass(frozen=True)
class DraftFix:
    """A record's refused ops (drafts) opened to be fixed and sent again.

    `record` is the record as the rep last wrote it: the local record with the drafts' fields on top
    (a pull may have put the server's values back into the local record). `fields` are the fields the
    drafts wrote: the new op carries them all, with the rep's fixes, so it creates the record if the
    server never stored it.
    """

    kind: RecordKind
    record_id: str
    seqs: tuple[int, ...]  # every draft of this record, oldest first: the new op replaces them all
    record: dict[str, Any]
    fields: frozenset[str]
    code: str
    message: str


def customer_form_fields(values: dict[str, Any]) -> dict[str, Any]:
    """The customer form's values as record fields: trimmed text, an empty optional field as None."""
    fields: dict[str, Any] = {}
    for name in CUSTOMER_FORM_FIELDS:
        if name not in values:
            continue
        value = values[name]
        text = value.strip() if isinstance(value, str) else value
        fields[name] = text if text or name in ("name", "kind") else None
    if isinstance(fields.get("door_hours"), str):  # typed: stored as their dict (DoorHoursError says why not)
        fields["door_hours"] = typed_to_stored(fields["door_hours"])
    return fields


def visit_duration_minutes(visit: dict[str, Any]) -> int | None:
    start, end = parse_moment(visit.get("check_in_at")), parse_moment(visit.get("check_out_at"))
    if start is None or end is None:
        return None
    return max(0, round((end - start).total_seconds() / 60))


class AppService:
    def __init__(
        self,
        store: LocalStore,
        *,
        default_server_url: str = "",
        clock: Clock = local_now,
        transport: httpx.BaseTransport | None = None,
        on_saved: Callable[[], None] | None = None,
        holidays: Sequence[Holiday] | None = None,
    ) -> None:
        self.store = store
        self.default_server_url = default_server_url
        self.clock = clock
        self.transport = transport
        self.on_saved = on_saved
        self.holiday_file = None if holidays is None else list(holidays)  # --holidays FILE: overrides the others

    # ---- session ----------------------------------------------------------------------------

    @property
    def token(self) -> str | None:
        token = self.store.get_meta("token")
        return str(token) if token else None

    @property
    def user(self) -> dict[str, Any] | None:
        user = self.store.get_meta("user")
        return dict(user) if isinstance(user, dict) else None

    @property
    def server_url(self) -> str:
        return str(self.store.get_meta("server_url") or self.default_server_url)

    def signed_in(self) -> bool:
        return self.token is not None and self.user is not None

    def sign_in(self, server_url: str, username: str, password: str) -> dict[str, Any]:
        """Exchange credentials for a token and keep both durably; the only call that needs the network."""
        server_url = server_url.strip().rstrip("/")
        if not server_url or not username.strip() or not password:
            raise SignInFailed(SignInProblem.MISSING)
        try:
            with api_client(server_url, transport=self.transport) as http:
                # The phone's own id binds the sign-in to this install, so an admin can revoke the phone; its
                # signing key is registered with it (sync/chain.py: the server then checks every op it signs).
                key = self.store.signing_key()
                credentials = {"username": username.strip(), "password": password, "device_id": self.store.device_id}
                phone = {"platform": sys.platform, "public_key": key.public_key, "signed_from_seq": key.from_seq}
                response = http.post(LOGIN_PATH, json=credentials | phone)
        except CALL_FAILED as error:  # unreachable, or a malformed URL
            raise SignInFailed(SignInProblem.UNREACHABLE, str(error)) from error
        if response.status_code == 401:
            raise SignInFailed(SignInProblem.BAD_CREDENTIALS)
        if response.status_code >= 500:
            raise SignInFailed(SignInProblem.UNREACHABLE, f"server error {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise SignInFailed(SignInProblem.UNREACHABLE, "the answer is not JSON") from None
        if not response.is_success:
            problem = body.get("error", {}) if isinstance(body, dict) else {}
            message = problem.get("message", "") if isinstance(problem, dict) else ""
            raise SignInFailed(SignInProblem.REFUSED, str(message or response.status_code))
        token, user, refresh_token = body.get("token"), body.get("user"), body.get("refresh_token")
        if not isinstance(token, str) or not isinstance(user, dict) or "id" not in user:
            raise SignInFailed(SignInProblem.REFUSED, "unexpected answer")
        previous = self.user
        if previous and previous.get("id") != user["id"] and self.store.pending_count():
            # Another rep's unsent work is on this phone: pushing it under this token would misattribute it.
            raise SignInFailed(SignInProblem.OTHER_USER, str(previous.get("display_name") or previous.get("username")))
        refresh_token = refresh_token if isinstance(refresh_token, str) else None
        self.store.set_meta(token=token, refresh_token=refresh_token, user=user, server_url=server_url)
        rules = (body.get("visit_rules"), body.get("route_rules"), body.get("approval_rules"), body.get("pool_rules"))
        self.keep_company(body.get("timezone"), *rules)
        return user

    def keep_company(
        self,
        timezone: object,
        visit_rules: object = None,
        route_rules: object = None,
        approval_rules: object = None,
        pool_rules: object = None,
    ) -> None:
        """What the server says of the company (sign-in, every pull), kept in the store: its time zone, which
        the clock then uses, its visit flag limits (`visit_rules`), what the day is ordered with
        (`route_rules`), the approval rules the phone applies offline (`approval_rules`,
        client/features/approvals/expected.py; a server that sends none leaves the phone expecting nothing) and
        the rep's claim limits and claims this month (`pool_rules`, client/features/pool/service.py)."""
        known = self.store.get_meta("timezone")
        if isinstance(timezone, str) and timezone and known != timezone and clock.use_zone(timezone):
            self.store.set_meta(timezone=timezone)
        for key, rules in (
            ("visit_rules", visit_rules),
            ("route_rules", route_rules),
            (APPROVAL_RULES, approval_rules),
            (POOL_RULES, pool_rules),
        ):
            if isinstance(rules, dict) and rules and self.store.get_meta(key) != rules:
                self.store.set_meta(**{key: rules})

    def keep_clock_correction(self, value: dt.timedelta) -> None:
        """A pull measured the phone's clock against the server's (client/clock.py): every "now" follows it, and
        the store keeps it, so a start offline keeps the server's time too."""
        clock.correct_by(value)
        seconds = value.total_seconds()
        if seconds != (self.store.get_meta(CLOCK_CORRECTION) or 0):  # nothing is written while the clock is right
            self.store.set_meta(**{CLOCK_CORRECTION: seconds})

    def restore_clock_correction(self) -> None:
        """At start: the correction the last sync measured (none before the first)."""
        stored = self.store.get_meta(CLOCK_CORRECTION)
        if isinstance(stored, int | float) and math.isfinite(stored):
            clock.correct_by(dt.timedelta(seconds=stored))

    def route_rules(self) -> RouteRules:
        """What the server orders a day with (minutes and door hours by kind, road factor, speed), as it last
        said (the defaults before that)."""
        return RouteRules.from_dict(self.store.get_meta("route_rules"))

    def visit_rules(self) -> VisitFlagRules:
        """The company's visit flag limits as the server last said (the defaults before that)."""
        return VisitFlagRules.from_dict(self.store.get_meta("visit_rules"))

    def expected_flags(self, visit_id: str) -> Flags:
        """The flags the visit will carry as the server judges it, checked out now if it is not yet: so the rep
        knows before 签退 and can say why in the visit's remarks. Only the server judges its own receipt (a
        visit entered late). Its photos count as the server counts them: their times, places and sources,
        and whether its type or a campaign recorded on it needs one (docs/photos.md)."""
        visit = self.visit(visit_id)
        if visit is None:
            return {}
        now = self.clock()
        ending = visit if visit.get("check_out_at") else {**visit, "check_out_at": iso(now)}
        customer = self.store.get(RecordKind.CUSTOMER, str(visit.get("customer_id"))) or {}
        place = (customer.get("lat"), customer.get("lng"))
        rules, tz = self.visit_rules(), clock.company_zone()
        flags = own_flags(ending, place, rules, tz)
        photos = self.store.find(RecordKind.VISIT_PHOTO, visit_id=visit_id)
        day = [ending if other.get("id") == visit_id else other for other in self.visits_on(now.date())]
        taken = [(visit_id, str(photo.get("taken_at"))) for photo in photos]
        flags.update(day_flags(day, taken, rules, tz).get(visit_id, {}))
        required = self.photo_requirement(visit)
        in_person = visit.get("visit_type") != VisitType.PHONE.value
        flags.update(photo_flags(ending, photos, place if in_person else (None, None), required, rules))
        return flags

    def photo_requirement(self, visit: Mapping[str, Any]) -> str | None:
        """What photo the visit needs (shared.enums.PhotoRequirement) by its type and the campaigns recorded
        on it, with the company's rules as the server last said; None: none needed."""
        campaign_types = [
            str((self.store.get(RecordKind.CAMPAIGN, str(result.get("campaign_id"))) or {}).get("campaign_type"))
            for result in self.store.find(RecordKind.CAMPAIGN_RESULT, visit_id=str(visit.get("id")))
        ]
        return required_photo(visit.get("visit_type"), campaign_types, self.visit_rules())

    @property
    def refresh_token(self) -> str | None:
        token = self.store.get_meta("refresh_token")
        return str(token) if token else None

    def keep_tokens(self, token: str, refresh_token: str) -> None:
        """After a refresh (on the sync thread): the old refresh token is used up, so store the new pair now."""
        self.store.set_meta(token=token, refresh_token=refresh_token)

    def forget_token(self) -> None:
        """The server refused the sign-in (401): sign in again; records, outbox and drafts are kept."""
        self.store.set_meta(token=None, refresh_token=None)

    # ---- today ------------------------------------------------------------------------------

    def today(self) -> TodayRoute:
        day = self.clock().date()
        plan = self.route_plan(day)
        chosen = self.store.get_meta(ROUTE_ORDERS)
        planned_ids = in_chosen_order(chosen, day, list(plan["customer_ids"]) if plan else [])
        visits_by_customer: dict[str, list[dict[str, Any]]] = {}
        for visit in self.visits_on(day):
            visits_by_customer.setdefault(str(visit.get("customer_id")), []).append(visit)
        expect = Expectations(self.store)

        def stop(customer_id: str) -> Stop:
            visits = visits_by_customer.get(customer_id, [])
            # Ordered: ticked on the visit, or an order taken on it (shared.rates.visit_ordered); as on the
            # server's board, a visit with an order waiting for approval counts only through an order that counts.
            orders = self.store.find(RecordKind.ORDER, customer_id=customer_id) if visits else []
            ordered_visits = {str(order.get("visit_id")) for order in orders if expect.counts(order)}
            held = held_visit_ids(orders, expect)

            def ordered(visit: dict[str, Any]) -> bool:
                ticked = bool(visit.get("ordered")) and str(visit["id"]) not in held
                return visit_ordered(ticked, int(str(visit["id"]) in ordered_visits))

            if any(ordered(visit) for visit in visits):
                status = StopStatus.ORDERED
            elif visits:
                status = StopStatus.VISITED
            else:
                status = StopStatus.NOT_VISITED
            in_progress = any(not visit.get("check_out_at") for visit in visits)
            return Stop(customer_id, self.store.get(RecordKind.CUSTOMER, customer_id), status, in_progress)

        stops = [stop(customer_id) for customer_id in dict.fromkeys(planned_ids)]
        off_ids = [customer_id for customer_id in visits_by_customer if customer_id not in set(planned_ids)]
        route = TodayRoute(day, stops, [stop(customer_id) for customer_id in off_ids], has_plan=plan is not None)
        rest = self._rest_of_day(route, best=False)
        own_order = isinstance(chosen, dict) and day.isoformat() in chosen
        return replace(route, expected=expected_by_stop(rest), own_order=own_order)

    def _rest_of_day(self, route: TodayRoute, *, best: bool) -> DayPlan:
        customers = [stop.customer for stop in route.remaining if stop.customer]
        here = position_now(self.visits_on(route.day))
        rules = self.route_rules()
        return rest_of_day(customers, route.day, here, self.clock(), self.visit_rules().work_end, rules, best=best)

    def reorder_rest_of_day(self) -> DayPlan:
        """Put the stops not yet visited in the best order found from here and now (kept on this phone for
        today; the supervisor's plan is unchanged). Visited stops keep their place, first."""
        route = self.today()
        rest = self._rest_of_day(route, best=True)
        done = [stop.customer_id for stop in route.stops if stop not in route.remaining]
        self.store.set_meta(
            **{ROUTE_ORDERS: with_choice(self.store.get_meta(ROUTE_ORDERS), route.day, done + rest.order)}
        )
        return rest

    def restore_planned_order(self) -> None:
        """Back to the supervisor's order for today."""
        day = self.clock().date()
        self.store.set_meta(**{ROUTE_ORDERS: with_choice(self.store.get_meta(ROUTE_ORDERS), day, None)})

    def next_stop(self, after_customer_id: str | None = None) -> Stop | None:
        """Today's next stop to visit: the first planned customer not visited yet (not `after_customer_id`,
        the one just left), in route order; None when the route is done."""
        for stop in self.today().stops:
            if stop.status is StopStatus.NOT_VISITED and stop.customer_id != after_customer_id and stop.customer:
                return stop
        return None

    def route_plan(self, day: dt.date) -> dict[str, Any] | None:
        user_id = (self.user or {}).get("id")
        plans = [
            plan
            for plan in self.store.find(RecordKind.ROUTE_PLAN, day=day.isoformat())
            if not plan.get("rep_id") or plan.get("rep_id") == user_id
        ]
        return plans[0] if plans else None

    def visits_on(self, day: dt.date) -> list[dict[str, Any]]:
        """Visits checked in on `day` (the device's local date), oldest first."""
        local_tz = self.clock().tzinfo
        found = []
        for visit in self.store.all(RecordKind.VISIT):
            moment = parse_moment(visit.get("check_in_at"))
            if moment is not None and moment.astimezone(local_tz).date() == day:
                found.append((moment, visit))
        return [visit for _, visit in sorted(found, key=lambda pair: pair[0])]

    def on_plan_today(self, customer_id: str) -> bool:
        plan = self.route_plan(self.clock().date())
        return bool(plan and customer_id in plan["customer_ids"])

    # ---- customers --------------------------------------------------------------------------

    def customer_card(self, customer_id: str) -> CustomerCard | None:
        customer = self.store.get(RecordKind.CUSTOMER, customer_id)
        if customer is None:
            return None
        expect = Expectations(self.store)
        approvals = approvals_of_customer(self.store, customer_id)
        expected = expect.customer(customer)  # a new customer the rules send for approval, not yet the server's
        if expected is not None and not any(approval.get("record_id") == customer_id for approval in approvals):
            approvals = [expected, *approvals]
        visits = sorted(
            self.store.find(RecordKind.VISIT, customer_id=customer_id),
            key=lambda visit: parse_moment(visit.get("check_in_at")) or EPOCH,
            reverse=True,
        )
        notes = sorted(
            self.store.find(RecordKind.NOTE, customer_id=customer_id),
            key=lambda note: parse_moment(note.get("created_at")) or EPOCH,
            reverse=True,
        )
        return CustomerCard(
            customer,
            visits,
            notes,
            self.on_plan_today(customer_id),
            self.open_visit(customer_id),
            self.conflicts(customer_id),
            key_persons=sorted(
                self.store.find(RecordKind.KEY_PERSON, customer_id=customer_id),
                key=lambda person: str(person.get("name") or ""),
            ),
            complaints=self.as_progressed(self._newest(RecordKind.COMPLAINT, customer_id, "received_at")),
            orders=with_approvals(self._newest(RecordKind.ORDER, customer_id, "ordered_at"), approvals, expect.order),
            approvals=approvals,
            competitor_reports=self._newest(RecordKind.COMPETITOR_REPORT, customer_id, "observed_at"),
            products={str(product["id"]): product for product in self.store.all(RecordKind.PRODUCT)},
            as_of=self.clock(),
        )

    def _newest(self, kind: RecordKind, customer_id: str, moment_field: str) -> list[dict[str, Any]]:
        """A customer's records of `kind` (through the store's per-customer index), newest first."""
        return sorted(
            self.store.find(kind, customer_id=customer_id),
            key=lambda record: parse_moment(record.get(moment_field)) or EPOCH,
            reverse=True,
        )

    # ---- complaints (steps: client/features/complaints/service.py) --------------------------------------------

    def complaint_steps(self, complaint_id: str) -> list[dict[str, Any]]:
        """The complaint's steps on this phone, each with its clock: the server's (pulled) or this phone's op's."""
        found = []
        for step in self.store.find(RecordKind.COMPLAINT_STEP, complaint_id=complaint_id):
            clock = step.get("clock") or self.store.field_clocks(str(step["id"])).get("status") or ""
            found.append({**step, "clock": clock})
        return found

    def complaint_progress(self, complaint: dict[str, Any]) -> ComplaintProgress:
        return derive_progress(complaint, self.complaint_steps(str(complaint["id"])))

    def as_progressed(self, complaints: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Complaints as the rep should see them: status and timers moved on by the steps on this phone, and
        `steps`, the history (oldest first, each with `applied` and `waiting`: not yet on the server)."""
        waiting = self.store.pending_record_ids() if complaints else set()
        found = []
        for complaint in complaints:
            known = self.complaint_progress(complaint)
            steps = [
                {**item.step, "applied": item.applied, "waiting": item.step.get("id") in waiting}
                for item in known.history
            ]
            found.append({**complaint, "status": known.status.value, **known.timestamps(), "steps": steps})
        return found

    # ---- key persons ------------------------------------------------------------------------

    def save_key_person(
        self, customer_id: str, values: dict[str, Any], person_id: str | None = None
    ) -> dict[str, Any] | None:
        """Add a key person, or store the changed fields of one (None: nothing changed).
        Raises FormProblems (nothing stored) or client.storage.store.InvalidRecord."""
        fields = key_person_fields(values)
        if person_id is None:
            fields = {name: value for name, value in fields.items() if value is not None}
            return self._save(RecordKind.KEY_PERSON, new_id(), {"customer_id": customer_id, **fields})
        person = self.store.get(RecordKind.KEY_PERSON, person_id) or {}
        changed = {name: value for name, value in fields.items() if person.get(name) != value}
        return self._save(RecordKind.KEY_PERSON, person_id, changed) if changed else None

    def delete_key_person(self, person_id: str) -> None:
        """Delete a key person: gone from the phone at once, a tombstone to the server with the next sync."""
        self.store.delete(RecordKind.KEY_PERSON, person_id)
        if self.on_saved is not None:
            self.on_saved()

    # ---- care reminders ---------------------------------------------------------------------

    def holidays(self, today: dt.date) -> list[Holiday]:
        """The holidays reminded of: the app's --holidays file if given, else the company's list pulled from the
        server (`holiday` records), else the built-in list (a first start offline, or no list kept)."""
        if self.holiday_file is not None:
            return self.holiday_file
        return company_holidays(self.store.all(RecordKind.HOLIDAY), today) or default_holidays()

    def care_reminders(self) -> reminders.CareReminders:
        """Birthdays and holidays in the coming week, customers overdue by their tier's cadence, follow-ups
        due: from what is on the phone, offline."""
        now = self.clock()
        today = now.date()
        latest: dict[str, tuple[dt.datetime, dict[str, Any]]] = {}
        for visit in self.store.all(RecordKind.VISIT):
            moment = parse_moment(visit.get("check_in_at"))
            customer_id = str(visit.get("customer_id"))
            if moment is not None and (customer_id not in latest or moment > latest[customer_id][0]):
                latest[customer_id] = (moment, visit)
        last_days = {customer_id: moment.astimezone(now.tzinfo).date() for customer_id, (moment, _) in latest.items()}
        customers = self.store.all(RecordKind.CUSTOMER)
        known = {str(customer["id"]) for customer in customers}
        return reminders.CareReminders(
            today,
            birthdays=[
                reminder
                for reminder in reminders.upcoming_birthdays(self.store.all(RecordKind.KEY_PERSON), today)
                if reminder.customer_id in known
            ],
            holidays=reminders.upcoming_holidays(self.holidays(today), today),
            overdue=reminders.overdue_visits(customers, last_days, today),
            follow_ups=[
                item
                for item in reminders.follow_ups(
                    [visit for _, visit in latest.values()],
                    self.as_progressed(self.store.all(RecordKind.COMPLAINT)),
                    now,
                    all_visits=self.store.all(RecordKind.VISIT),  # home visits waiting for their 回访
                )
                if item.customer_id in known
            ],
            customer_names={str(customer["id"]): str(customer.get("name") or "") for customer in customers},
        )

    def update_customer(self, customer_id: str, values: dict[str, Any]) -> dict[str, Any] | None:
        """Store the customer form's changes: only the fields whose value changed go into the op
        (an unchanged field sent along could overwrite someone's concurrent edit). None: nothing changed."""
        customer = self.store.get(RecordKind.CUSTOMER, customer_id) or {}
        fields = {
            name: value
            for name, value in customer_form_fields(values).items()
            if not (same_hours(customer.get(name), value) if name == "door_hours" else customer.get(name) == value)
        }
        if not fields:
            return None
        return self._save(RecordKind.CUSTOMER, customer_id, fields)

    def search_customers(self, text: str = "") -> list[dict[str, Any]]:
        needle = text.strip().lower()
        customers = [
            customer
            for customer in self.store.all(RecordKind.CUSTOMER)
            if not needle
            or needle in str(customer.get("name", "")).lower()
            or needle in str(customer.get("address") or "").lower()
        ]
        return sorted(customers, key=lambda customer: str(customer.get("name", "")))

    def create_prospect(
        self,
        name: str,
        kind: CustomerKind,
        address: str = "",
        phone: str = "",
        contact_person: str = "",
        door_hours: str = "",
    ) -> dict[str, Any]:
        """A new prospect (潜在客户), stored offline; `door_hours` as typed (DoorHoursError: unreadable)."""
        fields: dict[str, Any] = {
            "name": name.strip(),
            "kind": kind.value,
            "status": CustomerStatus.PROSPECT.value,
            "importance": Importance.POTENTIAL.value,
            "created_at": iso(self.clock()),
        }
        for key, value in (("address", address), ("phone", phone), ("contact_person", contact_person)):
            if value.strip():
                fields[key] = value.strip()
        if door_hours.strip():
            fields["door_hours"] = typed_to_stored(door_hours)
        return self._save(RecordKind.CUSTOMER, new_id(), fields)

    def add_note(self, customer_id: str, text: str, visit_id: str | None = None) -> dict[str, Any]:
        fields: dict[str, Any] = {"customer_id": customer_id, "text": text.strip(), "created_at": iso(self.clock())}
        if visit_id:
            fields["visit_id"] = visit_id
        return self._save(RecordKind.NOTE, new_id(), fields)

    # ---- visits -----------------------------------------------------------------------------

    def visit(self, visit_id: str) -> dict[str, Any] | None:
        return self.store.get(RecordKind.VISIT, visit_id)

    def open_visit(self, customer_id: str) -> dict[str, Any] | None:
        """Today's visit to the customer that is checked in and not checked out, if any (the latest)."""
        now = self.clock()
        open_today = []
        for visit in self.store.find(RecordKind.VISIT, customer_id=customer_id):  # the store's index
            moment = parse_moment(visit.get("check_in_at"))
            if (
                moment is not None
                and moment.astimezone(now.tzinfo).date() == now.date()
                and not visit.get("check_out_at")
            ):
                open_today.append((moment, visit))
        return max(open_today, key=lambda pair: pair[0])[1] if open_today else None

    def default_visit_type(self, customer_id: str) -> VisitType:
        """初次拜访 for a customer never visited, 二次拜访 after one visit, else 日访.

        Counted through the store's per-customer index: a check-in costs what this customer's visits
        cost, not a scan of every visit on the phone (issue #6).
        """
        visits = self.store.find(RecordKind.VISIT, customer_id=customer_id)
        if reminders.home_follow_ups(visits, self.clock()):  # a home visit waits for its 回访
            return VisitType.FOLLOW_UP
        count = len(visits)
        return VisitType.FIRST if count == 0 else VisitType.SECOND if count == 1 else VisitType.DAY

    def pending_home_visit(self, customer_id: str) -> dict[str, Any] | None:
        """The customer's home visit (家访) still waiting for its follow-up (回访), the earliest due first."""
        due = reminders.home_follow_ups(self.store.find(RecordKind.VISIT, customer_id=customer_id), self.clock())
        return min(due, key=lambda item: item.due).record if due else None

    def check_in(
        self, customer_id: str, visit_type: VisitType | None = None, location: Location | None = None
    ) -> dict[str, Any]:
        """Start a visit now, where the device is when it gives a position (see `locate`); a phone visit
        (电话拜访) keeps no position, a follow-up (回访) is linked to the customer's home visit waiting for it."""
        visit_type = visit_type or self.default_visit_type(customer_id)
        fields: dict[str, Any] = {
            "customer_id": customer_id,
            "visit_type": visit_type.value,
            "planned": self.on_plan_today(customer_id),
            "check_in_at": iso(self.clock()),
            "ordered": False,
        }
        if visit_type is VisitType.FOLLOW_UP and (home := self.pending_home_visit(customer_id)) is not None:
            fields["follows_visit_id"] = home["id"]
        location = valid_location(location) if visit_type is not VisitType.PHONE else None
        if location is not None:
            fields["check_in_lat"], fields["check_in_lng"] = location.lat, location.lng
            if location.accuracy is not None:
                fields["check_in_accuracy"] = location.accuracy
        return self._save(RecordKind.VISIT, new_id(), fields)

    def save_visit(self, visit_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Store the form's fields (raises client.storage.store.InvalidRecord with field errors)."""
        return self._save(RecordKind.VISIT, visit_id, fields)

    def check_out(self, visit_id: str, fields: dict[str, Any], location: Location | None = None) -> dict[str, Any]:
        """End the visit now with the form's fields; the record keeps no accuracy for check-out (nor, for a
        phone visit, any position)."""
        fields = {**fields, "check_out_at": iso(self.clock())}
        visit_type = fields.get("visit_type") or (self.visit(visit_id) or {}).get("visit_type")
        location = valid_location(location) if visit_type != VisitType.PHONE.value else None
        if location is not None:
            fields["check_out_lat"], fields["check_out_lng"] = location.lat, location.lng
        return self._save(RecordKind.VISIT, visit_id, fields)

    # ---- on a visit: orders, competitor reports, complaints ----------------------------------

    def products(self) -> list[dict[str, Any]]:
        """The catalogue's products on offer (active), by name and spec."""
        return sorted(
            (product for product in self.store.all(RecordKind.PRODUCT) if product.get("active", True)),
            key=lambda product: (str(product.get("name") or ""), str(product.get("spec") or "")),
        )

    def usual_products(self, customer_id: str) -> list[str]:
        """The customer's usual products, most often ordered first (the order form shows them first)."""
        return usual_products(self.store.find(RecordKind.ORDER, customer_id=customer_id))

    def visit_records(self, visit_id: str) -> VisitRecords:
        visit = self.visit(visit_id)
        if visit is None:
            return VisitRecords()
        customer_id = str(visit.get("customer_id"))

        def of_visit(kind: RecordKind, moment_field: str) -> list[dict[str, Any]]:
            found = self.store.find(kind, customer_id=customer_id, visit_id=visit_id)
            return sorted(found, key=lambda record: parse_moment(record.get(moment_field)) or EPOCH)

        approvals, expect = approvals_of_customer(self.store, customer_id), Expectations(self.store)
        return VisitRecords(
            with_approvals(of_visit(RecordKind.ORDER, "ordered_at"), approvals, expect.order),
            of_visit(RecordKind.COMPETITOR_REPORT, "observed_at"),
            of_visit(RecordKind.COMPLAINT, "received_at"),
        )

    def _visit_or_fail(self, visit_id: str) -> dict[str, Any]:
        visit = self.visit(visit_id)
        if visit is None:
            raise FormProblems({"visit": "client.order.no_visit"})
        return visit

    def take_order(self, visit_id: str, rows: list[OrderLineInput], notes: str = "") -> dict[str, Any]:
        """Take an order on the visit: one durable save of the order record.

        The amount is the lines' total computed as the server checks it (shared.records.order_total and
        amount_matches); the server refuses any other figure. Raises FormProblems (nothing stored).
        """
        visit = self._visit_or_fail(visit_id)
        lines = order_lines_from_form(rows)
        amount = float(order_total(lines))
        assert amount_matches(amount, lines)
        fields: dict[str, Any] = {
            "customer_id": visit["customer_id"],
            "visit_id": visit_id,
            "lines": lines,
            "amount": amount,
            "ordered_at": iso(self.clock()),
        }
        if notes.strip():
            fields["notes"] = notes.strip()
        return self._save(RecordKind.ORDER, new_id(), fields)

    def record_competitor_report(
        self, visit_id: str, brand: str, product: str, price: str = "", promotion: str = ""
    ) -> dict[str, Any]:
        """竞品信息 seen on the visit. Raises FormProblems (nothing stored)."""
        visit = self._visit_or_fail(visit_id)
        problems = {}
        if not brand.strip():
            problems["brand"] = "client.competitor.brand_required"
        if not product.strip():
            problems["product"] = "client.competitor.product_required"
        try:
            price_value = optional_price(price)
        except FormProblems as error:
            problems.update(error.problems)
            price_value = None
        if problems:
            raise FormProblems(problems)
        fields: dict[str, Any] = {
            "customer_id": visit["customer_id"],
            "visit_id": visit_id,
            "brand": brand.strip(),
            "product": product.strip(),
            "observed_at": iso(self.clock()),
        }
        if price_value is not None:
            fields["price"] = price_value
        if promotion.strip():
            fields["promotion"] = promotion.strip()
        return self._save(RecordKind.COMPETITOR_REPORT, new_id(), fields)

    def record_complaint(self, visit_id: str, category: str, severity: str, description: str) -> dict[str, Any]:
        """A complaint received on the visit (status 受理). Raises FormProblems (nothing stored)."""
        visit = self._visit_or_fail(visit_id)
        problems = {}
        if category not in {member.value for member in ComplaintCategory}:
            problems["category"] = "client.complaint.category_required"
        if severity not in {member.value for member in Severity}:
            problems["severity"] = "client.complaint.severity_required"
        if not description.strip():
            problems["description"] = "client.complaint.description_required"
        if problems:
            raise FormProblems(problems)
        fields = {
            "customer_id": visit["customer_id"],
            "visit_id": visit_id,
            "category": category,
            "severity": severity,
            "description": description.strip(),
            "status": ComplaintStatus.RECEIVED.value,
            "received_at": iso(self.clock()),
        }
        return self._save(RecordKind.COMPLAINT, new_id(), fields)

    # ---- sync-related -----------------------------------------------------------------------

    def pending_count(self) -> int:
        return self.store.pending_count()

    def rejected_ops(self) -> list[dict[str, Any]]:
        """The drafts, oldest first, each with `customer_name`: whom the refused write was about."""
        drafts = []
        for draft in self.store.rejected_ops():
            op = draft["op"]
            customer_id = (
                op["record_id"] if op["kind"] == RecordKind.CUSTOMER.value else op["fields"].get("customer_id")
            )
            if customer_id is None and op["kind"] not in (RecordKind.CUSTOMER.value, RecordKind.ROUTE_PLAN.value):
                record = self.store.get(RecordKind(op["kind"]), op["record_id"]) or {}
                customer_id = record.get("customer_id")
            customer = self.store.get(RecordKind.CUSTOMER, str(customer_id)) if customer_id else None
            name = (customer or {}).get("name") or op["fields"].get("name")
            drafts.append({**draft, "customer_name": str(name) if name else None})
        return drafts

    def discard_rejected(self, seq: int) -> None:
        self.store.discard_rejected(seq)

    def draft_fix(self, seq: int) -> DraftFix | None:
        """The draft `seq` and every other draft of its record, ready to be fixed in the record's form."""
        draft = self.store.rejected_op(seq)
        if draft is None:
            return None
        op = draft["op"]
        kind, record_id = RecordKind(op["kind"]), str(op["record_id"])
        drafts = [
            item
            for item in self.store.rejected_ops()
            if item["op"]["kind"] == kind.value
            and item["op"]["record_id"] == record_id
            and item["op"]["action"] == "put"
        ]
        if not drafts:  # a refused delete: nothing to fix in a form, only to discard
            return None
        stored = self.store.get(kind, record_id)
        if stored is None and draft.get("code") == ErrorCode.CONFLICT:
            return None  # an edit of a record deleted on the server (its tombstone pulled): sending it again fails
        record = dict(stored or {})
        written: set[str] = set()
        for item in drafts:
            record.update(item["op"]["fields"])
            written.update(item["op"]["fields"])
        record["id"] = record_id
        return DraftFix(
            kind=kind,
            record_id=record_id,
            seqs=tuple(int(item["op"]["seq"]) for item in drafts),
            record=record,
            fields=frozenset(written),
            code=str(draft.get("code") or ""),
            message=str(draft.get("message") or ""),
        )

    def resend_draft(self, fix: DraftFix, values: dict[str, Any]) -> dict[str, Any]:
        """Send the fixed record again: one new op replaces the drafts, stored durably before they go.

        The op carries the fields the drafts wrote (as fixed) and any other field the rep changed in
        the form. Raises client.storage.store.InvalidRecord if the fix is still not a valid record.
        """
        fields = {name: fix.record[name] for name in fix.fields if name in fix.record}
        fields.update(
            {name: value for name, value in values.items() if name in fix.fields or fix.record.get(name) != value}
        )
        record = self.store.resend_rejected(fix.seqs, fix.kind, fix.record_id, fields)
        if self.on_saved is not None:
            self.on_saved()
        return record

    def conflicts(self, customer_id: str | None = None) -> list[ConflictItem]:
        """Conflicts on customers the server kept (all, or one customer's), newest first."""
        user_id = (self.user or {}).get("id")
        items = []
        for conflict in self.store.conflicts(customer_id):
            if conflict.get("kind", RecordKind.CUSTOMER.value) != RecordKind.CUSTOMER.value:
                continue
            record_id = str(conflict.get("record_id") or "")
            customer = self.store.get(RecordKind.CUSTOMER, record_id)
            if user_id is not None and conflict.get("lost_by_user_id") == user_id:
                side = ConflictSide.MINE_LOST
            elif conflict.get("lost_by_user_id") is None and conflict.get("device_id") == self.store.device_id:
                side = ConflictSide.MINE_KEPT
            else:
                side = ConflictSide.OTHERS
            name = str(customer.get("name")) if customer else None
            items.append(ConflictItem(conflict, record_id, name, side))
        return items

    def open_conflict_count(self) -> int:
        """Conflicts no supervisor has reviewed yet (the Today screen's badge)."""
        return sum(not item.reviewed for item in self.conflicts())

    def _save(self, kind: RecordKind, record_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        record = self.store.save(kind, record_id, fields)
        if self.on_saved is not None:
            self.on_saved()
        return record
