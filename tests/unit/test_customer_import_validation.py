"""The customer import's reader and checks (server/domains/imports): every problem type, zh/en headers,
UTF-8 with and without BOM, GBK, XLSX. The checks run against an in-memory database with a few customers."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from openpyxl import Workbook
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

import server.models  # noqa: F401 - every table
from server.actor import Actor
from server.domains.customers.models import Customer
from server.domains.imports.reading import MAX_FILE_BYTES, MAX_ROWS, UnreadableFile, read_table
from server.domains.imports.validation import check_table
from server.domains.territories.models import Territory
from server.domains.users.models import User
from shared.enums import Role

EAST, WEST = "东片", "西片"
SUPERVISOR = Actor("sup-1", "sup.east", "东片主管", Role.SUPERVISOR, EAST)
ADMIN = Actor("admin-1", "admin", "管理员", Role.ADMIN, None)


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Territory(name=EAST, created_at="2026-11-27T00:00:00+00:00"))
        session.add(Territory(name=WEST, created_at="2026-11-27T00:00:00+00:00"))
        session.add(
            User(id="rep-1", username="li.rep", display_name="李明", role="rep", territory=EAST, password_hash="x")
        )
        session.add(
            User(id="rep-2", username="wang.rep", display_name="王强", role="rep", territory=WEST, password_hash="x")
        )
        session.add(
            Customer(
                id="c-1",
                name="城关诊所",
                kind="clinic",
                address="城关镇1号",
                phone="0371-1234567",
                territory=EAST,
                updated_at="2026-11-27T00:00:00+00:00",
            )
        )
        session.commit()
        yield session
    engine.dispose()


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.replace("\n", "\r\n").encode(encoding)


def problems(session: Session, content: bytes, actor: Actor = SUPERVISOR, encoding: str = "auto") -> list[tuple]:
    try:
        table = read_table(content, encoding)
    except UnreadableFile as error:
        return [(error.problem.row, error.problem.column, error.problem.code)]
    return [(p.row, p.column, p.code) for p in check_table(session, actor, table).problems]


GOOD_ZH = (
    "客户名称,客户类型,地址,电话,片区,客户分类,纬度,经度,负责业务员\n"
    "新华药店,药店,新华路8号,13800138000,东片,重点,34.75,113.62,li.rep\n"
)


@pytest.mark.parametrize(
    ("content", "label"),
    [
        (csv_bytes(GOOD_ZH), "UTF-8"),
        (b"\xef\xbb\xbf" + csv_bytes(GOOD_ZH), "UTF-8 with BOM"),
        (csv_bytes(GOOD_ZH, "gbk"), "GBK"),
    ],
)
def test_a_clean_file_in_each_encoding_gives_its_rows(session: Session, content: bytes, label: str) -> None:
    report = check_table(session, SUPERVISOR, read_table(content))
    assert report.problems == [], label
    [row] = report.rows
    assert row.row == 2
    assert row.fields == {
        "name": "新华药店",
        "kind": "pharmacy",
        "address": "新华路8号",
        "phone": "13800138000",
        "importance": "key",
        "lat": 34.75,
        "lng": 113.62,
    }
    assert row.server_fields == {"territory": EAST, "owner_rep_id": "rep-1"}


def test_english_headers_and_values_and_a_missing_territory_taking_the_supervisors(session: Session) -> None:
    text = "Name,Category,Phone,Class,Owner Rep\nRiverside Clinic,clinic,139 0000 1111,Potential,李明\n"
    report = check_table(session, SUPERVISOR, read_table(csv_bytes(text)))
    assert report.problems == []
    assert report.rows[0].fields["importance"] == "potential"
    assert report.rows[0].server_fields == {"territory": EAST, "owner_rep_id": "rep-1"}


def test_gbk_read_as_utf8_is_refused_with_a_clear_problem(session: Session) -> None:
    assert problems(session, csv_bytes(GOOD_ZH, "gbk"), encoding="utf-8") == [(None, None, "wrong_encoding")]


def test_an_xlsx_file_is_read_with_numbers_as_the_supervisor_typed_them(session: Session) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["名称", "类型", "电话", "纬度", "经度"])
    sheet.append(["东风卫生院", "乡镇卫生院", 13800138001, 34.5, 113.5])
    sheet.append([None, None, None, None, None])  # an empty row is skipped
    sheet.append(["东风卫生院", "乡镇卫生院", 13800138001, None, None])
    out = io.BytesIO()
    workbook.save(out)
    table = read_table(out.getvalue())
    assert table.rows[0] == (2, ["东风卫生院", "乡镇卫生院", "13800138001", "34.5", "113.5"])
    assert [(p.row, p.column, p.code) for p in check_table(session, SUPERVISOR, table).problems] == [
        (4, "名称", "duplicate_in_file")
    ]


def test_header_problems(session: Session) -> None:
    text = "名称,名称,颜色\n甲,诊所,红\n"
    assert problems(session, csv_bytes(text)) == [
        (1, "名称", "duplicate_column"),
        (1, "颜色", "unknown_column"),
        (1, None, "missing_column"),  # 客户类型
    ]


def test_every_row_problem_is_reported_with_its_row_and_column(session: Session) -> None:
    text = (
        "名称,类型,地址,电话,片区,分类,纬度,经度,业务员\n"
        ",诊所,,,,,,,\n"  # 2: no name
        "甲诊所,,,,,,,,\n"  # 3: no kind
        "乙诊所,医院,,,,,,,\n"  # 4: not a kind
        f"{'丙' * 101},诊所,,,,,,,\n"  # 5: too long
        "丁诊所,诊所,,,,,abc,113,\n"  # 6: not a number
        "戊诊所,诊所,,,,,95,113,\n"  # 7: out of range
        "己诊所,诊所,,,,,34,,\n"  # 8: latitude without longitude
        "庚诊所,诊所,,,南片,,,,\n"  # 9: no such territory
        "辛诊所,诊所,,,西片,,,,\n"  # 10: another territory than the supervisor's
        "壬诊所,诊所,,,,,,,nobody\n"  # 11: no such rep
        "癸诊所,诊所,,,,,,,wang.rep\n"  # 12: a rep of another territory
        "城关诊所,诊所,城关镇 1号,,,,,,\n"  # 13: same name and address as a stored customer
        "另一诊所,诊所,,(0371)1234567,,,,,\n"  # 14: same phone as a stored customer
        "新诊所,诊所,,,,普通,,,\n"  # 15: fine
        "新诊所,诊所,,,,,,,\n"  # 16: duplicates row 15
        "重点诊所,诊所,,,,超级,,,\n"  # 17: not a class
    )
    assert problems(session, csv_bytes(text)) == [
        (2, "名称", "required"),
        (3, "类型", "required"),
        (4, "类型", "unknown_choice"),
        (5, "名称", "too_long"),
        (6, "纬度", "not_a_number"),
        (7, "纬度", "out_of_range"),
        (8, "经度", "lat_lng_pair"),
        (9, "片区", "unknown_territory"),
        (10, "片区", "outside_territory"),
        (11, "业务员", "unknown_rep"),
        (12, "业务员", "rep_elsewhere"),
        (13, "名称", "duplicate_stored"),
        (14, "电话", "duplicate_stored"),
        (16, "名称", "duplicate_in_file"),
        (17, "分类", "unknown_choice"),
    ]


def test_a_file_with_problems_gives_no_rows_to_store(session: Session) -> None:
    text = "名称,类型\n甲诊所,诊所\n乙诊所,医院\n"
    report = check_table(session, SUPERVISOR, read_table(csv_bytes(text)))
    assert [p.code for p in report.problems] == ["unknown_choice"] and report.rows == []


def test_an_admin_imports_into_any_territory_but_must_name_one(session: Session) -> None:
    text = "名称,类型,片区\n甲诊所,诊所,西片\n乙诊所,诊所,\n"
    assert problems(session, csv_bytes(text), actor=ADMIN) == [(3, "片区", "required")]


def test_limits_and_unreadable_files(session: Session) -> None:
    too_many = "名称,类型\n" + "".join(f"诊所{i},诊所\n" for i in range(MAX_ROWS + 1))
    assert problems(session, csv_bytes(too_many)) == [(None, None, "too_many_rows")]
    assert problems(session, b"x" * (MAX_FILE_BYTES + 1)) == [(None, None, "file_too_large")]
    assert problems(session, b"  \r\n") == [(None, None, "empty_file")]
    assert problems(session, b"PK\x03\x04 not really a zip") == [(None, None, "not_a_table")]
    assert problems(session, csv_bytes("名称,类型\n")) == [(None, None, "no_rows")]
