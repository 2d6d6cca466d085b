"""The back-office dashboard at /admin/dashboard/, linked from the admin index: counts by status for the last 24
hours, 7 and 30 days, overall and for the busiest organizations, and a per-day chart of the last 30 days.

The chart is inline SVG laid out here and drawn by the template: no JavaScript, no CDN, works offline. The numbers
come from identifications.selectors.dashboard in four aggregate queries, however big the tables are.
"""

import math
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.dateformat import format as format_date
from django.utils.translation import gettext, ngettext_lazy, pgettext_lazy

from identifications.admin.display import STATUS_COLOURS
from identifications.admin.pages import admin_page_context
from identifications.models import Identification
from identifications.permissions import CAN_VIEW_IDENTIFICATIONS
from identifications.selectors.dashboard import CHART_SERIES, CREATED, STATUSES, WINDOWS, dashboard_get

Status = Identification.Status

DASHBOARD_URL_NAME = "dashboard"
WINDOW_PARAMETER = "window"

# Counts of identifications ("3 verified"): a context of their own, since some languages inflect them unlike the
# status names.
SERIES_LABELS = {
    CREATED: pgettext_lazy("dashboard series", "Created"),
    Status.VERIFIED: pgettext_lazy("dashboard series", "Verified"),
    Status.REJECTED: pgettext_lazy("dashboard series", "Rejected"),
    Status.CLOSED: pgettext_lazy("dashboard series", "Closed"),
    Status.EXPIRED: pgettext_lazy("dashboard series", "Expired"),
}
# "3 verified": `SERIES_COUNTS[key] % {"count": 3}` picks the language's plural form.
SERIES_COUNTS = {
    CREATED: ngettext_lazy("%(count)d created", "%(count)d created", "count"),
    Status.VERIFIED: ngettext_lazy("%(count)d verified", "%(count)d verified", "count"),
    Status.REJECTED: ngettext_lazy("%(count)d rejected", "%(count)d rejected", "count"),
    Status.CLOSED: ngettext_lazy("%(count)d closed", "%(count)d closed", "count"),
    Status.EXPIRED: ngettext_lazy("%(count)d expired", "%(count)d expired", "count"),
}
# Django's date format ("05 Nov" in English): strftime's %b would name months in English whatever the language.
DAY_FORMAT, DATE_FORMAT = "d M", "d M Y"
# Creations have no status colour of their own; the others wear their status badge's colour.
SERIES_COLOURS = {CREATED: "#1565c0", **STATUS_COLOURS}

# The SVG's coordinate system (it scales to the page's width); the plot sits inside the margins.
CHART_WIDTH, CHART_HEIGHT = 960, 300
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 48, 32, 16, 36
X_LABEL_EVERY = 5  # days


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class ChartSeries:
    key: str
    label: str
    colour: str
    total: int
    points: list[ChartPoint]

    @property
    def polyline(self) -> str:
        return " ".join(f"{point.x:.1f},{point.y:.1f}" for point in self.points)


@dataclass(frozen=True)
class ChartTick:
    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    series: list[ChartSeries]
    y_ticks: list[ChartTick]
    x_ticks: list[ChartTick]
    description: str


def nice_axis_maximum(value: int, *, ticks: int = 4) -> tuple[int, int]:
    """(maximum, step) of a y axis that shows `value`: steps of 1, 2 or 5 times a power of ten."""
    if value <= ticks:
        return ticks, 1
    rough = value / ticks
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(multiple * magnitude for multiple in (1, 2, 5, 10) if multiple * magnitude >= rough)
    return step * math.ceil(value / step), step


def build_chart(activity) -> Chart:
    days = activity.days
    peak = max((max(values) for values in activity.series.values()), default=0)
    y_max, y_step = nice_axis_maximum(peak)
    plot_left, plot_right = MARGIN_LEFT, CHART_WIDTH - MARGIN_RIGHT
    plot_top, plot_bottom = MARGIN_TOP, CHART_HEIGHT - MARGIN_BOTTOM
    x_step = (plot_right - plot_left) / max(len(days) - 1, 1)

    def x(index: int) -> float:
        return plot_left + index * x_step

    def y(value: int) -> float:
        return plot_bottom - value * (plot_bottom - plot_top) / y_max

    series = []
    for key in CHART_SERIES:
        values = activity.series[key]
        count = SERIES_COUNTS[key]
        points = [
            ChartPoint(x(index), y(value), f"{format_date(day, DAY_FORMAT)}: {count % {'count': value}}")
            for index, (day, value) in enumerate(zip(days, values, strict=True))
        ]
        series.append(ChartSeries(key, SERIES_LABELS[key], SERIES_COLOURS[key], sum(values), points))

    # Label the last day (today) and every fifth day back from it, so the labels never collide.
    last = len(days) - 1
    labelled = reversed(range(last, -1, -X_LABEL_EVERY))
    x_ticks = [ChartTick(x(index), format_date(days[index], DAY_FORMAT)) for index in labelled]
    y_ticks = [ChartTick(y(value), str(value)) for value in range(0, y_max + 1, y_step)]
    totals = ", ".join(SERIES_COUNTS[item.key] % {"count": item.total} for item in series)
    description = gettext("Per day from %(first)s to %(last)s: %(totals)s.") % {
        "first": format_date(days[0], DATE_FORMAT),
        "last": format_date(days[-1], DATE_FORMAT),
        "totals": totals,
    }
    return Chart(
        CHART_WIDTH,
        CHART_HEIGHT,
        plot_left,
        plot_right,
        plot_top,
        plot_bottom,
        series,
        y_ticks,
        x_ticks,
        description,
    )


def has_dashboard_permission(request) -> bool:
    return request.user.has_perm(CAN_VIEW_IDENTIFICATIONS)  # every organization's volumes, like the list


def dashboard_view(request, *, site):
    if not has_dashboard_permission(request):
        raise PermissionDenied
    dashboard = dashboard_get(window_key=request.GET.get(WINDOW_PARAMETER, ""))
    activity = dashboard.activity
    context = admin_page_context(
        request,
        site=site,
        title=gettext("Dashboard"),
        dashboard=dashboard,
        windows=WINDOWS,
        window_parameter=WINDOW_PARAMETER,
        statuses=[(status, Status(status).label, STATUS_COLOURS[status]) for status in STATUSES],
        chart=build_chart(activity),
        daily_rows=[
            (day, [activity.series[key][index] for key in CHART_SERIES]) for index, day in enumerate(activity.days)
        ][::-1],
        series_labels=[SERIES_LABELS[key] for key in CHART_SERIES],
    )
    return TemplateResponse(request, "admin/dashboard.html", context)
