"""Reads for the back-office dashboard: identifications by status over recent windows, overall and for the busiest
organizations, and what happened per day over the last 30 days.

Four aggregate statements, whatever the size of the tables or the number of organizations. Each one filters on a
time window first (so the created_at indexes bound the rows read) and groups in the database:

1. counts by status for every window (one row of conditional counts);
2. the top organizations of one window, grouped by organization, with their counts by status;
3. identifications created per day (Identification.created_at);
4. transitions per day and status (IdentificationEvent.to_status, created_at).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from identifications.models import Identification, IdentificationEvent

Status = Identification.Status

# The order of the status columns on the dashboard: open first, then the outcomes.
STATUSES = (Status.PENDING, Status.VERIFIED, Status.REJECTED, Status.CLOSED, Status.EXPIRED)


@dataclass(frozen=True)
class Window:
    key: str
    label: str
    length: timedelta


WINDOWS = (
    Window("24h", _("Last 24 hours"), timedelta(hours=24)),
    Window("7d", _("Last 7 days"), timedelta(days=7)),
    Window("30d", _("Last 30 days"), timedelta(days=30)),
)
WINDOWS_BY_KEY = {window.key: window for window in WINDOWS}
DEFAULT_WINDOW = "7d"
TOP_ORGANIZATIONS = 10
CHART_DAYS = 30
# What the chart draws, each from one place: creations from the identifications, the rest from the audit events.
CREATED = "CREATED"
CHART_SERIES = (CREATED, Status.VERIFIED, Status.REJECTED, Status.CLOSED, Status.EXPIRED)


@dataclass(frozen=True)
class StatusCounts:
    """How many identifications are in each status now; `counts` is keyed by Status value."""

    counts: dict

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def failure_rate(self) -> float | None:
        """REJECTED / (VERIFIED + REJECTED): the share of finished validations that failed; None when none did."""
        finished = self.counts[Status.VERIFIED] + self.counts[Status.REJECTED]
        if not finished:
            return None
        return self.counts[Status.REJECTED] / finished

    @property
    def failure_percentage(self) -> float | None:
        rate = self.failure_rate
        return None if rate is None else rate * 100

    @property
    def cells(self) -> list[tuple[str, int]]:
        """(status, count) in column order, for templates."""
        return [(status, self.counts[status]) for status in STATUSES]


@dataclass(frozen=True)
class WindowCounts:
    window: Window
    counts: StatusCounts


@dataclass(frozen=True)
class OrganizationCounts:
    slug: str
    name: str
    counts: StatusCounts


@dataclass(frozen=True)
class DailyActivity:
    """`series[name][i]` is how many identifications were created (CREATED) or reached a status on `days[i]`."""

    days: list[date]
    series: dict


@dataclass(frozen=True)
class Dashboard:
    now: datetime
    windows: list[WindowCounts]
    window: Window
    organizations: list[OrganizationCounts]
    activity: DailyActivity


def _created_between(since, now):
    return Identification.objects.filter(created_at__gte=since, created_at__lte=now)


def status_counts_by_window(*, now=None) -> list[WindowCounts]:
    """Identifications created in each window (24 hours, 7 and 30 days up to `now`), by their status now. One query."""
    now = now or timezone.now()
    longest = max(window.length for window in WINDOWS)
    row = (
        _created_between(now - longest, now)
        .with_current_status(now)
        .aggregate(
            **{
                f"{window.key}_{status}": Count(
                    "pk", filter=Q(created_at__gte=now - window.length, current_status=status)
                )
                for window in WINDOWS
                for status in STATUSES
            }
        )
    )
    return [
        WindowCounts(window, StatusCounts({status: row[f"{window.key}_{status}"] for status in STATUSES}))
        for window in WINDOWS
    ]


def top_organizations(*, window: Window, now=None, limit: int = TOP_ORGANIZATIONS) -> list[OrganizationCounts]:
    """The `limit` organizations that created the most identifications in `window`, busiest first. One query."""
    now = now or timezone.now()
    rows = (
        _created_between(now - window.length, now)
        .with_current_status(now)
        .values("organization__slug", "organization__name")
        .annotate(
            total=Count("pk"),
            **{status: Count("pk", filter=Q(current_status=status)) for status in STATUSES},
        )
        .order_by("-total", "organization__slug")[:limit]
    )
    return [
        OrganizationCounts(
            slug=row["organization__slug"],
            name=row["organization__name"],
            counts=StatusCounts({status: row[status] for status in STATUSES}),
        )
        for row in rows
    ]


def daily_activity(*, now=None, days: int = CHART_DAYS) -> DailyActivity:
    """Per day (in the current time zone) for the last `days` days up to today: identifications created, and
    transitions to VERIFIED, REJECTED, CLOSED and EXPIRED as the audit trail recorded them. Two queries."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    first_day = today - timedelta(days=days - 1)
    since = timezone.make_aware(datetime.combine(first_day, time.min))
    day_list = [first_day + timedelta(days=offset) for offset in range(days)]
    position = {day: index for index, day in enumerate(day_list)}
    series = {name: [0] * days for name in CHART_SERIES}

    created = (
        _created_between(since, now)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(count=Count("pk"))
        .order_by("day")
    )
    for row in created:
        series[CREATED][position[row["day"]]] = row["count"]

    transitions = (
        IdentificationEvent.objects.filter(created_at__gte=since, created_at__lte=now, to_status__in=CHART_SERIES[1:])
        .annotate(day=TruncDate("created_at"))
        .values("day", "to_status")
        .annotate(count=Count("pk"))
        .order_by("day", "to_status")
    )
    for row in transitions:
        series[row["to_status"]][position[row["day"]]] = row["count"]
    return DailyActivity(days=day_list, series=series)


def dashboard_get(*, window_key: str = DEFAULT_WINDOW, now=None, limit: int = TOP_ORGANIZATIONS) -> Dashboard:
    """Everything the dashboard shows, in four queries. An unknown window key means the default window."""
    now = now or timezone.now()
    window = WINDOWS_BY_KEY.get(window_key, WINDOWS_BY_KEY[DEFAULT_WINDOW])
    return Dashboard(
        now=now,
        windows=status_counts_by_window(now=now),
        window=window,
        organizations=top_organizations(window=window, now=now, limit=limit),
        activity=daily_activity(now=now),
    )
