"""Why a visit deserves a supervisor's look (docs/visits.md): each flag with its reason code and its figures.

A flag never refuses a visit. Pure functions over plain values, shared by both sides: the server flags what
it stores (server/domains/visits/service.py gives them a visit's columns, its customer's place, the rep's
other visits that day and the visit's photos); the phone tells the rep, before 签退, which flags the visit
will carry, with the company's limits it receives from the server (`VisitFlagRules.as_dict`).

Two kinds: a visit's own flags (its place, length, hours, when it reached the server) are computed when
the visit is put; the rep-day's flags (overlapping visits, impossible travel, photos outside the visit)
depend on other records and are computed for the whole rep-day whenever one of them changes.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from shared.enums import PhotoRequirement, PhotoSource, VisitFlag, VisitType
from shared.records import outside_early_window

EARTH_RADIUS_M = 6_371_000.0
# The shortest visit of each type (minutes) a supervisor takes without a flag; a call may be short.
DEFAULT_VISIT_MIN_MINUTES = {
    "first": 5,
    "second": 5,
    "early": 3,
    "day": 5,
    "home": 5,
    "follow_up": 5,
    "phone": 0,
}

# A flag's figures: numbers (metres, minutes, km/h, hours), local times as "HH:MM", another visit's id.
Figures = dict[str, Any]
Flags = dict[str, Figures]  # reason code (VisitFlag) -> its figures, in the order they were found

# A visit's photo flags (docs/photos.md): they depend on its photos, which arrive as records of their own.
PHOTO_FLAGS = frozenset(
    {VisitFlag.PHOTO_OUTSIDE_VISIT, VisitFlag.PHOTO_FAR_FROM_CUSTOMER, VisitFlag.GALLERY_PHOTO, VisitFlag.PHOTO_MISSING}
)
DAY_FLAGS = frozenset({VisitFlag.OVERLAPPING, VisitFlag.IMPOSSIBLE_TRAVEL}) | PHOTO_FLAGS


@dataclass(frozen=True)
class VisitFlagRules:
    """The company's limits (settings VISIT_FLAG_RADIUS_M, VISIT_FLAG_ACCURACY_M, VISIT_MIN_MINUTES,
    VISIT_MAX_SPEED_KMH, VISIT_LATE_HOURS, WORK_HOURS, VISIT_PHOTO_RADIUS_M, PHOTO_REQUIRED,
    PHOTO_REQUIRED_CAMPAIGNS)."""

    radius_m: float = 500.0
    accuracy_m: float = 200.0
    min_minutes: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_VISIT_MIN_MINUTES))
    max_speed_kmh: float = 120.0
    late_hours: float = 24.0
    work_start: dt.time = dt.time(8, 0)
    work_end: dt.time = dt.time(18, 0)
    photo_radius_m: float = 500.0
    # What photos a visit needs (shared.enums.PhotoRequirement): by its visit type, and by the type of a
    # campaign whose result the rep recorded on it (e.g. {"display": "live"}: a 陈列 needs a camera photo).
    photo_required: Mapping[str, str] = field(default_factory=dict)
    campaign_photo_required: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """As the server sends them to phones (sign-in and pull answers)."""
        return {
            "radius_m": self.radius_m,
            "accuracy_m": self.accuracy_m,
            "min_minutes": dict(self.min_minutes),
            "max_speed_kmh": self.max_speed_kmh,
            "late_hours": self.late_hours,
            "work_hours": [self.work_start.strftime("%H:%M"), self.work_end.strftime("%H:%M")],
            "photo_radius_m": self.photo_radius_m,
            "photo_required": dict(self.photo_required),
            "campaign_photo_required": dict(self.campaign_photo_required),
        }

    @classmethod
    def from_dict(cls, value: object) -> VisitFlagRules:
        """The limits a phone received; the defaults for anything missing or malformed (an older server)."""
        rules = cls()
        if not isinstance(value, Mapping):
            return rules
        try:
            hours = value.get("work_hours") or []
            minimums = value.get("min_minutes")
            return cls(
                radius_m=float(value.get("radius_m", rules.radius_m)),
                accuracy_m=float(value.get("accuracy_m", rules.accuracy_m)),
                min_minutes={str(k): int(v) for k, v in minimums.items()}
                if isinstance(minimums, Mapping)
                else rules.min_minutes,
                max_speed_kmh=float(value.get("max_speed_kmh", rules.max_speed_kmh)),
                late_hours=float(value.get("late_hours", rules.late_hours)),
                work_start=dt.time.fromisoformat(hours[0]) if len(hours) == 2 else rules.work_start,
                work_end=dt.time.fromisoformat(hours[1]) if len(hours) == 2 else rules.work_end,
                photo_radius_m=float(value.get("photo_radius_m", rules.photo_radius_m)),
                photo_required=_requirements(value.get("photo_required")),
                campaign_photo_required=_requirements(value.get("campaign_photo_required")),
            )
        except (TypeError, ValueError):
            return rules


def _requirements(value: object) -> dict[str, str]:
    """A name -> PhotoRequirement map as received; anything unknown left out (a newer server's words)."""
    if not isinstance(value, Mapping):
        return {}
    known = {requirement.value for requirement in PhotoRequirement}
    return {str(name): str(wanted) for name, wanted in value.items() if wanted in known}


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine), in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def instant(value: object) -> dt.datetime | None:
    """An ISO 8601 time with its offset, or None when absent or unreadable (a device's made_at is free text)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _hhmm(moment: dt.datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M")


def _minutes(start: dt.datetime, end: dt.datetime) -> float:
    return round((end - start).total_seconds() / 60, 1)


def visit_minutes(visit: Mapping[str, Any]) -> float | None:
    """How long the visit took: a call's minutes when the rep gave them, else check-in to check-out."""
    if visit.get("visit_type") == VisitType.PHONE.value and visit.get("call_minutes") is not None:
        return float(visit["call_minutes"])
    start, end = instant(visit.get("check_in_at")), instant(visit.get("check_out_at"))
    return (end - start).total_seconds() / 60 if start is not None and end is not None else None


def own_flags(
    visit: Mapping[str, Any],
    customer_place: tuple[float | None, float | None],
    rules: VisitFlagRules,
    tz: ZoneInfo,
) -> Flags:
    """The flags of the visit itself (its columns, including the server's `received_at`)."""
    flags: Flags = {}
    visit_type = visit.get("visit_type")
    check_in = instant(visit.get("check_in_at"))
    if visit_type == VisitType.EARLY.value and check_in is not None and outside_early_window(check_in.astimezone(tz)):
        flags[VisitFlag.OUTSIDE_EARLY_WINDOW] = {"time": _hhmm(check_in, tz)}
    if visit_type != VisitType.PHONE.value:  # a call: where the phone was says nothing about the visit
        flags.update(_place_flags(visit, customer_place, rules))
    minutes, minimum = visit_minutes(visit), rules.min_minutes.get(str(visit_type), 0)
    if minutes is not None and minutes < minimum:
        flags[VisitFlag.TOO_SHORT] = {"minutes": round(minutes, 1), "limit_minutes": minimum}
    if check_in is not None and visit_type != VisitType.EARLY.value:  # 早访 keeps its own window
        local = check_in.astimezone(tz).time()
        if local < rules.work_start or local > rules.work_end:
            flags[VisitFlag.OUTSIDE_HOURS] = {
                "time": _hhmm(check_in, tz),
                "start": rules.work_start.strftime("%H:%M"),
                "end": rules.work_end.strftime("%H:%M"),
            }
    late = _late_entry(check_in, instant(visit.get("received_at")), instant(visit.get("made_at")), rules)
    if late is not None:
        flags[VisitFlag.ENTERED_LATE] = late
    return flags


def _place_flags(
    visit: Mapping[str, Any], customer_place: tuple[float | None, float | None], rules: VisitFlagRules
) -> Flags:
    flags: Flags = {}
    lat, lng, accuracy = visit.get("check_in_lat"), visit.get("check_in_lng"), visit.get("check_in_accuracy")
    customer_lat, customer_lng = customer_place
    if lat is None or lng is None:
        flags[VisitFlag.NO_LOCATION] = {}
    elif customer_lat is not None and customer_lng is not None:
        distance = distance_m(lat, lng, customer_lat, customer_lng)
        if distance > rules.radius_m:
            flags[VisitFlag.FAR_FROM_CUSTOMER] = {"distance_m": round(distance), "limit_m": round(rules.radius_m)}
    if accuracy is not None and accuracy > rules.accuracy_m:
        flags[VisitFlag.POOR_ACCURACY] = {"accuracy_m": round(accuracy), "limit_m": round(rules.accuracy_m)}
    if visit.get("check_in_mocked"):
        flags[VisitFlag.MOCKED_LOCATION] = {}
    return flags


def _late_entry(
    check_in: dt.datetime | None, received: dt.datetime | None, made: dt.datetime | None, rules: VisitFlagRules
) -> Figures | None:
    """The server's receipt is the time nobody can set back; the phone's own save time (the op's made_at)
    tells a rep who was offline (saved at once, sent late) from one who entered the visit afterwards."""
    if check_in is None or received is None:
        return None
    hours = (received - check_in).total_seconds() / 3600
    if hours <= rules.late_hours:
        return None
    figures: Figures = {"hours": round(hours, 1), "limit_hours": rules.late_hours}
    if made is not None:
        figures["saved_hours"] = round((made - check_in).total_seconds() / 3600, 1)
    return figures


@dataclass(frozen=True)
class _Span:
    id: str
    start: dt.datetime
    end: dt.datetime  # the check-in itself while the visit is open
    place: tuple[float, float] | None  # None: no fix, or a call


def _span(visit: Mapping[str, Any]) -> _Span | None:
    start = instant(visit.get("check_in_at"))
    if start is None:
        return None
    end = instant(visit.get("check_out_at"))
    lat, lng = visit.get("check_in_lat"), visit.get("check_in_lng")
    in_person = visit.get("visit_type") != VisitType.PHONE.value
    place = (float(lat), float(lng)) if in_person and lat is not None and lng is not None else None
    return _Span(str(visit["id"]), start, end if end is not None and end > start else start, place)


def day_flags(
    visits: Sequence[Mapping[str, Any]],
    photos_taken: Iterable[tuple[str, str]],
    rules: VisitFlagRules,
    tz: ZoneInfo,
) -> dict[str, Flags]:
    """The flags each visit of one rep's day gets from the others and from its photos ((visit_id, taken_at))."""
    spans = sorted(filter(None, map(_span, visits)), key=lambda span: (span.start, span.id))
    flags: dict[str, Flags] = {str(visit["id"]): {} for visit in visits}
    for span in spans:
        overlap = _overlap(span, spans, tz)
        if overlap is not None:
            flags[span.id][VisitFlag.OVERLAPPING] = overlap
    in_person = visits_in_person(spans, visits)
    for previous, span in itertools.pairwise(in_person):
        travel = _travel(previous, span, rules, tz)
        if travel is not None:
            flags[span.id][VisitFlag.IMPOSSIBLE_TRAVEL] = travel
    by_id = {str(visit["id"]): visit for visit in visits}
    outside: dict[str, list[float]] = {}
    for visit_id, taken_at in photos_taken:
        visit, taken = by_id.get(visit_id), instant(taken_at)
        if visit is None or taken is None:
            continue
        start, end = instant(visit.get("check_in_at")), instant(visit.get("check_out_at"))
        if start is not None and taken < start:
            outside.setdefault(visit_id, []).append(_minutes(taken, start))
        elif end is not None and taken > end:
            outside.setdefault(visit_id, []).append(_minutes(end, taken))
    for visit_id, minutes in outside.items():
        flags[visit_id][VisitFlag.PHOTO_OUTSIDE_VISIT] = {"photos": len(minutes), "minutes": max(minutes)}
    return flags


def visits_in_person(spans: list[_Span], visits: Sequence[Mapping[str, Any]]) -> list[_Span]:
    """The day's check-ins a rep travels between: every visit but calls (a call's place means nothing)."""
    calls = {str(visit["id"]) for visit in visits if visit.get("visit_type") == VisitType.PHONE.value}
    return [span for span in spans if span.id not in calls]


def _overlap(span: _Span, spans: list[_Span], tz: ZoneInfo) -> Figures | None:
    """The other visit this one overlaps most: their times cross (one ending as the next starts does not),
    or they began at the same moment; an open visit is its check-in instant."""
    best: tuple[float, _Span] | None = None
    count = 0
    for other in spans:
        crosses = other.start < span.end and span.start < other.end
        if other.id == span.id or not (crosses or other.start == span.start):  # checked in at once: overlap too
            continue
        count += 1
        minutes = max(0.0, _minutes(max(span.start, other.start), min(span.end, other.end)))
        if best is None or minutes > best[0]:
            best = (minutes, other)
    if best is None:
        return None
    minutes, other = best
    return {"minutes": minutes, "other_visit_id": other.id, "other_at": _hhmm(other.start, tz), "visits": count}


def _travel(previous: _Span, span: _Span, rules: VisitFlagRules, tz: ZoneInfo) -> Figures | None:
    """From the previous check-in to this one faster than the company's limit (skipped without both places)."""
    if previous.place is None or span.place is None:
        return None
    distance = distance_m(*previous.place, *span.place)
    seconds = (span.start - previous.start).total_seconds()
    speed = distance / seconds * 3.6 if seconds > 0 else (math.inf if distance > 0 else 0.0)
    if speed <= rules.max_speed_kmh:
        return None
    return {
        "distance_m": round(distance),
        "minutes": _minutes(previous.start, span.start),
        "speed_kmh": round(speed) if math.isfinite(speed) else None,
        "limit_kmh": rules.max_speed_kmh,
        "other_visit_id": previous.id,
        "other_at": _hhmm(previous.start, tz),
    }


# ---- photo evidence (docs/photos.md) ------------------------------------------------------------------------


def required_photo(visit_type: object, campaign_types: Iterable[str], rules: VisitFlagRules) -> str | None:
    """What the visit needs: "live" when its type or any of its campaigns wants a camera photo, "any" when one
    wants a photo of any source, None when nothing asks for one."""
    wanted = {rules.photo_required.get(str(visit_type))}
    wanted |= {rules.campaign_photo_required.get(str(campaign_type)) for campaign_type in campaign_types}
    for requirement in (PhotoRequirement.LIVE, PhotoRequirement.ANY):
        if requirement.value in wanted:
            return requirement.value
    return None


def photo_flags(
    visit: Mapping[str, Any],
    photos: Sequence[Mapping[str, Any]],
    customer_place: tuple[float | None, float | None],
    required: str | None,
    rules: VisitFlagRules,
) -> Flags:
    """The visit's flags from its photos' place and source (their times: `day_flags`).

    - far from the customer: a photo whose place is farther than `photo_radius_m` from the customer's pin (a
      photo without a place, or a customer without a pin, is not judged);
    - gallery photo: the visit needs a live photo and has gallery photos but no live one;
    - photo missing: the visit needs a photo (of the source asked) and has none; only judged once checked
      out. A photo of unknown source (an older phone) counts as live: it is not the rep's fault.
    """
    flags: Flags = {}
    customer_lat, customer_lng = customer_place
    if customer_lat is not None and customer_lng is not None:
        distances = [
            distance_m(float(photo["lat"]), float(photo["lng"]), customer_lat, customer_lng)
            for photo in photos
            if photo.get("lat") is not None and photo.get("lng") is not None
        ]
        far = [distance for distance in distances if distance > rules.photo_radius_m]
        if far:
            flags[VisitFlag.PHOTO_FAR_FROM_CUSTOMER] = {
                "photos": len(far),
                "distance_m": round(max(far)),
                "limit_m": round(rules.photo_radius_m),
            }
    if required is None:
        return flags
    gallery = [photo for photo in photos if photo.get("source") == PhotoSource.GALLERY.value]
    if required == PhotoRequirement.LIVE.value and len(gallery) == len(photos) and gallery:
        flags[VisitFlag.GALLERY_PHOTO] = {"photos": len(gallery)}
    elif not photos and instant(visit.get("check_out_at")) is not None:
        flags[VisitFlag.PHOTO_MISSING] = {"required": required}
    return flags
