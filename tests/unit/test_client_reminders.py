"""Care reminders computed on the phone: birthdays across month and year ends and 29 February, visit
cadence by value tier (calendar months for C), follow-ups and complaint response timers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from client.features.today.reminders import (
    FollowUpKind,
    add_months,
    birthday_in,
    complaint_timer,
    follow_ups,
    next_birthday,
    overdue_visits,
    upcoming_birthdays,
    visit_due,
)
from shared.enums import ValueTier

TZ = dt.timezone(dt.timedelta(hours=8))
D = dt.date


def person(name: str, birthday: str | None) -> dict[str, object]:
    return {"id": name, "customer_id": "c1", "name": name, "role": "boss", "birthday": birthday}


@pytest.mark.parametrize(
    ("birthday", "today", "expected"),
    [
        (D(1980, 3, 12), D(2026, 3, 12), D(2026, 3, 12)),  # today
        (D(1980, 3, 12), D(2026, 3, 13), D(2027, 3, 12)),  # just passed: next year
        (D(1975, 1, 2), D(2026, 12, 28), D(2027, 1, 2)),  # across the year's end
        (D(1975, 12, 31), D(2026, 12, 31), D(2026, 12, 31)),
        (D(1988, 2, 29), D(2027, 2, 20), D(2027, 2, 28)),  # no 29 February in 2027: kept on the 28th
        (D(1988, 2, 29), D(2028, 2, 20), D(2028, 2, 29)),  # a leap year: the 29th itself
        (D(1988, 2, 29), D(2027, 3, 1), D(2028, 2, 29)),  # passed in 2027, next in the leap year
        (D(1988, 2, 29), D(2028, 2, 29), D(2028, 2, 29)),
    ],
)
def test_next_birthday(birthday: dt.date, today: dt.date, expected: dt.date) -> None:
    assert next_birthday(birthday, today) == expected


def test_birthday_in_a_year_keeps_the_day_or_falls_back_to_28_february() -> None:
    assert birthday_in(2100, D(2000, 2, 29)) == D(2100, 2, 28)  # 2100 is not a leap year
    assert birthday_in(2000, D(1996, 2, 29)) == D(2000, 2, 29)  # 2000 is
    assert birthday_in(2026, D(1970, 6, 30)) == D(2026, 6, 30)


def test_birthdays_in_the_next_seven_days_across_the_month_and_year_end() -> None:
    persons = [
        person("今天", "1970-12-27"),
        person("元旦", "1966-01-01"),
        person("七天后", "1980-01-03"),  # 27 Dec + 7 days: the last day of the window
        person("八天后", "1980-01-04"),  # one day too far
        person("昨天", "1980-12-26"),  # just passed: next year's is far off
        person("无生日", None),
        person("乱写", "12/30"),  # not a date: ignored, never a crash
    ]
    found = upcoming_birthdays(persons, D(2026, 12, 27))
    assert [(item.person["name"], item.day, item.days_until) for item in found] == [
        ("今天", D(2026, 12, 27), 0),
        ("元旦", D(2027, 1, 1), 5),
        ("七天后", D(2027, 1, 3), 7),
    ]


def test_a_29_february_birthday_is_reminded_of_in_a_common_year() -> None:
    found = upcoming_birthdays([person("闰日", "1992-02-29")], D(2027, 2, 25))
    assert [(item.day, item.days_until) for item in found] == [(D(2027, 2, 28), 3)]
    # Across the end of February in a leap year: 25 Feb 2028 to the 29th is 4 days.
    assert upcoming_birthdays([person("闰日", "1992-02-29")], D(2028, 2, 25))[0].days_until == 4
    # A 1 March birthday seen from late February, leap and common years.
    assert upcoming_birthdays([person("三月一", "1990-03-01")], D(2028, 2, 28))[0].days_until == 2
    assert upcoming_birthdays([person("三月一", "1990-03-01")], D(2027, 2, 28))[0].days_until == 1


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),  # clamped to the month's last day
        (D(2028, 1, 31), 1, D(2028, 2, 29)),  # a leap February
        (D(2026, 12, 15), 1, D(2027, 1, 15)),  # across the year's end
        (D(2026, 3, 31), 1, D(2026, 4, 30)),
        (D(2026, 11, 30), 3, D(2027, 2, 28)),
    ],
)
def test_add_months(day: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(day, months) == expected


def test_tier_cadence_a_weekly_b_fortnightly_c_monthly() -> None:
    assert visit_due(D(2026, 12, 28), ValueTier.A) == D(2027, 1, 4)
    assert visit_due(D(2026, 12, 20), ValueTier.B) == D(2027, 1, 3)
    assert visit_due(D(2027, 1, 31), ValueTier.C) == D(2027, 2, 28)
    assert visit_due(D(2028, 1, 31), ValueTier.C) == D(2028, 2, 29)


def test_overdue_visits_by_tier() -> None:
    customers = [
        {"id": "a-due", "name": "甲", "tier": "A"},
        {"id": "a-late", "name": "乙", "tier": "A"},
        {"id": "b-late", "name": "丙", "tier": "B"},
        {"id": "c-ok", "name": "丁", "tier": "C"},
        {"id": "c-late", "name": "戊", "tier": "C"},
        {"id": "never", "name": "己", "tier": "B"},
        {"id": "untiered", "name": "庚"},  # no tier yet: no cadence to be late on
    ]
    today = D(2027, 3, 1)
    last = {
        "a-due": D(2027, 2, 22),  # due today: not late yet
        "a-late": D(2027, 2, 20),  # due 27 Feb: 2 days late
        "b-late": D(2027, 2, 14),  # due 28 Feb: 1 day late
        "c-ok": D(2027, 2, 1),  # due 1 March
        "c-late": D(2027, 1, 29),  # due 28 Feb (clamped): 1 day late
        "untiered": D(2020, 1, 1),
    }
    found = overdue_visits(customers, last, today)
    assert [(item.customer["id"], item.days_overdue) for item in found] == [
        ("a-late", 2),
        ("never", None),  # never visited comes first among the B customers
        ("b-late", 1),
        ("c-late", 1),
    ]


def visit(customer_id: str, check_in: str, next_visit: str | None) -> dict[str, object]:
    return {
        "id": f"v-{customer_id}",
        "customer_id": customer_id,
        "check_in_at": check_in,
        "next_visit_date": next_visit,
    }


def test_follow_ups_due() -> None:
    now = dt.datetime(2027, 1, 2, 9, 0, tzinfo=TZ)
    visits = [
        visit("c1", "2026-12-28T10:00:00+08:00", "2027-01-02"),  # due today
        visit("c2", "2026-12-28T10:00:00+08:00", "2027-01-01"),  # due yesterday: late
        visit("c3", "2026-12-28T10:00:00+08:00", "2027-01-05"),  # not yet
        visit("c4", "2027-01-02T08:00:00+08:00", "2027-01-02"),  # visited on the day already
    ]
    complaints = [
        {
            "id": "k1",
            "customer_id": "c5",
            "category": "quality",
            "severity": "high",
            "status": "received",
            "received_at": "2027-01-02T04:00:00+08:00",  # 4 h to answer: due 08:00, now 09:00
        },
        {
            "id": "k2",
            "customer_id": "c6",
            "category": "price",
            "severity": "low",
            "status": "investigating",
            "received_at": "2026-12-20T09:00:00+08:00",
            "responded_at": "2026-12-20T10:00:00+08:00",
        },
        {
            "id": "k3",
            "customer_id": "c7",
            "category": "delivery",
            "severity": "medium",
            "status": "resolved",
            "received_at": "2026-12-28T09:00:00+08:00",
            "resolved_at": "2026-12-31T09:00:00+08:00",
        },
        {
            "id": "k4",
            "customer_id": "c8",
            "category": "service",
            "severity": "medium",
            "status": "resolved",
            "received_at": "2027-01-02T07:00:00+08:00",
            "resolved_at": "2027-01-02T08:00:00+08:00",  # the confirming visit is due tomorrow
        },
        {"id": "k5", "customer_id": "c9", "category": "service", "severity": "low", "status": "confirmed"},
    ]
    found = follow_ups(visits, complaints, now)
    assert [(item.kind, item.customer_id, item.overdue) for item in found] == [
        # Late ones first, the longest late first.
        (FollowUpKind.COMPLAINT_CONFIRM, "c7", True),
        (FollowUpKind.NEXT_VISIT, "c2", True),
        (FollowUpKind.COMPLAINT_ANSWER, "c5", True),
        (FollowUpKind.COMPLAINT_ANSWER, "c6", False),  # answered in time, still being worked on
        (FollowUpKind.NEXT_VISIT, "c1", False),
    ]


def test_complaint_timer_is_the_servers_rule() -> None:
    received = "2026-12-31T22:00:00+08:00"
    timer = complaint_timer({"severity": "high", "received_at": received})
    assert timer is not None and timer.due_at == dt.datetime(2027, 1, 1, 2, 0, tzinfo=TZ)  # 4 h, across the year
    assert not timer.overdue(dt.datetime(2027, 1, 1, 2, 0, tzinfo=TZ))
    assert timer.overdue(dt.datetime(2027, 1, 1, 2, 1, tzinfo=TZ))
    answered = complaint_timer(
        {"severity": "low", "received_at": received, "responded_at": "2027-01-03T23:00:00+08:00"}
    )
    assert answered is not None and answered.overdue(dt.datetime(2027, 1, 1, tzinfo=TZ))  # 73 h > 72 h
    assert complaint_timer({"severity": "weird", "received_at": received}) is None
    assert complaint_timer({"severity": "low", "received_at": "not a time"}) is None


def test_holidays_in_the_next_seven_days_across_the_year_end() -> None:
    from client.features.today.reminders import upcoming_holidays
    from shared.holidays import Holiday, default_holidays

    holidays = default_holidays()
    assert [h.name for h in upcoming_holidays(holidays, dt.date(2026, 12, 26))] == ["元旦"]  # 2027-01-01
    assert upcoming_holidays(holidays, dt.date(2026, 12, 24)) == []  # 8 days ahead: not yet
    assert [(h.day, h.name) for h in upcoming_holidays(holidays, dt.date(2026, 9, 25))] == [
        (dt.date(2026, 9, 25), "中秋节"),
        (dt.date(2026, 10, 1), "国庆节"),
    ]
    mine = [Holiday(dt.date(2031, 1, 23), "春节")]
    assert upcoming_holidays(mine, dt.date(2031, 1, 16)) == mine


def test_a_company_holiday_file_is_read_and_a_bad_one_named(tmp_path: Path) -> None:
    import json

    from shared.holidays import Holiday, load_holidays

    good = tmp_path / "holidays.json"
    good.write_text(json.dumps([{"day": "2031-01-23", "name": " 春节 "}]), encoding="utf-8")
    assert load_holidays(good) == [Holiday(dt.date(2031, 1, 23), "春节")]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"day": "2031-01-23", "name": "春节"}, {"day": "2031-02-30", "name": "x"}]))
    with pytest.raises(ValueError, match="entry 2"):
        load_holidays(bad)


def test_the_care_reminders_show_a_holiday_of_the_coming_week(tmp_path: Path) -> None:
    from client.services import AppService
    from client.storage.store import LocalStore
    from client.storage.vault import StoreCipher
    from shared.holidays import Holiday

    store = LocalStore(tmp_path, StoreCipher(bytes(32)))
    moment = dt.datetime(2026, 9, 22, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    service = AppService(store, clock=lambda: moment, holidays=[Holiday(dt.date(2026, 9, 25), "中秋节")])
    care = service.care_reminders()
    assert [h.name for h in care.holidays] == ["中秋节"] and not care.empty
    from client.features.today.view import care_section, holiday_text

    assert holiday_text(care.holidays[0], care.day, "zh-CN") == "中秋节：3 天后（09-25）"
    texts = [control.value for control in care_section(care, "zh-CN", None) if hasattr(control, "value")]  # type: ignore[arg-type]
    assert "中秋节：3 天后（09-25）" in texts
    store.close()
