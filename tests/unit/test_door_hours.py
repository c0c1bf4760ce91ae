"""Door hours (shared/door_hours.py): read from what a supervisor types or a phone stores, with clear refusals."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.door_hours import (
    ALL_DAY,
    DoorHours,
    DoorHoursError,
    appointment_on,
    as_text,
    hours_for,
    parse_by_kind,
    parse_text,
    parse_window,
)

MONDAY = dt.date(2026, 12, 7)


def test_no_door_hours_means_all_day_and_given_weekdays_close_the_others() -> None:
    assert DoorHours().windows_on(MONDAY) == ALL_DAY
    hours = DoorHours.from_dict({"weekly": {"1": ["14:00-17:00", "08:00-10:00"]}})
    assert hours.windows_on(MONDAY) == ((480, 600), (840, 1020))  # sorted
    assert hours.windows_on(MONDAY + dt.timedelta(days=1)) == ()  # Tuesday not given: closed


def test_closed_days_win_and_overlapping_windows_join() -> None:
    hours = DoorHours.from_dict({"weekly": {"1": ["08:00-10:00", "09:30-11:00"]}, "closed": ["2026-12-07"]})
    assert hours.windows_on(MONDAY) == ()
    assert hours.windows_on(MONDAY + dt.timedelta(days=7)) == ((480, 660),)


def test_door_hours_round_trip_through_their_stored_form() -> None:
    stored = {"weekly": {"1": ["08:00-10:00"], "5": ["14:30-17:00"]}, "closed": ["2026-12-25"]}
    assert DoorHours.from_dict(stored).as_dict() == stored
    assert DoorHours.from_dict(None) == DoorHours() and DoorHours.from_dict({}) == DoorHours()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"weekly": {"8": ["08:00-10:00"]}}, "'8' is not a weekday"),
        ({"weekly": {"1": ["10:00-08:00"]}}, "ends before it starts"),
        ({"weekly": {"1": ["8 to 10"]}}, "is not a time window like 08:00-10:00"),
        ({"weekly": {"1": ["08:00-25:00"]}}, "is not a time of the day"),
        ({"weekly": {"1": "08:00-10:00"}}, "windows must be a list"),
        ({"closed": ["25/12"]}, "closed:"),
        ({"hours": {}}, "unknown parts: hours"),
        ("08:00-10:00", "must be an object"),
    ],
)
def test_unreadable_door_hours_are_refused_with_the_part_that_is_wrong(value: object, message: str) -> None:
    with pytest.raises(DoorHoursError, match=message):
        DoorHours.from_dict(value)


def test_typed_windows_accept_the_usual_separators() -> None:
    assert parse_window("8:30 - 11:00") == (510, 660) == parse_window("08:30至11:00")


def test_an_appointment_is_that_date_s_only_window_and_a_closed_date_still_wins() -> None:
    hours = parse_text(
        "1-5 08:30-11:30; 预约 2026-12-08 15:00-15:30; 休 2026-12-09; appointment 2026-12-09 10:00-10:20"
    )
    tuesday, wednesday = MONDAY + dt.timedelta(days=1), MONDAY + dt.timedelta(days=2)
    assert hours.windows_on(MONDAY) == ((510, 690),)
    assert hours.windows_on(tuesday) == ((900, 930),)  # outside the weekly hours: the agreed time wins
    assert hours.windows_on(wednesday) == ()
    assert appointment_on(hours.as_dict(), tuesday) == (900, 930)
    assert appointment_on(hours.as_dict(), MONDAY) is None
    assert appointment_on({"weekly": "bad"}, tuesday) is None
    assert DoorHours.from_dict(hours.as_dict()) == hours
    assert parse_text(as_text(hours)) == hours
    assert as_text(hours).endswith("预约 2026-12-08 15:00-15:30; 预约 2026-12-09 10:00-10:20")


def test_door_hours_without_appointments_keep_their_stored_shape() -> None:
    assert "appointments" not in parse_text("1-5 08:30-11:30").as_dict()
    assert parse_text("预约 2026-12-08 15:00-15:30").is_set


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("预约 15:00-15:30", "say the date before its time"),
        ("预约 2026-12-08", "needs a time like 15:00-15:30"),
        ("预约 12/08 15:00-15:30", "not a date"),
        ("预约 2026-12-08 15:30-15:00", "ends before it starts"),
    ],
)
def test_unreadable_appointments_say_why(typed: str, message: str) -> None:
    with pytest.raises(DoorHoursError, match=message):
        parse_text(typed)


def test_typed_door_hours_read_and_write_back_grouped() -> None:
    typed = "1-5 08:30-11:30 14:30-17:00; 6 09:00-12:00；休 2026-12-25"
    hours = parse_text(typed)
    assert hours.windows_on(MONDAY) == ((510, 690), (870, 1020))
    assert hours.windows_on(MONDAY + dt.timedelta(days=5)) == ((540, 720),)
    assert hours.windows_on(MONDAY + dt.timedelta(days=6)) == ()  # Sunday not given
    assert as_text(hours) == "1-5 08:30-11:30 14:30-17:00; 6 09:00-12:00; closed 2026-12-25"
    assert parse_text(as_text(hours)) == hours
    assert parse_text("  ") == DoorHours() and as_text(DoorHours()) == ""
    assert as_text(parse_text("1,3,5 14:00-17:00")) == "1 14:00-17:00; 3 14:00-17:00; 5 14:00-17:00"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1-8 08:00-10:00", "is not weekdays like 1-5"),
        ("周一 08:00-10:00", "is not weekdays like 1-5"),
        ("1-5", "say the weekdays and then their hours"),
        ("1-5 10:00-08:00", "ends before it starts"),
        ("closed 25/12", "closed:"),
    ],
)
def test_typed_door_hours_that_cannot_be_read_say_why(typed: str, message: str) -> None:
    with pytest.raises(DoorHoursError, match=message):
        parse_text(typed)


def test_a_customer_without_hours_of_its_own_gets_its_kinds_default() -> None:
    defaults = parse_by_kind(
        "township_hospital=1-5 14:30-17:00|pharmacy=1-7 08:00-10:00", ["township_hospital", "pharmacy", "clinic"]
    )
    own = {"weekly": {"1": ["09:00-10:00"]}}
    assert hours_for(own, "pharmacy", defaults).windows_on(MONDAY) == ((540, 600),)  # its own win
    assert hours_for(None, "pharmacy", defaults).windows_on(MONDAY) == ((480, 600),)
    assert hours_for({"weekly": "bad"}, "township_hospital", defaults).windows_on(MONDAY) == ((870, 1020),)
    assert hours_for(None, "clinic", defaults).windows_on(MONDAY) == ALL_DAY


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("hospital=1-5 08:00-10:00", "is not <kind>=<door hours>"),
        ("pharmacy=1-5 10:00-08:00", "pharmacy: .* ends before"),
    ],
)
def test_defaults_by_kind_that_cannot_be_read_say_why(typed: str, message: str) -> None:
    with pytest.raises(DoorHoursError, match=message):
        parse_by_kind(typed, ["pharmacy"])
