"""The supervisor's desk in a real browser (issue 5): import a customer file with an error and see nothing
stored, import a good one and find it in the list, export the list as CSV and XLSX and read the files back,
and an admin creates a user who can then sign in. Real server process, headless Debian Chromium."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import FilePayload, Page, expect

from tests.e2e.conftest import ROOT, Service
from tests.e2e.test_offline_visit_reaches_supervisor import supervisor_sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HEADER = "客户名称,客户类型,地址,电话,片区,客户分类\n"
BAD = HEADER + "导入测试药店,药店,新华路8号,13911112222,望都东片,重点\n导入测试诊所,医院,河西村,,望都西片,普通\n"
GOOD = HEADER + "导入测试药店,药店,新华路8号,13911112222,望都东片,重点\n导入测试诊所,诊所,河西村,,望都西片,普通\n"


def choose_file(page: Page, content: bytes, name: str = "customers.csv") -> None:
    upload: FilePayload = {"name": name, "mimeType": "text/csv", "buffer": content}
    page.get_by_test_id("import-file").set_input_files(files=[upload])
    page.get_by_test_id("import-check").click()


def sign_in_as(page: Page, server_url: str, username: str, password: str) -> None:
    page.goto(f"{server_url}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("current-user")).to_be_visible()


def test_import_with_an_error_stores_nothing_then_a_good_file_is_stored_and_exported(
    page: Page, server_url: str
) -> None:
    supervisor_sign_in(page, server_url)
    page.goto(f"{server_url}/customers/import")
    choose_file(page, BAD.encode("gbk"))  # as Chinese Excel saves a CSV
    expect(page.get_by_test_id("import-rejected")).to_be_visible()
    problem = page.get_by_test_id("import-problem")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("3")
    expect(problem).to_contain_text("客户类型")
    expect(page.get_by_test_id("import-confirm")).to_have_count(0)
    page.goto(f"{server_url}/customers?q=导入测试")
    expect(page.get_by_test_id("customers-table")).not_to_contain_text("导入测试药店")

    page.goto(f"{server_url}/customers/import")
    choose_file(page, b"\xef\xbb\xbf" + GOOD.encode())
    expect(page.get_by_test_id("import-clean")).to_be_visible()
    page.get_by_test_id("import-confirm").click()
    expect(page.get_by_test_id("import-done")).to_contain_text("2")
    page.goto(f"{server_url}/customers?q=导入测试")
    table = page.get_by_test_id("customers-table")
    expect(table).to_contain_text("导入测试药店")
    expect(table).to_contain_text("导入测试诊所")

    with page.expect_download() as csv_download:
        page.get_by_test_id("export-csv").click()
    assert csv_download.value.suggested_filename.endswith(".csv")
    content = Path(csv_download.value.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert sorted(row[0] for row in rows[1:]) == ["导入测试药店", "导入测试诊所"]

    with page.expect_download() as xlsx_download:
        page.get_by_test_id("export-xlsx").click()
    assert xlsx_download.value.suggested_filename.endswith(".xlsx")
    workbook = io.BytesIO(Path(xlsx_download.value.path()).read_bytes())
    sheet = load_workbook(workbook, read_only=True).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == rows[0][0]
    assert sorted(str(row[0]) for row in values[1:]) == ["导入测试药店", "导入测试诊所"]


def test_an_admin_creates_a_user_who_can_then_sign_in(page: Page, server: Service, server_url: str) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "server",
            "create-user",
            "--username",
            "admin.e2e",
            "--password",
            "admin-pass-42",
            "--role",
            "admin",
        ],
        cwd=ROOT,
        env=server.env,
        check=True,
    )
    sign_in_as(page, server_url, "admin.e2e", "admin-pass-42")
    page.goto(f"{server_url}/admin/users")
    page.get_by_test_id("new-username").fill("chen.sup")
    page.get_by_test_id("new-display-name").fill("陈主管")
    page.get_by_test_id("new-password").fill("chen-pass-2026")
    page.get_by_test_id("new-role").select_option("supervisor")
    page.get_by_test_id("new-territory").select_option("望都北片")
    page.get_by_test_id("create-user").click()
    expect(page.get_by_test_id("admin-done")).to_be_visible()
    expect(page.get_by_test_id("user-row-chen.sup")).to_contain_text("望都北片")
    page.get_by_test_id("logout").click()
    sign_in_as(page, server_url, "chen.sup", "chen-pass-2026")
    expect(page.get_by_test_id("current-user")).to_have_text("陈主管")
