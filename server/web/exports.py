"""Any list page as a file: `?format=csv` or `?format=xlsx` on customers, orders, complaints, flagged visits
and the audit log. One helper writes both formats, the same columns as the page, in the reader's language.

CSV starts with a BOM so Excel opens Chinese right; a text cell starting with = + - @ (or a tab / carriage
return) gets a leading apostrophe, so a spreadsheet never runs a customer's name as a formula. Every export
is audited: who exported which list, in which format, how many rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import quote

from litestar import Response
from sqlalchemy.engine import Engine

from server.clock import now_in
from server.db import write_session
from server.domains.audit.service import audit
from server.domains.devices.clock import clock_words
from server.domains.users.signin import client_address
from server.errors import ValidationFailed
from server.settings import Settings
from server.web.i18n import enum_labeller, lang_of
from server.web.pages import WebRequest
from shared.i18n import t

AUDIT_ACTION = "list_exported"
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# A spreadsheet runs a cell as a formula when it starts with one of these, also in full width (a Chinese
# keyboard types ＝), also behind leading spaces or a line break; a tab or a line break first is quoted too.
FORMULA_STARTS = ("=", "+", "-", "@", "＝", "＋", "－", "＠")
LEADING_BLANKS = " \t\r\n\u3000\u00a0"

Column = tuple[str, Callable[[Any], object]]  # (i18n key of the header, the cell of a row)


def safe_cell(value: object) -> object:
    """Numbers stay numbers; text that a spreadsheet would read as a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else ""
    if isinstance(value, int | float):
        return value
    text = value.strftime("%Y-%m-%d %H:%M") if isinstance(value, dt.datetime) else str(value)
    formula_like = text[:1] in ("\t", "\r", "\n") or text.lstrip(LEADING_BLANKS).startswith(FORMULA_STARTS)
    return "'" + text if formula_like else text


def table_bytes(format: str, header: list[str], rows: Iterable[list[object]]) -> bytes:
    if format == "csv":
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer)
        writer.writerow([safe_cell(cell) for cell in header])
        writer.writerows([safe_cell(cell) for cell in row] for row in rows)
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([safe_cell(cell) for cell in header])
    for row in rows:
        sheet.append([safe_cell(cell) for cell in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def export_list(
    request: WebRequest,
    engine: Engine,
    settings: Settings,
    format: str,
    list_name: str,
    columns: Sequence[Column],
    rows: Sequence[Any],
) -> Response[bytes]:
    """The rows as a CSV or XLSX download, the export written to the audit log."""
    if format not in FORMATS:
        raise ValidationFailed("format must be csv or xlsx", path="format", key="web.error.bad_format")
    lang = lang_of(request)
    header = [t(key, lang) for key, _ in columns]
    content = table_bytes(format, header, ([cell(row) for _, cell in columns] for row in rows))
    actor = request.user
    with write_session(engine) as session:
        audit(
            session,
            AUDIT_ACTION,
            actor_id=actor.id,
            actor_name=actor.username,
            ip=client_address(request),
            details={"list": list_name, "format": format, "rows": len(rows), "query": str(request.url.query)},
        )
    stamp = now_in(settings.tz).strftime("%Y%m%d-%H%M")
    file_name = f"{list_name}-{stamp}.{format}"
    return Response(
        content,
        media_type=FORMATS[format],
        headers={"Content-Disposition": f"attachment; filename={file_name}; filename*=UTF-8''{quote(file_name)}"},
    )


# The columns of each list: the page's columns, labels in the reader's language.


def customer_columns(request: WebRequest, owners: dict[str, Any]) -> list[Column]:
    label = enum_labeller(lang_of(request))
    return [
        ("web.customer.name", lambda c: c.name),
        ("web.customer.kind", lambda c: label("CustomerKind", c.kind)),
        ("web.customer.status", lambda c: label("CustomerStatus", c.status)),
        ("web.customer.importance", lambda c: label("Importance", c.importance)),
        ("web.customer.tier", lambda c: c.tier),
        ("web.customer.territory", lambda c: c.territory),
        ("web.customer.owner", lambda c: owners[c.owner_rep_id].display_name if c.owner_rep_id in owners else ""),
        ("web.customer.phone", lambda c: c.phone),
        ("web.customer.address", lambda c: c.address),
        ("web.customer.contact", lambda c: c.contact_person),
        ("web.export.lat", lambda c: c.lat),
        ("web.export.lng", lambda c: c.lng),
    ]


def order_columns(customers: dict[str, Any], people: dict[str, Any]) -> list[Column]:
    def lines(row: dict[str, Any]) -> str:
        return "; ".join(f"{line['name']} × {line['quantity']:g} @ {line['unit_price']:.2f}" for line in row["lines"])

    return [
        ("web.order.ordered_at", lambda r: r["at"]),
        (
            "web.visit.customer",
            lambda r: customers[r["order"].customer_id].name if r["order"].customer_id in customers else "",
        ),
        ("web.visit.rep", lambda r: people[r["order"].rep_id].display_name if r["order"].rep_id in people else ""),
        ("web.order.lines", lines),
        ("web.order.amount", lambda r: r["order"].amount),
    ]


def complaint_columns(request: WebRequest, customers: dict[str, Any]) -> list[Column]:
    label = enum_labeller(lang_of(request))
    return [
        ("web.complaint.received", lambda r: r["received"]),
        (
            "web.review.customer",
            lambda r: customers[r["complaint"].customer_id].name if r["complaint"].customer_id in customers else "",
        ),
        ("web.complaint.category", lambda r: label("ComplaintCategory", r["complaint"].category)),
        ("web.complaint.severity", lambda r: label("Severity", r["complaint"].severity)),
        ("web.complaint.status", lambda r: label("ComplaintStatus", r["complaint"].status)),
        ("web.complaint.description", lambda r: r["complaint"].description),
        ("web.complaint.solution", lambda r: r["complaint"].solution),
        ("web.complaint.answer_due", lambda r: r["due"]),
        ("web.complaint.overdue", lambda r: r["overdue"]),
    ]


def flagged_columns(
    request: WebRequest, customers: dict[str, Any], people: dict[str, Any], clocks: dict[str, int | None]
) -> list[Column]:
    """`clocks`: each visit's phone clock at upload (server/domains/chain/service.py `upload_clocks`)."""
    label = enum_labeller(lang_of(request))
    return [
        ("web.visit.check_in", lambda r: r["check_in"]),
        ("web.visit.rep", lambda r: people[r["visit"].rep_id].display_name if r["visit"].rep_id in people else ""),
        (
            "web.visit.customer",
            lambda r: customers[r["visit"].customer_id].name if r["visit"].customer_id in customers else "",
        ),
        ("web.export.lat", lambda r: r["visit"].check_in_lat),
        ("web.export.lng", lambda r: r["visit"].check_in_lng),
        ("web.export.accuracy", lambda r: r["visit"].check_in_accuracy),
        ("web.flagged.flags", lambda r: "、".join(label("VisitFlag", flag) for flag in r["visit"].flags or [])),
        ("web.flagged.reasons", lambda r: flag_reasons_text(r["visit"], lang_of(request))),
        ("web.flagged.codes", lambda r: ",".join(r["visit"].flags or [])),
        ("web.visit.type_fields", lambda r: type_fields_text(r["visit"], lang_of(request))),
        ("web.flagged.upload_clock", lambda r: upload_clock_text(clocks, r["visit"].id, lang_of(request))),
        ("web.flagged.upload_clock_s", lambda r: clocks.get(r["visit"].id)),
    ]


def upload_clock_text(clocks: dict[str, int | None], visit_id: str, lang: str) -> str:
    """The phone's clock when it uploaded the visit, in words: "时钟慢 3 小时 12 分", "时钟准确", "未报告" (the push
    said nothing); empty for a visit no phone's op wrote (made on the server)."""
    if visit_id not in clocks:
        return ""
    offset = clocks[visit_id]
    return t("web.flagged.upload_clock_unknown", lang) if offset is None else clock_words(offset, lang)


def flag_reasons_text(visit: Any, lang: str) -> str:
    """Each flag with its reason and figures in one cell: "name: reason; name: reason" (docs/visits.md)."""
    return "; ".join(f"{name}: {reason}" if reason else name for _code, name, reason in visit.flag_reasons(lang))


def type_fields_text(visit: Any, lang: str) -> str:
    """A visit type's own fields in one cell: "label: value; label: value" (docs/visits.md)."""
    return "; ".join(f"{caption}: {text}" for _name, caption, text in visit.type_details(lang))


def audit_columns(request: WebRequest) -> list[Column]:
    lang = lang_of(request)
    return [
        ("web.review.when", lambda r: r["at"]),
        ("web.audit.action", lambda r: t("web.audit.action." + r["event"].action, lang)),
        ("web.audit.who", lambda r: r["event"].actor_name),
        ("web.audit.address", lambda r: r["event"].ip),
        ("web.export.details", lambda r: _details(r["event"].details)),
    ]


def _details(details: dict[str, Any] | None) -> str:
    return json.dumps(details, ensure_ascii=False, sort_keys=True) if details else ""
