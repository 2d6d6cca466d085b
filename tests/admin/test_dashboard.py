"""The back-office dashboard at /admin/dashboard/: numbers by window and organization, the per-day chart, who may
see it, and a query count that does not grow with the tables."""

from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from identifications.admin.dashboard import nice_axis_maximum
from identifications.models import Identification
from identifications.selectors.dashboard import (
    CREATED,
    WINDOWS_BY_KEY,
    daily_activity,
    dashboard_get,
    top_organizations,
)
from tests.activity import spread_activity
from tests.admin import log_in
from tests.factories import IdentificationWithHistoryFactory, OrganizationFactory

DASHBOARD = reverse("admin:dashboard")
INDEX = reverse("admin:index")
VIEW = "identifications.view_identification"
Status = Identification.Status

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def activity(db):
    """Three organizations' identifications at known times, and a fourth organization with none.

    Windows end at NOW (15 Mar 12:00 UTC): 24 hours from 14 Mar 12:00, 7 days from 8 Mar 12:00, 30 days from
    13 Feb 12:00. The chart covers the 30 calendar days 14 Feb - 15 Mar.
    """
    acme, globex, initech = (OrganizationFactory(slug=slug) for slug in ("acme", "globex", "initech"))
    OrganizationFactory(slug="umbrella")
    add = IdentificationWithHistoryFactory
    # acme: three today, one 3 days ago, one 20 days ago still PENDING but past its expiry (so: expired).
    add(organization=acme, created_at=NOW - HOUR, status=Status.VERIFIED, ended_at=NOW - HOUR / 2)
    add(organization=acme, created_at=NOW - 2 * HOUR, status=Status.REJECTED, ended_at=NOW - HOUR)
    add(organization=acme, created_at=NOW - 3 * HOUR)
    add(organization=acme, created_at=NOW - 3 * DAY, status=Status.CLOSED, ended_at=NOW - 3 * DAY + HOUR)
    add(organization=acme, created_at=NOW - 20 * DAY, expires_at=NOW - 13 * DAY)
    # globex: two rejected in the last week (both on 10 Mar), one expired by the expiry run 3 days ago.
    add(organization=globex, created_at=NOW - 5 * DAY, status=Status.REJECTED, ended_at=NOW - 5 * DAY + HOUR)
    add(organization=globex, created_at=NOW - 6 * DAY, status=Status.REJECTED, ended_at=NOW - 5 * DAY)
    add(organization=globex, created_at=NOW - 10 * DAY, status=Status.EXPIRED, ended_at=NOW - 3 * DAY)
    # initech: one 25 hours ago (in 7 days, not in 24 hours), one on the chart's first day, one before every window.
    add(organization=initech, created_at=NOW - 25 * HOUR, status=Status.VERIFIED, ended_at=NOW - 24 * HOUR - HOUR / 2)
    feb_14 = datetime(2026, 2, 14, 0, 30, tzinfo=UTC)
    add(organization=initech, created_at=feb_14, status=Status.VERIFIED, ended_at=feb_14 + HOUR / 6)
    add(organization=initech, created_at=NOW - 40 * DAY, status=Status.VERIFIED, ended_at=NOW - 39 * DAY)


def counts(status_counts) -> list:
    """[total, pending, verified, rejected, closed, expired, failure rate]"""
    return [status_counts.total, *(count for _, count in status_counts.cells), status_counts.failure_rate]


def test_counts_by_status_for_each_window(activity):
    dashboard = dashboard_get(now=NOW)

    assert {row.window.key: counts(row.counts) for row in dashboard.windows} == {
        "24h": [3, 1, 1, 1, 0, 0, 0.5],
        "7d": [7, 1, 2, 3, 1, 0, 0.6],
        "30d": [10, 1, 3, 3, 1, 2, 0.5],
    }


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("24h", {"acme": [3, 1, 1, 1, 0, 0, 0.5]}),
        (
            "7d",
            {
                "acme": [4, 1, 1, 1, 1, 0, 0.5],
                "globex": [2, 0, 0, 2, 0, 0, 1.0],
                "initech": [1, 0, 1, 0, 0, 0, 0.0],
            },
        ),
        (
            "30d",
            {
                "acme": [5, 1, 1, 1, 1, 1, 0.5],
                "globex": [3, 0, 0, 2, 0, 1, 1.0],
                "initech": [2, 0, 2, 0, 0, 0, 0.0],
            },
        ),
    ],
)
def test_top_organizations_are_the_busiest_of_the_window_with_their_failure_rate(activity, window, expected):
    organizations = top_organizations(window=WINDOWS_BY_KEY[window], now=NOW)

    assert [row.slug for row in organizations] == list(expected)  # busiest first; umbrella created nothing
    assert {row.slug: counts(row.counts) for row in organizations} == expected


def test_top_organizations_stop_at_the_limit(activity):
    organizations = top_organizations(window=WINDOWS_BY_KEY["30d"], now=NOW, limit=2)

    assert [row.slug for row in organizations] == ["acme", "globex"]


def test_failure_rate_is_unknown_until_a_validation_finishes(db):
    IdentificationWithHistoryFactory(organization=OrganizationFactory(slug="acme"), created_at=NOW - HOUR)

    [row] = top_organizations(window=WINDOWS_BY_KEY["24h"], now=NOW)

    assert row.counts.total == 1
    assert row.counts.failure_rate is None


def test_daily_activity_counts_creations_and_transitions_per_day(activity):
    result = daily_activity(now=NOW)

    assert len(result.days) == 30
    assert (result.days[0], result.days[-1]) == (date(2026, 2, 14), date(2026, 3, 15))
    nonzero = {
        name: {day.strftime("%d %b"): value for day, value in zip(result.days, values, strict=True) if value}
        for name, values in result.series.items()
    }
    assert nonzero == {
        CREATED: {
            "14 Feb": 1,
            "23 Feb": 1,
            "05 Mar": 1,
            "09 Mar": 1,
            "10 Mar": 1,
            "12 Mar": 1,
            "14 Mar": 1,
            "15 Mar": 3,
        },
        Status.VERIFIED: {"14 Feb": 1, "14 Mar": 1, "15 Mar": 1},
        Status.REJECTED: {"10 Mar": 2, "15 Mar": 1},
        Status.CLOSED: {"12 Mar": 1},
        # acme's identification past its expiry has no EXPIRED event yet: the chart draws the audit trail.
        Status.EXPIRED: {"12 Mar": 1},
    }


@pytest.mark.parametrize(("identifications", "organizations"), [(5, 3), (200, 30)])
def test_the_dashboard_spends_four_queries_whatever_the_volume(capture_queries, db, identifications, organizations):
    spread_activity(now=NOW, identifications=identifications, organizations=organizations)

    with capture_queries() as queries:
        dashboard = dashboard_get(window_key="30d", now=NOW)

    # Counts by window, top organizations, creations per day, transitions per day.
    assert queries.verbs == ["SELECT"] * 4
    assert dashboard.windows[-1].counts.total == identifications
    assert len(dashboard.organizations) == min(organizations, 10)
    assert sum(sum(values) for values in dashboard.activity.series.values()) > identifications


@pytest.mark.parametrize(("identifications", "organizations"), [(5, 3), (200, 30)])
def test_the_dashboard_page_spends_the_same_queries_whatever_the_volume(
    client, capture_queries, db, frozen, identifications, organizations
):
    spread_activity(now=NOW, identifications=identifications, organizations=organizations)
    log_in(client, "viewer", VIEW)

    with capture_queries() as queries:
        response = client.get(DASHBOARD, {"window": "30d"})

    assert response.status_code == 200
    # Session, user, the user's permissions, the user's groups' permissions, then the dashboard's four.
    assert len(queries.statements) == 8
    assert len(table_rows(response, "dashboard-organizations")) == min(organizations, 10)


def test_the_page_shows_the_numbers(client, activity, frozen):
    log_in(client, "viewer", VIEW)

    response = client.get(DASHBOARD)

    assert response.status_code == 200
    assert table_rows(response, "dashboard-windows") == [
        ["Last 24 hours", "3", "1", "1", "1", "0", "0", "50.0%"],
        ["Last 7 days", "7", "1", "2", "3", "1", "0", "60.0%"],
        ["Last 30 days", "10", "1", "3", "3", "1", "2", "50.0%"],
    ]
    assert table_rows(response, "dashboard-organizations") == [
        ["acme", "4", "1", "1", "1", "1", "0", "50.0%"],
        ["globex", "2", "0", "0", "2", "0", "0", "100.0%"],
        ["initech", "1", "0", "1", "0", "0", "0", "0.0%"],
    ]
    html = response.content.decode()
    assert 'href="/admin/identifications/identification/?organization=acme"' in html


def test_the_organizations_table_follows_the_chosen_window(client, activity, frozen):
    log_in(client, "viewer", VIEW)

    last_day = client.get(DASHBOARD, {"window": "24h"})
    unknown = client.get(DASHBOARD, {"window": "1y"})

    assert table_rows(last_day, "dashboard-organizations") == [["acme", "3", "1", "1", "1", "0", "0", "50.0%"]]
    assert "Busiest organizations, last 24 hours" in last_day.content.decode()
    assert "Busiest organizations, last 7 days" in unknown.content.decode()
    assert len(table_rows(unknown, "dashboard-organizations")) == 3


def test_the_chart_is_inline_svg_with_a_line_per_series(client, activity, frozen):
    log_in(client, "viewer", VIEW)

    html = client.get(DASHBOARD).content.decode()

    assert html.count('<svg class="dashboard-chart"') == 1
    assert html.count("<polyline") == 5
    assert html.count("<circle") == 5 * 30
    assert "<title>15 Mar: 3 created</title>" in html
    assert "<title>10 Mar: 2 rejected</title>" in html
    assert "<title>12 Mar: 1 closed</title>" in html
    assert "Per day from 14 Feb 2026 to 15 Mar 2026: 10 created, 3 verified, 3 rejected, 1 closed, 1 expired." in html
    assert "<script" not in html.split('id="content-main"')[1]  # drawn by the server, nothing to run
    assert table_rows(client.get(DASHBOARD), "dashboard-days")[0] == ["Sun 15 Mar", "3", "1", "1", "0", "0"]


def test_an_empty_dashboard_says_so(client, db, frozen):
    log_in(client, "viewer", VIEW)

    response = client.get(DASHBOARD)

    assert response.status_code == 200
    assert table_rows(response, "dashboard-windows")[0] == [
        "Last 24 hours",
        "0",
        "0",
        "0",
        "0",
        "0",
        "0",
        "\N{EN DASH}",
    ]
    assert table_rows(response, "dashboard-organizations") == [["No identifications were created in this period."]]
    assert response.content.decode().count("<polyline") == 5


@pytest.mark.parametrize(
    ("peak", "axis"), [(0, (4, 1)), (3, (4, 1)), (5, (6, 2)), (9, (10, 5)), (37, (40, 10)), (1234, (1500, 500))]
)
def test_the_y_axis_ends_on_a_round_number_above_the_peak(peak, axis):
    assert nice_axis_maximum(peak) == axis


def test_staff_with_the_view_permission_find_the_dashboard_on_the_index(client, db):
    log_in(client, "viewer", VIEW)

    response = client.get(INDEX)

    assert f'<a href="{DASHBOARD}" class="section">Dashboard</a>' in response.content.decode()


def test_staff_without_the_view_permission_see_no_link_and_are_refused(client, db):
    log_in(client, "nobody")

    index = client.get(INDEX)
    dashboard = client.get(DASHBOARD)

    assert index.status_code == 200
    assert DASHBOARD not in index.content.decode()
    assert dashboard.status_code == 403


@pytest.mark.django_db
def test_anonymous_visitors_and_non_staff_users_are_sent_to_the_login_page(django_user_model):
    member = Client()
    member.force_login(django_user_model.objects.create_user(username="member", password="not-used"))

    for response in (Client().get(DASHBOARD), member.get(DASHBOARD)):
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('admin:login')}?next={DASHBOARD}"


class _TableParser(HTMLParser):
    """The text of each body row's cells (th and td) of the table with the given id."""

    def __init__(self, table_id):
        super().__init__()
        self.table_id, self.depth, self.in_body, self.rows, self.cell = table_id, 0, False, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and (self.depth or dict(attrs).get("id") == self.table_id):
            self.depth += 1
        elif self.depth and tag == "tbody":
            self.in_body = True
        elif self.depth and self.in_body and tag == "tr":
            self.rows.append([])
        elif self.depth and self.in_body and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag == "tbody":
            self.in_body = False
        elif self.cell is not None and tag in ("td", "th"):
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table_rows(response, table_id) -> list[list[str]]:
    parser = _TableParser(table_id)
    parser.feed(response.content.decode())
    return parser.rows
