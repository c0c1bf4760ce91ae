"""The supervisor's navigation: pages in six groups (today, customers, planning, results, review, admin).

At a desk each group is a drop-down on one line; on a phone the groups fold into a menu (base.html,
assets/web/app.css). The work queue's count sits outside both, so it is always in sight.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.actor import Actor
from shared.enums import Role


@dataclass(frozen=True)
class NavLink:
    key: str  # the label is web.nav.<key>
    path: str
    prefixes: tuple[str, ...]  # the pages it stands for: the longest matching prefix marks the current one
    admins_only: bool = False
    test_id: str = ""  # nav-<key> unless given

    @property
    def testid(self) -> str:
        return self.test_id or f"nav-{self.key}"


@dataclass(frozen=True)
class NavGroup:
    key: str  # the label is web.nav.group.<key>
    links: tuple[NavLink, ...]


NAV_GROUPS: tuple[NavGroup, ...] = (
    NavGroup(
        "today",
        (
            NavLink("board", "/board", ("/board",)),
            # nav-queues is the queue count beside the menu, always in sight (base.html)
            NavLink("queues", "/queues", ("/queues",), test_id="nav-queue-page"),
            NavLink("work_reports", "/reports", ("/reports",)),
            NavLink("attendance", "/attendance", ("/attendance",)),
            NavLink("approvals", "/approvals", ("/approvals",)),
        ),
    ),
    NavGroup(
        "customers",
        (
            NavLink("customers", "/customers", ("/customers",)),
            NavLink("pipeline", "/pipeline", ("/pipeline",)),
            NavLink("import", "/customers/import", ("/customers/import",)),
            NavLink("pool", "/pool", ("/pool",)),
            NavLink("handover", "/handover", ("/handover",)),
            NavLink("duplicates", "/customers/duplicates", ("/customers/duplicates",)),
        ),
    ),
    NavGroup(
        "planning",
        (
            NavLink("plans", "/plans", ("/plans",)),
            NavLink("campaigns", "/campaigns", ("/campaigns",)),
            NavLink("targets", "/targets", ("/targets",)),
        ),
    ),
    NavGroup(
        "results",
        (
            NavLink("dashboard", "/dashboard", ("/dashboard", "/reps/")),
            NavLink("leaderboard", "/reports/leaderboard", ("/reports/leaderboard",)),
            NavLink("orders", "/orders", ("/orders",)),
            NavLink("products", "/products", ("/products",)),
        ),
    ),
    NavGroup(
        "review",
        (
            NavLink("review", "/review", ("/review",)),
            NavLink("flagged", "/visits/flagged", ("/visits/flagged",)),
            NavLink("complaints", "/complaints", ("/complaints",)),
            NavLink("audit", "/audit", ("/audit",), admins_only=True),
        ),
    ),
    NavGroup(
        "admin",
        (
            NavLink("devices", "/devices", ("/devices",)),
            NavLink("admin", "/admin/users", ("/admin/users", "/admin/territories"), admins_only=True),
            NavLink("holidays", "/admin/holidays", ("/admin/holidays",), admins_only=True),
            NavLink("quarantine", "/quarantine", ("/quarantine",), admins_only=True),
        ),
    ),
)


@dataclass(frozen=True)
class ShownLink:
    link: NavLink
    current: bool


@dataclass(frozen=True)
class ShownGroup:
    group: NavGroup
    links: list[ShownLink]

    @property
    def current(self) -> bool:
        return any(shown.current for shown in self.links)


def _matches(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix if prefix.endswith("/") else prefix + "/")


def navigation(user: Any, path: str) -> list[ShownGroup]:
    """The groups and links `user` may open, the one for `path` marked current; none for reps and visitors."""
    if not isinstance(user, Actor) or user.role not in (Role.SUPERVISOR, Role.ADMIN):
        return []
    admin = user.role == Role.ADMIN
    links = [link for group in NAV_GROUPS for link in group.links if admin or not link.admins_only]
    best = max(
        ((len(prefix), link.key) for link in links for prefix in link.prefixes if _matches(path, prefix)),
        default=None,
    )
    current = best[1] if best else None
    shown = [
        ShownGroup(group, [ShownLink(link, link.key == current) for link in group.links if link in links])
        for group in NAV_GROUPS
    ]
    return [group for group in shown if group.links]
