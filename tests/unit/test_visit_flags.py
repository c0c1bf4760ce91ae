"""Each visit flag at its boundaries: just under, at and over its limit, and with the data missing
(shared/visit_rules.py; docs/visits.md). Pure functions: no database, no clock."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from server.domains.visits.flags import visit_flag_rules
from server.settings import Settings, SettingsError, visit_min_minutes, work_hours
from shared.visit_flags import flag_texts
from shared.visit_rules import VisitFlagRules, day_flags, distance_m, own_flags, photo_flags, required_photo

TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 12, 2)
NEXT_DAY = DAY + dt.timedelta(days=1)
CUSTOMER = (38.0, 115.0)
METRES_PER_DEGREE_LAT = distance_m(0.0, 115.0, 1.0, 115.0)
RULES = VisitFlagRules()


def at(hour: int, minute: int = 0, second: int = 0, day: dt.date = DAY) -> str:
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=TZ).isoformat()


def visit(**fields: Any) -> dict[str, Any]:
    """A day visit at 10:00 at the customer's door, checked out at 10:20, received as it was made."""
    values: dict[str, Any] = {
        "id": "v1",
        "visit_type": "day",
        "check_in_at": at(10),
        "check_out_at": at(10, 20),
        "check_in_lat": CUSTOMER[0],
        "check_in_lng": CUSTOMER[1],
        "check_in_accuracy": 10.0,
        "received_at": at(10, 20),
    }
    values.update(fields)
    return values


def flags_of(rules: VisitFlagRules = RULES, **fields: Any) -> dict[str, Any]:
    return own_flags(visit(**fields), CUSTOMER, rules, TZ)


def test_a_plain_visit_has_no_flag() -> None:
    assert flags_of() == {}


# ---- no location fix ------------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", [{"check_in_lat": None, "check_in_lng": None}, {"check_in_lng": None}])
def test_a_visit_in_person_without_a_location_is_flagged(missing: dict[str, Any]) -> None:
    assert flags_of(check_in_accuracy=None, **missing) == {"no_location": {}}


def test_a_phone_visit_needs_no_location() -> None:
    assert flags_of(visit_type="phone", check_in_lat=None, check_in_lng=None, check_in_accuracy=None) == {}


def test_a_customer_without_a_location_flags_nothing_about_distance() -> None:
    far_off = visit(check_in_lat=39.0)
    assert own_flags(far_off, (None, None), RULES, TZ) == {}


# ---- accuracy, mock, distance ---------------------------------------------------------------------------


@pytest.mark.parametrize(("accuracy", "flagged"), [(199.9, False), (200.0, False), (200.1, True), (None, False)])
def test_accuracy_is_flagged_only_over_the_limit(accuracy: float | None, flagged: bool) -> None:
    flags = flags_of(check_in_accuracy=accuracy)
    assert ("poor_accuracy" in flags) is flagged
    if flagged:
        assert flags["poor_accuracy"] == {"accuracy_m": 200, "limit_m": 200}


def test_a_mocked_location_is_flagged() -> None:
    assert flags_of(check_in_mocked=True) == {"mocked_location": {}}
    assert flags_of(check_in_mocked=False) == {}


@pytest.mark.parametrize(("shift", "flagged"), [(-0.5, False), (0.0, False), (0.5, True)])
def test_distance_is_flagged_only_beyond_the_radius(shift: float, flagged: bool) -> None:
    lat = CUSTOMER[0] + 0.006
    exact = distance_m(lat, CUSTOMER[1], *CUSTOMER)
    flags = flags_of(VisitFlagRules(radius_m=exact - shift), check_in_lat=lat)
    assert ("far_from_customer" in flags) is flagged
    if flagged:
        assert flags["far_from_customer"]["distance_m"] == round(exact)


# ---- too short ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check_out", "flagged"),
    [(at(10, 4, 59), True), (at(10, 5), False), (at(10, 5, 1), False), (at(10), True), (None, False)],
)
def test_a_day_visit_shorter_than_five_minutes_is_flagged(check_out: str | None, flagged: bool) -> None:
    flags = flags_of(check_out_at=check_out)
    assert ("too_short" in flags) is flagged
    if check_out == at(10):
        assert flags["too_short"] == {"minutes": 0.0, "limit_minutes": 5}


@pytest.mark.parametrize(("minutes", "flagged"), [(2, True), (3, False), (None, True)])
def test_a_call_is_measured_by_its_minutes_when_given(minutes: int | None, flagged: bool) -> None:
    rules = VisitFlagRules(min_minutes={"phone": 3})
    call = {"visit_type": "phone", "check_in_lat": None, "check_in_lng": None, "check_in_accuracy": None}
    flags = flags_of(rules, check_out_at=at(10, 1), call_minutes=minutes, **call)  # 1 minute between the taps
    assert ("too_short" in flags) is flagged


def test_a_call_by_default_has_no_minimum() -> None:
    assert "too_short" not in flags_of(visit_type="phone", check_out_at=at(10), check_in_lat=None, check_in_lng=None)


# ---- working hours and the early window -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("hour", "minute", "flagged"), [(7, 59, True), (8, 0, False), (18, 0, False), (18, 1, True), (12, 0, False)]
)
def test_a_check_in_outside_working_hours_is_flagged(hour: int, minute: int, flagged: bool) -> None:
    flags = flags_of(check_in_at=at(hour, minute), check_out_at=at(hour, minute + 10) if minute < 50 else None)
    assert ("outside_hours" in flags) is flagged
    if flagged:
        assert flags["outside_hours"] == {"time": f"{hour:02d}:{minute:02d}", "start": "08:00", "end": "18:00"}


def test_working_hours_are_the_companys_zone_not_the_devices_offset() -> None:
    utc = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC).isoformat()  # 10:00 in Shanghai
    assert "outside_hours" not in flags_of(check_in_at=utc, check_out_at=None)


def test_an_early_visit_keeps_its_own_window() -> None:
    assert flags_of(visit_type="early", check_in_at=at(7, 45), check_out_at=at(7, 55)) == {}
    assert flags_of(visit_type="early", check_in_at=at(8, 30), check_out_at=at(8, 40)) == {
        "outside_early_window": {"time": "08:30"}
    }


# ---- entered late ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "flagged"),
    [(at(9, 59, 59, NEXT_DAY), False), (at(10, day=NEXT_DAY), False), (at(10, 0, 1, NEXT_DAY), True), (None, False)],
)
def test_a_visit_reaching_the_server_after_the_window_is_flagged(received: str | None, flagged: bool) -> None:
    flags = flags_of(received_at=received)
    assert ("entered_late" in flags) is flagged


def test_entered_late_tells_when_the_phone_saved_it() -> None:
    received = at(16, day=DAY + dt.timedelta(days=2))
    flags = flags_of(received_at=received, made_at=at(10, 30))
    assert flags["entered_late"] == {"hours": 54.0, "limit_hours": 24.0, "saved_hours": 0.5}
    assert "saved_hours" not in flags_of(received_at=received, made_at="not a time")["entered_late"]


# ---- overlapping visits ---------------------------------------------------------------------------------


def two(first: dict[str, Any], second: dict[str, Any], rules: VisitFlagRules = RULES) -> dict[str, Any]:
    return day_flags([visit(id="a", **first), visit(id="b", **second)], [], rules, TZ)


def test_visits_one_after_the_other_do_not_overlap() -> None:
    flags = two({"check_out_at": at(10, 30)}, {"check_in_at": at(10, 30), "check_out_at": at(11)})
    assert flags == {"a": {}, "b": {}}


def test_visits_overlapping_by_a_minute_are_both_flagged() -> None:
    flags = two({"check_out_at": at(10, 30)}, {"check_in_at": at(10, 29), "check_out_at": at(11)})
    assert flags["a"]["overlapping"] == {"minutes": 1.0, "other_visit_id": "b", "other_at": "10:29", "visits": 1}
    assert flags["b"]["overlapping"]["other_visit_id"] == "a"


def test_a_check_in_inside_an_open_visit_is_flagged() -> None:
    flags = two({"check_out_at": at(10, 30)}, {"check_in_at": at(10, 10), "check_out_at": None})
    assert "overlapping" in flags["a"] and "overlapping" in flags["b"]
    after = two({"check_out_at": None}, {"check_in_at": at(10, 10), "check_out_at": at(10, 40)})
    assert after == {"a": {}, "b": {}}  # an open visit is its check-in instant: 10:00 is before 10:10


def test_two_check_ins_at_the_same_moment_overlap() -> None:
    flags = two({"check_out_at": None}, {"check_out_at": None})
    assert "overlapping" in flags["a"] and "overlapping" in flags["b"]


# ---- impossible travel ----------------------------------------------------------------------------------


def travel(metres: float, minutes: float, rules: VisitFlagRules = RULES, **second: Any) -> dict[str, Any]:
    check_in = dt.datetime.fromisoformat(at(11)) + dt.timedelta(minutes=minutes)
    lat = CUSTOMER[0] + metres / METRES_PER_DEGREE_LAT
    fields = {"check_in_at": check_in.isoformat(), "check_out_at": None, "check_in_lat": lat, **second}
    return two({"check_in_at": at(10), "check_out_at": at(10, 20)}, fields, rules)


@pytest.mark.parametrize(("metres", "flagged"), [(19_900, False), (20_000, False), (20_100, True)])
def test_travel_faster_than_the_limit_is_flagged(metres: float, flagged: bool) -> None:
    limit = distance_m(*CUSTOMER, CUSTOMER[0] + 20_000 / METRES_PER_DEGREE_LAT, CUSTOMER[1]) / 600 * 3.6
    flags = two(
        {"check_in_at": at(10), "check_out_at": at(10, 5)},
        {"check_in_at": at(10, 10), "check_out_at": None, "check_in_lat": CUSTOMER[0] + metres / METRES_PER_DEGREE_LAT},
        VisitFlagRules(max_speed_kmh=limit),  # 20 km in the 10 minutes between the check-ins: about 120 km/h
    )
    assert ("impossible_travel" in flags["b"]) is flagged
    assert "impossible_travel" not in flags["a"]  # the later check-in is the one that could not be reached


def test_impossible_travel_carries_its_figures() -> None:
    flags = travel(100_000, 30)  # 100 km in 90 minutes (10:00 -> 11:30): 67 km/h, fine
    assert flags["b"] == {}
    flags = travel(100_000, -30)  # 100 km in 30 minutes: 200 km/h
    assert flags["b"]["impossible_travel"] == {
        "distance_m": 100_000,
        "minutes": 30.0,
        "speed_kmh": 200,
        "limit_kmh": 120.0,
        "other_visit_id": "a",
        "other_at": "10:00",
    }


def test_travel_is_skipped_without_both_places_and_for_calls() -> None:
    assert "impossible_travel" not in travel(100_000, -55, check_in_lat=None)["b"]
    assert "impossible_travel" not in travel(100_000, -55, visit_type="phone")["b"]


def test_two_places_at_the_same_moment_are_impossible() -> None:
    flags = travel(1_000, -60)  # checked in at 10:00 like the first, a kilometre away
    assert flags["b"]["impossible_travel"]["speed_kmh"] is None


# ---- photos ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("taken", "flagged"),
    [(at(9, 59, 59), True), (at(10), False), (at(10, 20), False), (at(10, 20, 1), True), ("garbage", False)],
)
def test_a_photo_outside_its_visit_is_flagged(taken: str, flagged: bool) -> None:
    flags = day_flags([visit()], [("v1", taken)], RULES, TZ)
    assert ("photo_outside_visit" in flags["v1"]) is flagged


def test_a_photo_after_the_check_in_of_an_open_visit_is_not_flagged() -> None:
    flags = day_flags([visit(check_out_at=None)], [("v1", at(15)), ("v1", at(9, 30))], RULES, TZ)
    assert flags["v1"] == {"photo_outside_visit": {"photos": 1, "minutes": 30.0}}


# ---- settings and texts ---------------------------------------------------------------------------------


def test_the_limits_come_from_the_settings(tmp_path: Any) -> None:
    env = {"DATA_DIR": str(tmp_path), "SECRET_KEY": "k" * 40, "VISIT_MIN_MINUTES": "day=7, phone=2"}
    env |= {"VISIT_MAX_SPEED_KMH": "90", "VISIT_LATE_HOURS": "48", "WORK_HOURS": "07:30-19:00"}
    rules = visit_flag_rules(Settings.from_env(env))
    assert rules.min_minutes["day"] == 7 and rules.min_minutes["phone"] == 2 and rules.min_minutes["home"] == 5
    assert (rules.max_speed_kmh, rules.late_hours) == (90.0, 48.0)
    assert (rules.work_start, rules.work_end) == (dt.time(7, 30), dt.time(19))


@pytest.mark.parametrize("value", ["day", "lunch=5", "day=-1", "day=five"])
def test_a_misspelt_minimum_is_refused_at_start(value: str) -> None:
    with pytest.raises(SettingsError, match="VISIT_MIN_MINUTES"):
        visit_min_minutes(value)


@pytest.mark.parametrize("value", ["8-18", "08:00", "18:00-08:00"])
def test_misread_working_hours_are_refused_at_start(value: str) -> None:
    with pytest.raises(ValueError, match="WORK_HOURS"):
        start, end = work_hours(value)
        Settings(database_url="sqlite://", secret_key="k" * 40, work_hours=(start, end))


def test_every_flag_reads_with_its_figures_in_both_languages() -> None:
    flags = ["far_from_customer", "too_short", "entered_late", "no_location"]
    figures = {
        "far_from_customer": {"distance_m": 1240, "limit_m": 500},
        "too_short": {"minutes": 0.0, "limit_minutes": 5},
        "entered_late": {"hours": 54.0, "limit_hours": 24.0, "saved_hours": 0.5},
    }
    assert flag_texts(flags, figures, "zh-CN") == [
        ("far_from_customer", "签到位置远离客户", "距客户 1,240 米（限 500 米）"),
        ("too_short", "拜访时间过短", "0 分钟（本类至少 5 分钟）"),
        ("entered_late", "事后补录", "签到后 54 小时才送达服务器（限 24 小时）；手机上于签到后 0.5 小时保存"),
        ("no_location", "签到无定位", "非电话拜访，签到时没有位置"),
    ]
    english = flag_texts(flags, figures, "en")
    assert english[0][2] == "1,240 m from the customer (limit 500 m)"
    assert english[1][1:] == ("Visit too short", "0 min (this type: at least 5 min)")
    assert flag_texts(["poor_accuracy"], None, "en") == [("poor_accuracy", "Imprecise location", "")]  # before 0021


# ---- photo evidence (docs/photos.md) --------------------------------------------------------------------

LIVE_RULES = VisitFlagRules(
    photo_required={"day": "live", "second": "any"}, campaign_photo_required={"display": "live"}
)


def photo(source: str | None = "live", metres_north: float | None = 0.0, **extra: Any) -> dict[str, Any]:
    """A photo of the visit at 10:05, `metres_north` of the customer's pin (None: no place)."""
    values: dict[str, Any] = {"taken_at": at(10, 5), "source": source, **extra}
    if metres_north is not None:
        values |= {"lat": CUSTOMER[0] + metres_north / METRES_PER_DEGREE_LAT, "lng": CUSTOMER[1]}
    return values


@pytest.mark.parametrize(("metres", "flagged"), [(499.0, False), (500.0, False), (501.0, True)])
def test_a_photo_far_from_the_customer_is_flagged_past_the_radius(metres: float, flagged: bool) -> None:
    flags = photo_flags(visit(), [photo(metres_north=0), photo(metres_north=metres)], CUSTOMER, None, RULES)
    assert ("photo_far_from_customer" in flags) is flagged
    if flagged:
        assert flags["photo_far_from_customer"] == {"photos": 1, "distance_m": 501, "limit_m": 500}


def test_a_photo_without_a_place_or_a_customer_without_a_pin_is_not_judged_for_distance() -> None:
    assert photo_flags(visit(), [photo(metres_north=None)], CUSTOMER, None, RULES) == {}
    assert photo_flags(visit(), [photo(metres_north=5_000)], (None, None), None, RULES) == {}


def test_the_photo_radius_is_the_companys() -> None:
    rules = VisitFlagRules(photo_radius_m=100)
    assert photo_flags(visit(), [photo(metres_north=150)], CUSTOMER, None, rules)["photo_far_from_customer"] == {
        "photos": 1,
        "distance_m": 150,
        "limit_m": 100,
    }


@pytest.mark.parametrize(
    ("visit_type", "campaigns", "required"),
    [
        ("day", [], "live"),
        ("second", [], "any"),
        ("second", ["display"], "live"),  # the campaign asks more than the type
        ("home", ["promotion"], None),
        ("home", ["display"], "live"),
    ],
)
def test_what_photo_a_visit_needs_comes_from_its_type_and_campaigns(
    visit_type: str, campaigns: list[str], required: str | None
) -> None:
    assert required_photo(visit_type, campaigns, LIVE_RULES) == required


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        (["gallery"], {"gallery_photo": {"photos": 1}}),
        (["gallery", "gallery"], {"gallery_photo": {"photos": 2}}),
        (["gallery", "live"], {}),  # a live photo is there: the gallery one is extra
        (["live"], {}),
        ([None], {}),  # an older phone: source unknown, not the rep's doing
        ([], {"photo_missing": {"required": "live"}}),
    ],
)
def test_a_visit_that_needs_a_live_photo(sources: list[str | None], expected: dict[str, Any]) -> None:
    assert photo_flags(visit(), [photo(source) for source in sources], CUSTOMER, "live", RULES) == expected


def test_any_photo_satisfies_any_and_nothing_is_asked_without_a_requirement() -> None:
    assert photo_flags(visit(), [photo("gallery")], CUSTOMER, "any", RULES) == {}
    assert photo_flags(visit(), [], CUSTOMER, "any", RULES) == {"photo_missing": {"required": "any"}}
    assert photo_flags(visit(), [photo("gallery")], CUSTOMER, None, RULES) == {}
    assert photo_flags(visit(), [], CUSTOMER, None, RULES) == {}


def test_an_open_visit_is_not_yet_missing_its_photo() -> None:
    assert photo_flags(visit(check_out_at=None), [], CUSTOMER, "live", RULES) == {}


def test_photo_flags_read_with_their_figures() -> None:
    flags = {
        "photo_far_from_customer": {"photos": 2, "distance_m": 1200, "limit_m": 500},
        "gallery_photo": {"photos": 1},
        "photo_missing": {"required": "live"},
    }
    texts = {code: reason for code, _, reason in flag_texts(list(flags), flags, "zh-CN")}
    assert texts == {
        "photo_far_from_customer": "2 张照片拍于距客户 1,200 米处（限 500 米）",
        "gallery_photo": "1 张照片来自相册，本次拜访要求现场拍摄",
        "photo_missing": "本次拜访要求现场拍摄的照片，一张也没有",
    }
    names = {code: name for code, name, _ in flag_texts(list(flags), flags, "en")}
    assert names["gallery_photo"] == "Gallery photo instead of a live one"


def test_the_photo_rules_reach_the_phone_and_come_back() -> None:
    assert VisitFlagRules.from_dict(LIVE_RULES.as_dict()) == LIVE_RULES
    odd = {**LIVE_RULES.as_dict(), "photo_required": {"day": "notarised"}, "campaign_photo_required": "x"}
    assert VisitFlagRules.from_dict(odd).photo_required == {}
    assert VisitFlagRules.from_dict(odd).campaign_photo_required == {}


def test_the_photo_settings(tmp_path: Any) -> None:
    env = {"DATA_DIR": str(tmp_path), "SECRET_KEY": "k" * 40, "PHOTO_REQUIRED": "day=live, second=any"}
    env |= {"PHOTO_REQUIRED_CAMPAIGNS": "display=live", "VISIT_PHOTO_RADIUS_M": "300"}
    rules = visit_flag_rules(Settings.from_env(env))
    assert rules.photo_required == {"day": "live", "second": "any"}
    assert rules.campaign_photo_required == {"display": "live"} and rules.photo_radius_m == 300.0
    for name, value in [
        ("PHOTO_REQUIRED", "day=yes"),
        ("PHOTO_REQUIRED", "night=live"),
        ("PHOTO_REQUIRED_CAMPAIGNS", "day=live"),
    ]:
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({"DATA_DIR": str(tmp_path), "SECRET_KEY": "k" * 40, name: value})
