"""日报 / 周报: reps' reports as phones push them, the supervisor's comment, the figures the server computes from
its own records (never the phone's), who has not submitted, and the leaderboards (排行榜).

The figures follow shared/work_reports.py's definitions, from the same aggregates as the dashboard
(server/domains/reports/service.py: the seeds' daily tallies, orders per rep and day) and the targets' "new
customer" (server/domains/targets/service.py: the first order ever, credited to the rep who took it).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from server.actor import Actor
from server.changes.log import record_change, record_data, rep_audience
from server.changes.models import ChangeLog
from server.clock import local_day, now_iso
from server.db import write_session
from server.domains.access import check_fields, lookup, refuse_problems, remember
from server.domains.complaints.models import Complaint
from server.domains.customers.service import customers_by_id
from server.domains.reports.period import Period, PeriodKind, Scope, period_of
from server.domains.reports.service import day_tallies, orders_per_rep_day
from server.domains.routes.models import RoutePlan
from server.domains.targets.service import _new_customers_by_rep
from server.domains.teams import sees, team_of
from server.domains.users.models import User
from server.domains.users.service import list_reps
from server.domains.work_reports.models import WorkReport
from server.errors import Conflict, Forbidden, NotFound, ValidationFailed
from server.settings import Settings
from shared.enums import RecordKind, ReportPeriod
from shared.records import text
from shared.work_reports import ReportFigures, next_period, period_days, sum_tallies
from shared.work_reports import report_problems as shared_report_problems

MAX_COMMENT = 1000
comment_problem = text(MAX_COMMENT, 1)


def report_data(report: WorkReport) -> dict[str, Any]:
    """The report as the rep's phone receives it (the comment with it)."""
    return record_data(report)


def _store(session: Session, report: WorkReport) -> None:
    """Add the report and its change for the rep's phones only (a report is the rep's and their supervisor's)."""
    session.add(report)
    remember(session, report)
    record_change(
        session,
        RecordKind.WORK_REPORT,
        report.id,
        audience=rep_audience(report.rep_id),
        territory=report.territory,
        data=report_data(report),
    )


def put_work_report(
    session: Session,
    actor: Actor,
    report_id: str,
    fields: Mapping[str, Any],
    *,
    today: dt.date,
    path: str = "work_report",
) -> WorkReport:
    """A rep's report written or changed on the phone (its summary and next focus; its period never changes).

    Refused, nothing stored: a writer who is not a rep (403), another rep's report (403), bad fields or a
    week not starting on a Monday or a period not begun (422 invalid_record naming the field), another id for a
    period the rep already reported (409 conflict, `details.reason` `report_exists`)."""
    if not actor.is_rep:
        raise Forbidden("only reps write work reports; supervisors comment on them", path=path)
    report = lookup(session, WorkReport, report_id)
    check_fields(RecordKind.WORK_REPORT, fields, creating=report is None, path=path)
    if report is not None and report.rep_id != actor.id:
        raise Forbidden("only the rep who wrote a report may change it", path=path)
    stored = {} if report is None else {"period": report.period, "starts_on": report.starts_on.isoformat()}
    for name, value in stored.items():
        if name in fields and fields[name] != value:
            raise ValidationFailed(
                f"{name} of a stored report never changes (it is {value})",
                path=f"{path}.fields.{name}",
                details={"reason": "report_period_is_final"},
            )
    whole: dict[str, Any] = {**(report_fields(report) if report else {}), **fields}
    refuse_problems(shared_report_problems(whole, today), f"{path}.fields")
    starts_on = dt.date.fromisoformat(str(whole["starts_on"]))
    if report is None:
        other = session.exec(
            select(WorkReport).where(
                WorkReport.rep_id == actor.id, WorkReport.period == whole["period"], WorkReport.starts_on == starts_on
            )
        ).first()
        if other is not None:
            raise Conflict(
                f"you already reported this {whole['period']} (report {other.id})",
                path=path,
                details={"reason": "report_exists", "report_id": other.id},
            )
        now = now_iso()
        report = WorkReport(
            id=report_id,
            period=str(whole["period"]),
            starts_on=starts_on,
            summary=str(whole["summary"]),
            next_focus=whole.get("next_focus"),
            submitted_at=str(whole["submitted_at"]),
            rep_id=actor.id,
            territory=actor.territory or "",
            created_at=now,
            updated_at=now,
        )
    else:
        for name in ("summary", "next_focus", "submitted_at"):
            if name in fields:
                setattr(report, name, fields[name])
        report.updated_at = now_iso()
    _store(session, report)
    return report


def report_fields(report: WorkReport) -> dict[str, Any]:
    """The fields a phone writes, as stored."""
    return {
        "period": report.period,
        "starts_on": report.starts_on.isoformat(),
        "summary": report.summary,
        "next_focus": report.next_focus,
        "submitted_at": report.submitted_at,
    }


def comment_on_report(session: Session, actor: Actor, report_id: str, comment: str) -> WorkReport:
    """The supervisor's comment (点评) on a report of their team; the rep's phone receives it at its next pull.
    A new comment replaces the last one."""
    if actor.is_rep:
        raise Forbidden("only supervisors comment on reports", path="comment")
    report = session.get(WorkReport, report_id)
    if report is None or not sees(actor, report.territory):  # another team's report is unknown here
        raise NotFound("no such report", path="report_id")
    comment = comment.strip()
    problem = comment_problem(comment)
    if problem:
        raise ValidationFailed(f"comment {problem}", path="comment", key="web.work_reports.comment_invalid")
    report.comment = comment
    report.commented_by, report.commented_by_name = actor.id, actor.display_name
    report.commented_at = report.updated_at = now_iso()
    _store(session, report)
    return report


# --- figures -----------------------------------------------------------------------------------------------


def _complaints_by_rep(
    session: Session, rep_ids: Sequence[str], start: dt.date, end: dt.date, tz: ZoneInfo
) -> dict[str, int]:
    """Complaints each rep recorded, received in [start, end] (local days; the text range widened a day each
    side, the exact day checked here: `received_at` keeps the device's offset)."""
    if not rep_ids:
        return {}
    query = select(Complaint.reported_by, Complaint.received_at).where(
        col(Complaint.reported_by).in_(sorted(rep_ids)),
        col(Complaint.received_at) >= (start - dt.timedelta(days=1)).isoformat(),
        col(Complaint.received_at) < (end + dt.timedelta(days=2)).isoformat(),
    )
    counts: dict[str, int] = {}
    for rep_id, received_at in session.exec(query).all():
        if start <= local_day(received_at, tz) <= end:
            counts[rep_id] = counts.get(rep_id, 0) + 1
    return counts


def _plans(
    session: Session, rep_ids: Sequence[str], start: dt.date, end: dt.date
) -> dict[tuple[str, dt.date], list[str]]:
    if not rep_ids:
        return {}
    query = select(col(RoutePlan.rep_id), col(RoutePlan.day), col(RoutePlan.customer_ids)).where(
        col(RoutePlan.rep_id).in_(sorted(rep_ids)), col(RoutePlan.day) >= start, col(RoutePlan.day) <= end
    )
    return {(rep_id, day): list(ids) for rep_id, day, ids in session.exec(query).all()}


def figures_of_reps(
    session: Session,
    rep_ids: Iterable[str],
    start: dt.date,
    end: dt.date,
    tz: ZoneInfo,
    *,
    today: dt.date,
    period: ReportPeriod | None = None,
) -> dict[str, ReportFigures]:
    """Each rep's figures over [start, end] from the server's records; plans after `today` count in no rate.
    With a report `period`, the next day's or week's plan too."""
    ids = sorted(set(rep_ids))
    if not ids:
        return {}
    scope = Scope(rep_ids=frozenset(ids))
    last = min(end, today)
    tallies = day_tallies(session, scope, start, last) if last >= start else {}
    orders = orders_per_rep_day(session, scope, start, end)
    new_customers = _new_customers_by_rep(session, start, end)
    complaints = _complaints_by_rep(session, ids, start, end, tz)
    following = next_period(period, start, end) if period is not None else None
    plans = _plans(session, ids, *following) if following else {}
    figures: dict[str, ReportFigures] = {}
    for rep_id in ids:
        rep_orders = [value for (rep, _), value in orders.items() if rep == rep_id]
        next_ids = plans.get((rep_id, following[0]), []) if following and period is ReportPeriod.DAY else []
        figures[rep_id] = ReportFigures(
            start=start,
            end=end,
            tally=sum_tallies(tally for (rep, _), tally in tallies.items() if rep == rep_id),
            orders=sum(n for n, _ in rep_orders),
            amount=round(sum(amount for _, amount in rep_orders), 2),
            new_customers=new_customers.get(rep_id, 0),
            complaints=complaints.get(rep_id, 0),
            next_customer_ids=list(dict.fromkeys(next_ids)),
            next_planned=sum(len(set(ids_)) for (rep, _), ids_ in plans.items() if rep == rep_id),
        )
    return figures


def report_figures(
    session: Session, rep_id: str, period: ReportPeriod, starts_on: dt.date, tz: ZoneInfo, *, today: dt.date
) -> ReportFigures:
    start, end = period_days(period, starts_on)
    return figures_of_reps(session, [rep_id], start, end, tz, today=today, period=period)[rep_id]


# --- the supervisor's view of the team ---------------------------------------------------------------------


def team_territory(actor: Actor, territory: str | None) -> str | None:
    """The territory whose reports the actor reads: a supervisor of a team that team (asking for another is
    refused), others the one asked for or every territory."""
    team = team_of(actor)
    if actor.is_rep:
        raise Forbidden("reps read their reports on the phone", path="territory")
    if team is not None and territory and territory != team:
        raise Forbidden(f"you see your own territory ({team}) only", path="territory")
    return team or territory or None


@dataclass(frozen=True)
class TeamReport:
    rep: User
    report: WorkReport | None  # None: not submitted
    figures: ReportFigures


@dataclass(frozen=True)
class TeamReports:
    period: ReportPeriod
    start: dt.date
    end: dt.date
    rows: list[TeamReport]
    days: list[dt.date]  # the week of `start`, for who submitted a day report on which day
    submitted: dict[tuple[str, dt.date], bool]  # (rep id, day) -> a day report exists
    customer_names: dict[str, str]  # of the customers planned next (a day report's tomorrow)

    @property
    def missing(self) -> list[User]:
        return [row.rep for row in self.rows if row.report is None]


def reports_of(session: Session, rep_ids: Sequence[str], period: ReportPeriod, start: dt.date) -> dict[str, WorkReport]:
    if not rep_ids:
        return {}
    query = select(WorkReport).where(
        col(WorkReport.rep_id).in_(sorted(rep_ids)), WorkReport.period == period.value, WorkReport.starts_on == start
    )
    return {report.rep_id: report for report in session.exec(query).all()}


def day_submissions(
    session: Session, rep_ids: Sequence[str], days: Sequence[dt.date]
) -> dict[tuple[str, dt.date], bool]:
    """For each rep and day: whether that day's report was submitted."""
    if not rep_ids or not days:
        return {}
    query = select(col(WorkReport.rep_id), col(WorkReport.starts_on)).where(
        col(WorkReport.rep_id).in_(sorted(rep_ids)),
        WorkReport.period == ReportPeriod.DAY.value,
        col(WorkReport.starts_on) >= min(days),
        col(WorkReport.starts_on) <= max(days),
    )
    found = set(session.exec(query).all())
    return {(rep_id, day): (rep_id, day) in found for rep_id in rep_ids for day in days}


def team_reports(
    session: Session,
    actor: Actor,
    period: ReportPeriod,
    day: dt.date,
    tz: ZoneInfo,
    *,
    today: dt.date,
    territory: str | None = None,
) -> TeamReports:
    """The team's reports of the period containing `day`, each rep with the server's figures (submitted or
    not), and the week's day reports submitted per rep and day."""
    reps = list_reps(session, team_territory(actor, territory))
    ids = [rep.id for rep in reps]
    start, end = period_days(period, day)
    reports = reports_of(session, ids, period, start)
    figures = figures_of_reps(session, ids, start, end, tz, today=today, period=period)
    next_ids = {customer_id for one in figures.values() for customer_id in one.next_customer_ids}
    names = {customer_id: customer.name for customer_id, customer in customers_by_id(session, next_ids).items()}
    week_start, _ = period_days(ReportPeriod.WEEK, day)
    days = [week_start + dt.timedelta(days=n) for n in range(7)]
    return TeamReports(
        period=period,
        start=start,
        end=end,
        rows=[TeamReport(rep, reports.get(rep.id), figures[rep.id]) for rep in reps],
        days=days,
        submitted=day_submissions(session, ids, [d for d in days if d <= today]),
        customer_names=names,
    )


# --- leaderboards ----------------------------------------------------------------------------------------


LEADERBOARD_MEASURES = ("completion", "success", "amount", "new_customers")
LEADERBOARD_PERIODS = (PeriodKind.DAY, PeriodKind.WEEK, PeriodKind.MONTH)


@dataclass(frozen=True)
class Ranked:
    rank: int
    rep: User
    value: float | None  # None: not defined (nothing planned, nothing visited): ranked last, shown as —


@dataclass(frozen=True)
class Leaderboard:
    period: Period
    territory: str | None
    rankings: dict[str, list[Ranked]]  # measure -> reps best first

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.kind.value,
            "starts_on": self.period.start.isoformat(),
            "ends_on": self.period.end.isoformat(),
            "territory": self.territory or "",
            "rankings": {
                measure: [
                    {"rank": row.rank, "rep_id": row.rep.id, "name": row.rep.display_name, "value": row.value}
                    for row in rows
                ]
                for measure, rows in self.rankings.items()
            },
        }


def measure_value(figures: ReportFigures, measure: str) -> float | None:
    if measure == "completion":
        return figures.completion_rate
    if measure == "success":
        return figures.success_rate
    if measure == "amount":
        return figures.amount
    return float(figures.new_customers)


def rank(reps: Sequence[User], values: Mapping[str, float | None]) -> list[Ranked]:
    """Best first; equal values share a rank (1, 1, 3); undefined values last, unranked among themselves."""
    ordered = sorted(reps, key=lambda rep: (values[rep.id] is None, -(values[rep.id] or 0), rep.display_name))
    rows: list[Ranked] = []
    for position, rep in enumerate(ordered, start=1):
        value = values[rep.id]
        same = rows and rows[-1].value == value
        rows.append(Ranked(rows[-1].rank if same else position, rep, value))
    return rows


def leaderboard(
    session: Session, territory: str | None, kind: PeriodKind, day: dt.date, tz: ZoneInfo, *, today: dt.date
) -> Leaderboard:
    """The reps of a territory (None: the company) ranked by 完成率, 成功率, order amount and new customers over
    the period of `kind` containing `day`; days after `today` count in no rate."""
    if kind not in LEADERBOARD_PERIODS:
        raise ValidationFailed(f"period must be one of {', '.join(LEADERBOARD_PERIODS)}", path="period")
    period = period_of(kind, day)
    reps = list_reps(session, territory)
    figures = figures_of_reps(session, [rep.id for rep in reps], period.start, period.end, tz, today=today)
    rankings = {
        measure: rank(reps, {rep.id: measure_value(figures[rep.id], measure) for rep in reps})
        for measure in LEADERBOARD_MEASURES
    }
    return Leaderboard(period, territory, rankings)


# --- leaderboards on the reps' phones (LEADERBOARD_ON_PHONE) ---------------------------------------------------

LEADERBOARD_NAMESPACE = uuid.UUID("0d7f2b8e-6a51-4c3e-9f0a-2b6c8d4e1f73")


def leaderboard_id(territory: str, kind: PeriodKind, start: dt.date) -> str:
    """One record per territory and period: a newer ranking of the same period replaces it on the phones."""
    return str(uuid.uuid5(LEADERBOARD_NAMESPACE, f"{territory}:{kind.value}:{start.isoformat()}"))


def publish_leaderboards(session: Session, territory: str, tz: ZoneInfo, now: dt.datetime) -> int:
    """The territory's day, week and month leaderboards (today's) as `leaderboard` records for its phones; a
    ranking unchanged since it was last sent is not sent again. Returns how many were sent."""
    day = now.astimezone(tz).date()
    sent = 0
    for kind in LEADERBOARD_PERIODS:
        board = leaderboard(session, territory, kind, day, tz, today=day).as_dict()
        record_id = leaderboard_id(territory, kind, board_start(board))
        last = session.exec(
            select(ChangeLog.data).where(
                ChangeLog.kind == RecordKind.LEADERBOARD.value, ChangeLog.record_id == record_id
            )
        ).first()
        if isinstance(last, dict) and {k: v for k, v in last.items() if k != "computed_at"} == board:
            continue
        data = {**board, "computed_at": now.astimezone(tz).isoformat(timespec="seconds")}
        record_change(session, RecordKind.LEADERBOARD, record_id, audience=territory, territory=territory, data=data)
        sent += 1
    return sent


def board_start(board: Mapping[str, Any]) -> dt.date:
    return dt.date.fromisoformat(str(board["starts_on"]))


def rep_territories(session: Session) -> list[str]:
    """Every territory that has an active rep."""
    return sorted({rep.territory for rep in list_reps(session) if rep.territory})


def leaderboards_job(engine: Engine, settings: Settings, now: dt.datetime) -> int:
    """The scheduled job (server/app.py): every territory's leaderboards to its phones, when the company shows
    them on phones; nothing otherwise."""
    if not settings.leaderboard_on_phone:
        return 0
    with write_session(engine) as session:
        return sum(publish_leaderboards(session, territory, settings.tz, now) for territory in rep_territories(session))
