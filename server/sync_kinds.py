"""The kinds of record phones push, each with the domain handler that applies it (server/changes/kinds.py).

The sync service names no domain: it is given this registry (by its controller). A kind missing here is
refused by a push even if shared.records lets devices write it (tests/unit/test_sync_kinds.py checks both agree).
"""

from __future__ import annotations

from server.changes.kinds import KindHandler
from server.domains.attendance import sync as attendance
from server.domains.campaigns import sync as campaigns
from server.domains.competitors import sync as competitors
from server.domains.complaints import sync as complaints
from server.domains.customers import sync as customers
from server.domains.duplicates.merge import following_merges
from server.domains.key_persons import sync as key_persons
from server.domains.notes import sync as notes
from server.domains.orders import sync as orders
from server.domains.ownership import sync as ownership
from server.domains.photos import sync as photos
from server.domains.pipeline import sync as pipeline
from server.domains.visits import sync as visits
from server.domains.work_reports import sync as work_reports
from shared.enums import RecordKind

_KINDS: dict[RecordKind, KindHandler] = {
    RecordKind.CUSTOMER: customers.CUSTOMER,
    RecordKind.VISIT: visits.VISIT,
    RecordKind.NOTE: notes.NOTE,
    RecordKind.KEY_PERSON: key_persons.KEY_PERSON,
    RecordKind.COMPLAINT: complaints.COMPLAINT,
    RecordKind.COMPLAINT_STEP: complaints.COMPLAINT_STEP,
    RecordKind.ORDER: orders.ORDER,
    RecordKind.COMPETITOR_REPORT: competitors.COMPETITOR_REPORT,
    RecordKind.VISIT_PHOTO: photos.VISIT_PHOTO,
    RecordKind.CAMPAIGN_RESULT: campaigns.CAMPAIGN_RESULT,
    RecordKind.OPPORTUNITY: pipeline.OPPORTUNITY,
    RecordKind.STAGE_EVENT: pipeline.STAGE_EVENT,
    RecordKind.WORK_REPORT: work_reports.WORK_REPORT,
    RecordKind.ATTENDANCE: attendance.ATTENDANCE,
    RecordKind.CUSTOMER_CLAIM: ownership.CUSTOMER_CLAIM,
}
# An op naming a customer merged into another (查重, issue #19) is applied to the survivor: a note written
# offline for the merged-away customer lands on the one kept, never lost.
SYNC_KINDS: dict[RecordKind, KindHandler] = {kind: following_merges(handler) for kind, handler in _KINDS.items()}
