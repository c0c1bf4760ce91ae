"""The app service: what the rep's screens ask for and do, on top of the local store.

Every write goes to the local store first (durable when `save` returns) and is pushed by the sync
runner later; nothing here waits for the network except signing in. Views never call this module:
the app's event handlers do, and put the results into view state.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import httpx

from client.store import LocalStore
from shared.enums import CustomerKind, CustomerStatus, Importance, RecordKind, VisitType
from shared.ids import new_id

logger = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # sorts records without a valid time last
LOGIN_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
# How long a check-in or check-out waits for the device's position before it goes on without one:
# the rep is at the customer's door, and a visit is never held up by GPS.
LOCATE_TIMEOUT = 4.0


def local_now() -> dt.datetime:
    """The device's wall clock with its UTC offset (visits record local time with the offset)."""
    return dt.datetime.now().astimezone()


def iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def parse_moment(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


class SignInProblem(StrEnum):
    BAD_CREDENTIALS = "bad_credentials"
    UNREACHABLE = "unreachable"
    REFUSED = "refused"
    MISSING = "missing"
    OTHER_USER = "other_user"


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

    @property
    def visited(self) -> int:
        return sum(stop.status is not StopStatus.NOT_VISITED for stop in self.stops)

    @property
    def ordered(self) -> int:
        return sum(stop.status is StopStatus.ORDERED for stop in self.stops)


@dataclass(frozen=True)
class CustomerCard:
    customer: dict[str, Any]
    visits: list[dict[str, Any]]  # newest first
    notes: list[dict[str, Any]]  # newest first
    on_plan_today: bool
    open_visit: dict[str, Any] | None  # today's visit checked in and not checked out


@dataclass(frozen=True)
class Location:
    """Where the device was: WGS 84 degrees, and the radius in metres it is sure of, when it says."""

    lat: float
    lng: float
    accuracy: float | None = None


class LocationProvider(Protocol):
    """The device's position, trying for at most about `timeout` seconds; None when it has none.

    It may raise (permission denied, location off, timed out): `locate` turns that into "no location".
    """

    def __call__(self, timeout: float) -> Location | None: ...


def valid_location(location: object) -> Location | None:
    """`location` if it is a position the visit record can hold (accuracy dropped if it is not usable)."""
    if not isinstance(location, Location):
        return None

    def is_number(value: object) -> bool:
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)

    if not (is_number(location.lat) and is_number(location.lng)):
        return None
    if not (-90 <= location.lat <= 90 and -180 <= location.lng <= 180):
        return None
    accuracy = location.accuracy
    if accuracy is not None and not (is_number(accuracy) and 0 <= accuracy <= 100_000):
        accuracy = None
    return Location(float(location.lat), float(location.lng), None if accuracy is None else float(accuracy))


def locate(provider: LocationProvider | None, timeout: float = LOCATE_TIMEOUT) -> Location | None:
    """The device's position if `provider` gives one within `timeout` seconds, else None.

    Never raises and never waits longer than `timeout` (plus a thread start): the provider runs in a
    daemon thread, and one that hangs is left behind. Call it off the UI loop.
    """
    if provider is None:
        return None
    answers: queue.SimpleQueue[Location | None] = queue.SimpleQueue()

    def ask() -> None:
        try:
            answers.put(provider(timeout))
        except Exception as error:  # denied, switched off, timed out, unsupported: the visit goes on
            logger.info("no location: %s", error)
            answers.put(None)

    started = time.monotonic()
    threading.Thread(target=ask, name="locate", daemon=True).start()
    try:
        found = answers.get(timeout=timeout)
    except queue.Empty:
        logger.info("no location within %.1f s", timeout)
        return None
    location = valid_location(found)
    if found is not None and location is None:
        logger.info("ignored an unusable location: %r", found)
    logger.debug("located in %.2f s", time.monotonic() - started)
    return location


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
    ) -> None:
        self.store = store
        self.default_server_url = default_server_url
        self.clock = clock
        self.transport = transport
        self.on_saved = on_saved

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
            with httpx.Client(transport=self.transport, timeout=LOGIN_TIMEOUT) as http:
                response = http.post(
                    f"{server_url}/api/auth/login", json={"username": username.strip(), "password": password}
                )
        except (httpx.HTTPError, ValueError) as error:  # ValueError: a malformed URL
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
        token, user = body.get("token"), body.get("user")
        if not isinstance(token, str) or not isinstance(user, dict) or "id" not in user:
            raise SignInFailed(SignInProblem.REFUSED, "unexpected answer")
        previous = self.user
        if previous and previous.get("id") != user["id"] and self.store.pending_count():
            # Another rep's unsent work is on this phone: pushing it under this token would misattribute it.
            raise SignInFailed(SignInProblem.OTHER_USER, str(previous.get("display_name") or previous.get("username")))
        self.store.set_meta(token=token, user=user, server_url=server_url)
        return user

    def forget_token(self) -> None:
        """The server refused the token (401): sign in again; records, outbox and drafts are kept."""
        self.store.set_meta(token=None)

    # ---- today ------------------------------------------------------------------------------

    def today(self) -> TodayRoute:
        day = self.clock().date()
        plan = self.route_plan(day)
        planned_ids: list[str] = list(plan["customer_ids"]) if plan else []
        visits_by_customer: dict[str, list[dict[str, Any]]] = {}
        for visit in self.visits_on(day):
            visits_by_customer.setdefault(str(visit.get("customer_id")), []).append(visit)

        def stop(customer_id: str) -> Stop:
            visits = visits_by_customer.get(customer_id, [])
            if any(visit.get("ordered") for visit in visits):
                status = StopStatus.ORDERED
            elif visits:
                status = StopStatus.VISITED
            else:
                status = StopStatus.NOT_VISITED
            in_progress = any(not visit.get("check_out_at") for visit in visits)
            return Stop(customer_id, self.store.get(RecordKind.CUSTOMER, customer_id), status, in_progress)

        stops = [stop(customer_id) for customer_id in dict.fromkeys(planned_ids)]
        off_ids = [customer_id for customer_id in visits_by_customer if customer_id not in set(planned_ids)]
        return TodayRoute(day, stops, [stop(customer_id) for customer_id in off_ids], has_plan=plan is not None)

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
        return CustomerCard(customer, visits, notes, self.on_plan_today(customer_id), self.open_visit(customer_id))

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
        self, name: str, kind: CustomerKind, address: str = "", phone: str = "", contact_person: str = ""
    ) -> dict[str, Any]:
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
        """Today's visit to the customer that is checked in and not checked out, if any."""
        today = self.clock().date()
        for visit in reversed(self.visits_on(today)):
            if visit.get("customer_id") == customer_id and not visit.get("check_out_at"):
                return visit
        return None

    def default_visit_type(self, customer_id: str) -> VisitType:
        """初次拜访 for a customer never visited, 二次拜访 after one visit, else 日访."""
        count = len(self.store.find(RecordKind.VISIT, customer_id=customer_id))
        return VisitType.FIRST if count == 0 else VisitType.SECOND if count == 1 else VisitType.DAY

    def check_in(
        self, customer_id: str, visit_type: VisitType | None = None, location: Location | None = None
    ) -> dict[str, Any]:
        """Start a visit now, where the device is when it gives a position (see `locate`)."""
        fields: dict[str, Any] = {
            "customer_id": customer_id,
            "visit_type": (visit_type or self.default_visit_type(customer_id)).value,
            "planned": self.on_plan_today(customer_id),
            "check_in_at": iso(self.clock()),
            "ordered": False,
        }
        location = valid_location(location)
        if location is not None:
            fields["check_in_lat"], fields["check_in_lng"] = location.lat, location.lng
            if location.accuracy is not None:
                fields["check_in_accuracy"] = location.accuracy
        return self._save(RecordKind.VISIT, new_id(), fields)

    def save_visit(self, visit_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Store the form's fields (raises client.store.InvalidRecord with field errors)."""
        return self._save(RecordKind.VISIT, visit_id, fields)

    def check_out(self, visit_id: str, fields: dict[str, Any], location: Location | None = None) -> dict[str, Any]:
        """End the visit now with the form's fields; the record keeps no accuracy for check-out."""
        fields = {**fields, "check_out_at": iso(self.clock())}
        location = valid_location(location)
        if location is not None:
            fields["check_out_lat"], fields["check_out_lng"] = location.lat, location.lng
        return self._save(RecordKind.VISIT, visit_id, fields)

    # ---- sync-related -----------------------------------------------------------------------

    def pending_count(self) -> int:
        return self.store.pending_count()

    def rejected_ops(self) -> list[dict[str, Any]]:
        return self.store.rejected_ops()

    def discard_rejected(self, seq: int) -> None:
        self.store.discard_rejected(seq)

    def _save(self, kind: RecordKind, record_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        record = self.store.save(kind, record_id, fields)
        if self.on_saved is not None:
            self.on_saved()
        return record
