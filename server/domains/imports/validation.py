"""Checking an import file row by row before anything is stored: every problem is reported with its row
and column, duplicates inside the file and against the stored customers included."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlmodel import Session, select

from server.actor import Actor
from server.domains.customers.models import Customer
from server.domains.imports.reading import Problem, Table
from server.domains.territories.service import known_territories
from server.domains.users.models import User
from shared.door_hours import DoorHoursError, parse_text
from shared.enums import CustomerKind, CustomerStatus, Importance, RecordKind, Role
from shared.i18n import LANGUAGES, label
from shared.records import validate_fields

# Column headers understood, zh-CN and en, by the customer field they fill (compared without case or spaces).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("客户名称", "名称", "客户名", "name", "customer", "customername"),
    "kind": ("客户类型", "类型", "类别", "type", "category", "kind"),
    "address": ("地址", "详细地址", "address"),
    "phone": ("电话", "联系电话", "手机", "phone", "telephone", "tel", "mobile"),
    "territory": ("片区", "区域", "辖区", "territory", "area"),
    "importance": ("客户分类", "分类", "重要性", "class", "importance"),
    "status": ("客户状态", "状态", "status"),
    "lat": ("纬度", "lat", "latitude"),
    "lng": ("经度", "lng", "lon", "longitude"),
    "contact_person": ("联系人", "contact", "contactperson"),
    "door_hours": ("接待时间", "门诊时间", "door hours", "reception hours"),
    "owner": ("负责业务员", "业务员", "负责人", "owner", "ownerrep", "rep"),
}
REQUIRED_COLUMNS = ("name", "kind")
CHOICES: dict[str, type[StrEnum]] = {"kind": CustomerKind, "importance": Importance, "status": CustomerStatus}
# The text fields and their longest length (shared.records.SCHEMAS[customer], the customers table).
TEXT_FIELDS = {"name": 100, "address": 200, "phone": 40, "contact_person": 60}


def _key(header: str) -> str:
    return re.sub(r"[\s_\-*（）()]", "", header).casefold()


HEADER_FIELDS = {_key(alias): name for name, aliases in COLUMNS.items() for alias in aliases}


def _choices(enum: type[StrEnum]) -> dict[str, str]:
    """Every way a value may be written: its code and its label in each language, e.g. 重点, key, Key."""
    known: dict[str, str] = {}
    for member in enum:
        known[member.value.casefold()] = member.value
        for lang in LANGUAGES:
            known[label(member, lang).casefold()] = member.value
    return known


CHOICE_VALUES = {name: _choices(enum) for name, enum in CHOICES.items()}


def choice_list(name: str, lang: str) -> str:
    return "、".join(label(member, lang) for member in CHOICES[name])


def name_address_key(name: str, address: str | None) -> tuple[str, str]:
    def norm(text: str | None) -> str:
        return re.sub(r"\s+", "", text or "").casefold()

    return norm(name), norm(address)


def phone_key(phone: str | None) -> str:
    return re.sub(r"\D", "", phone or "")


@dataclass
class ImportRow:
    """A clean row, ready for put_customer: device-writable `fields` and `server_fields`."""

    row: int
    fields: dict[str, Any]
    server_fields: dict[str, Any]


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    rows: list[ImportRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_table(session: Session, actor: Actor, table: Table) -> Report:
    """Every problem of the file (none: `rows` can be stored). Reads the database, writes nothing."""
    report = Report()
    columns = _map_header(table.header, report)
    if report.problems:
        return report
    if not table.rows:
        report.problems.append(Problem(None, None, "no_rows"))
        return report
    territories = set(known_territories(session))
    reps = {user.username.casefold(): user for user in session.exec(select(User)).all()}
    reps |= {user.display_name.casefold(): user for user in reps.values() if user.display_name.casefold() not in reps}
    stored = session.exec(
        select(Customer.name, Customer.address, Customer.phone).where(Customer.deleted == False)  # noqa: E712
    ).all()
    stored_names = {name_address_key(name, address): name for name, address, _ in stored}
    stored_phones = {phone_key(phone): name for name, _, phone in stored if phone_key(phone)}
    seen_names: dict[tuple[str, str], int] = {}
    seen_phones: dict[str, int] = {}
    header_of = {name: table.header[index] for name, index in columns.items()}
    for number, cells in table.rows:
        values = {name: (cells[index] if index < len(cells) else "").strip() for name, index in columns.items()}
        row = _check_row(actor, number, values, header_of, territories, reps, report.problems)
        if row is None:
            continue
        name_key = name_address_key(row.fields["name"], row.fields.get("address"))
        phone = phone_key(row.fields.get("phone"))
        where = header_of.get("phone", header_of["name"]) if phone else header_of["name"]
        if name_key in seen_names:
            report.problems.append(
                Problem(number, header_of["name"], "duplicate_in_file", {"other": seen_names[name_key]})
            )
        elif phone and phone in seen_phones:
            report.problems.append(Problem(number, where, "duplicate_in_file", {"other": seen_phones[phone]}))
        elif name_key in stored_names:
            report.problems.append(
                Problem(number, header_of["name"], "duplicate_stored", {"name": stored_names[name_key]})
            )
        elif phone and phone in stored_phones:
            report.problems.append(Problem(number, where, "duplicate_stored", {"name": stored_phones[phone]}))
        else:
            report.rows.append(row)
        seen_names.setdefault(name_key, number)
        if phone:
            seen_phones.setdefault(phone, number)
    if report.problems:
        report.rows = []
    return report


def _map_header(header: list[str], report: Report) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, text in enumerate(header):
        if not text:
            continue
        name = HEADER_FIELDS.get(_key(text))
        if name is None:
            report.problems.append(Problem(1, text, "unknown_column"))
        elif name in columns:
            report.problems.append(Problem(1, text, "duplicate_column", {"other": header[columns[name]]}))
        else:
            columns[name] = index
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            report.problems.append(
                Problem(1, None, "missing_column", {"column": COLUMNS[name][0], "en": COLUMNS[name][-1]})
            )
    return columns


def _check_row(
    actor: Actor,
    number: int,
    values: dict[str, str],
    header_of: dict[str, str],
    territories: set[str],
    reps: dict[str, User],
    problems: list[Problem],
) -> ImportRow | None:
    before = len(problems)

    def problem(name: str, code: str, **details: Any) -> None:
        problems.append(Problem(number, header_of.get(name), code, details))

    fields: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        if name not in values:
            continue
        text = values[name]
        limit = TEXT_FIELDS[name]
        if not text:
            if name == "name":
                problem(name, "required")
        elif len(text) > limit:
            problem(name, "too_long", limit=limit)
        else:
            fields[name] = text
    for name in CHOICES:
        text = values.get(name, "")
        if not text:
            if name == "kind":
                problem(name, "required")
            continue
        chosen = CHOICE_VALUES[name].get(text.casefold())
        if chosen is None:
            problem(name, "unknown_choice", value=text, choices=name)
        else:
            fields[name] = chosen
    for name, low, high in (("lat", -90.0, 90.0), ("lng", -180.0, 180.0)):
        text = values.get(name, "")
        if not text:
            continue
        try:
            number_value = float(text)
        except ValueError:
            problem(name, "not_a_number", value=text)
            continue
        if not math.isfinite(number_value) or not low <= number_value <= high:
            problem(name, "out_of_range", low=low, high=high)
        else:
            fields[name] = number_value
    if values.get("door_hours"):  # "1-5 08:30-11:30 14:30-17:00; 休 2026-12-25" (shared/door_hours.py)
        try:
            hours = parse_text(values["door_hours"])
        except DoorHoursError as unreadable:
            problem("door_hours", "door_hours", detail=str(unreadable))
        else:
            fields["door_hours"] = hours.as_dict() if hours.is_set else None
    if ("lat" in fields) != ("lng" in fields) and len(problems) == before:
        problem("lat" if "lat" not in fields else "lng", "lat_lng_pair")
    territory = values.get("territory", "") or actor.territory or ""
    if not territory:
        problem("territory", "required")
    elif territory not in territories:
        problem("territory", "unknown_territory", value=territory)
    elif actor.role != Role.ADMIN and actor.territory and territory != actor.territory:
        problem("territory", "outside_territory", value=territory, own=actor.territory)
    server_fields: dict[str, Any] = {"territory": territory}
    owner = values.get("owner", "")
    if owner:
        rep = reps.get(owner.casefold())
        if rep is None or rep.role != Role.REP.value or not rep.active:
            problem("owner", "unknown_rep", value=owner)
        elif rep.territory != territory:
            problem("owner", "rep_elsewhere", value=owner, territory=rep.territory or "")
        else:
            server_fields["owner_rep_id"] = rep.id
    if len(problems) == before:  # the schema's own checks, so nothing the phone would refuse gets in
        for error in validate_fields(RecordKind.CUSTOMER, fields, creating=True):
            problem(
                error.field if error.field in header_of else "name", "invalid", detail=f"{error.field} {error.problem}"
            )
    return ImportRow(number, fields, server_fields) if len(problems) == before else None
