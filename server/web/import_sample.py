"""A sample customer file to download from the import page: every column the import reads (the headers the page
lists, in the reader's language) and two rows that pass the check as they are, in the supervisor's territory.

Built from the importer's own column list (server/domains/imports/validation.py COLUMNS), so it cannot drift
from what the import accepts. UTF-8 with a BOM: Excel opens the Chinese headers right.
"""

from __future__ import annotations

import csv
import io

from litestar import Controller, Response, get

from server.actor import Actor
from server.dependencies import ReadSession, api_dependencies
from server.domains.imports.validation import COLUMNS
from server.domains.territories.service import known_territories
from server.web.i18n import lang_of
from server.web.pages import WebRequest, supervisors_only
from shared.enums import CustomerKind, CustomerStatus, Importance
from shared.i18n import label, t

SAMPLE_PATH = "/customers/import/sample.csv"
SAMPLE_FILE_NAME = "customer-import-sample.csv"


def sample_header(lang: str) -> list[str]:
    """The headers as the import page lists them: the first Chinese name, or the English one."""
    return [aliases[0] if lang == "zh-CN" else aliases[-1] for aliases in COLUMNS.values()]


def sample_rows(lang: str, territory: str) -> list[dict[str, str]]:
    """Two customers by field name; a column the import reads but the sample does not fill stays empty."""
    return [
        {
            "name": t("web.import.sample.name_1", lang),
            "kind": label(CustomerKind.CLINIC, lang),
            "address": t("web.import.sample.address_1", lang),
            "phone": "0312-7000001",
            "territory": territory,
            "importance": label(Importance.NORMAL, lang),
            "status": label(CustomerStatus.PROSPECT, lang),
            "lat": "38.70760",
            "lng": "115.15560",
            "contact_person": t("web.import.sample.contact_1", lang),
        },
        {
            "name": t("web.import.sample.name_2", lang),
            "kind": label(CustomerKind.PHARMACY, lang),
            "address": t("web.import.sample.address_2", lang),
            "phone": "0312-7000002",
            "territory": territory,
            "importance": label(Importance.KEY, lang),
            "door_hours": "1-7 08:00-10:00",  # the owner receives reps before 10:00 (docs/routes.md)
        },
    ]


def sample_csv(lang: str, territory: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(sample_header(lang))
    for row in sample_rows(lang, territory):
        writer.writerow([row.get(name, "") for name in COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def sample_territory(actor: Actor, territories: list[str]) -> str:
    """The supervisor's own territory (the only one they may import into); for the company, the first one."""
    return actor.territory or (territories[0] if territories else "")


class ImportSamplePage(Controller):
    path = SAMPLE_PATH
    guards = (supervisors_only,)
    include_in_schema = False
    dependencies = api_dependencies()

    @get("/", sync_to_thread=True)
    def sample(self, request: WebRequest, session: ReadSession) -> Response[bytes]:
        territory = sample_territory(request.user, known_territories(session))
        return Response(
            sample_csv(lang_of(request), territory),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{SAMPLE_FILE_NAME}"'},
        )
