"""What waits for a supervisor, counted for every page's nav (`queue_counts`, a template global); the counts
come from the work queues' service (server/domains/queues/service.py), listed on the queues page
(server/web/queues.py)."""

from __future__ import annotations

from typing import Any

from server.actor import Actor
from server.domains.queues.service import QueueCounts, queue_counts_if_answered
from server.domains.teams import team_of
from shared.enums import Role


def nav_queue_counts(request: Any) -> QueueCounts | None:
    """For base.html: the counts for a signed-in supervisor's nav, None for anyone else (and on error pages
    raised before sign-in, or when the database does not answer)."""
    user = request.scope.get("user") if request is not None else None
    if not isinstance(user, Actor) or user.role not in (Role.SUPERVISOR, Role.ADMIN):
        return None
    state = request.app.state
    return queue_counts_if_answered(state.engine, state.settings, team_of(user))


def register_template_globals(engine: Any) -> None:
    """TemplateConfig.engine_callback: make `queue_counts(request)` callable from every template."""
    engine.engine.globals["queue_counts"] = nav_queue_counts
