"""The supervisor web view (server-rendered, no scripts): the routes of every page module, in one list.

Each page module holds its controller and imports the helpers every page uses from server/web/pages.py;
this module only assembles them, so nothing imports it but the app.
"""

from __future__ import annotations

from litestar import Controller

from server.web.admin import AdminPages
from server.web.approvals import ApprovalPages
from server.web.attendance import AttendancePages
from server.web.board import BoardController
from server.web.campaigns import CampaignPages
from server.web.customer_edit import CustomerPages
from server.web.customer_list import CustomerListPage
from server.web.dashboard import DashboardPages
from server.web.development import DevelopmentPages
from server.web.devices import DevicePages
from server.web.duplicates import DuplicatePages
from server.web.holidays import HolidayPages
from server.web.import_sample import ImportSamplePage
from server.web.imports import ImportPages
from server.web.login import LoginController
from server.web.manifest import WebAppManifest
from server.web.ownership import OwnershipPages
from server.web.photos import PhotoPages
from server.web.pipeline import PipelinePages
from server.web.planner import PlannerPages
from server.web.queues import QueuePages
from server.web.targets import TargetPages
from server.web.work_reports import WorkReportPages

WEB_CONTROLLERS: list[type[Controller]] = [
    LoginController,
    BoardController,
    CustomerPages,
    DevelopmentPages,
    DashboardPages,
    PlannerPages,
    CustomerListPage,
    DuplicatePages,
    QueuePages,
    DevicePages,
    CampaignPages,
    TargetPages,
    PhotoPages,
    ImportPages,
    ImportSamplePage,
    AdminPages,
    HolidayPages,
    PipelinePages,
    WebAppManifest,
    WorkReportPages,
    AttendancePages,
    OwnershipPages,
    ApprovalPages,
]
