"""Importing customers from a CSV or XLSX file, in two steps (server/domains/imports):

1. POST /customers/import: the file is checked and every problem shown (row, column, problem); nothing is
   stored as customers. A clean file is kept in the database (any server process may get step 2).
2. POST /customers/import/{batch_id}/confirm: the kept file is checked again and all rows stored in one
   transaction, with the supervisor's clock as for an edit on the customer's page (customer_edit.py).

Supervisors import into their own territory (a supervisor without one, and admins, into any).
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from server.db import read_session, write_session
from server.dependencies import DatabaseEngine, api_dependencies
from server.domains.imports.reading import ENCODINGS, MAX_FILE_BYTES, MAX_ROWS, Problem
from server.domains.imports.service import check_file, confirm_import, kept_batch, read_file
from server.domains.imports.validation import COLUMNS, Report, choice_list
from server.domains.users.signin import client_address
from server.web.customer_edit import supervisor_clock
from server.web.i18n import lang_of
from server.web.pages import WebRequest, page, supervisors_only
from shared.i18n import t

# The form may carry a file up to the limit the check reports clearly; beyond this Litestar answers 413.
MAX_UPLOAD_BYTES = 2 * MAX_FILE_BYTES


def problem_rows(problems: list[Problem], lang: str) -> list[dict[str, Any]]:
    rows = []
    for problem in problems:
        values = dict(problem.values)
        if problem.code == "unknown_choice":
            values["choices"] = choice_list(values["choices"], lang)
        rows.append(
            {
                "row": problem.row,
                "column": problem.column,
                "code": problem.code,
                "message": t(f"web.import.problem.{problem.code}", lang, **values),
            }
        )
    return rows


def import_page(
    request: WebRequest,
    status_code: int = 200,
    *,
    report: Report | None = None,
    batch_id: str | None = None,
    file_name: str = "",
    imported: int | None = None,
) -> Template:
    lang = lang_of(request)
    return page(
        request,
        "import.html",
        status_code,
        problems=problem_rows(report.problems, lang) if report else [],
        checked=report is not None,
        rows=len(report.rows) if report else 0,
        batch_id=batch_id,
        file_name=file_name,
        imported=imported,
        encodings=ENCODINGS,
        columns=[(aliases[0], aliases[-1], name in ("name", "kind")) for name, aliases in COLUMNS.items()],
        max_rows=MAX_ROWS,
        max_megabytes=MAX_FILE_BYTES // (1024 * 1024),
        territory=request.user.territory,
    )


class ImportPages(Controller):
    path = "/customers/import"
    guards = (supervisors_only,)
    include_in_schema = False
    dependencies = api_dependencies()

    @get("/")
    async def import_form(self, request: WebRequest, imported: FromQuery[int | None] = None) -> Template:
        return import_page(request, imported=imported)

    @post("/", request_max_body_size=MAX_UPLOAD_BYTES)
    async def check(self, request: WebRequest, engine: DatabaseEngine) -> Template:
        """Step 1: the report; 422 and nothing kept when the file has problems."""
        form = await request.form()
        upload, encoding = form.get("file"), str(form.get("encoding") or "auto")
        if not isinstance(upload, UploadFile):
            report = Report(problems=[Problem(None, None, "no_file")])
            return import_page(request, 422, report=report)
        content = await upload.read(MAX_FILE_BYTES + 1)
        name = upload.filename or ""
        actor = request.user

        def run() -> Any:
            table = read_file(content, encoding)  # before the write transaction: pushes do not wait for it
            with write_session(engine) as session:
                return check_file(session, actor, table, content, name, encoding)

        checked = await anyio.to_thread.run_sync(run)
        status = 200 if checked.report.ok else 422
        return import_page(request, status, report=checked.report, batch_id=checked.batch_id, file_name=name)

    @post("/{batch_id:str}/confirm", sync_to_thread=True)
    def confirm(self, request: WebRequest, engine: DatabaseEngine, batch_id: FromPath[str]) -> Response[Any]:
        """Step 2: store every row, or (the customers changed since the check) none and show why."""
        actor = request.user
        with read_session(engine) as session:
            batch = kept_batch(session, actor, batch_id)
        table = read_file(batch.content, batch.encoding)  # outside the write transaction, as in step 1
        with write_session(engine) as session:
            report, ids = confirm_import(
                session, actor, batch_id, table, supervisor_clock(actor), client_address(request)
            )
        if not report.ok:
            return import_page(request, 409, report=report)
        return Redirect(f"/customers/import?imported={len(ids)}", status_code=303)
