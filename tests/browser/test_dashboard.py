"""The dashboard as staff see it: reached from the admin index, its numbers and its chart."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from identifications.models import Identification
from tests.browser import VIEW, log_in, staff_user_with_password
from tests.factories import IdentificationWithHistoryFactory, OrganizationFactory

Status = Identification.Status
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_dashboard_shows_its_numbers_and_its_chart(page, live_server):
    staff_user_with_password("viewer", VIEW)
    # Times are set relative to the server's clock, well inside each window, so a run at any hour sees the same.
    now = timezone.now()
    acme, globex = OrganizationFactory(slug="acme"), OrganizationFactory(slug="globex")
    IdentificationWithHistoryFactory(organization=acme, created_at=now - timedelta(hours=2), status=Status.VERIFIED)
    IdentificationWithHistoryFactory(organization=acme, created_at=now - timedelta(hours=3), status=Status.REJECTED)
    IdentificationWithHistoryFactory(organization=acme, created_at=now - timedelta(hours=4))
    IdentificationWithHistoryFactory(organization=globex, created_at=now - timedelta(days=3), status=Status.REJECTED)
    closed = IdentificationWithHistoryFactory(
        organization=globex, created_at=now - timedelta(days=12), status=Status.CLOSED
    )

    log_in(page, live_server.url, "viewer")
    page.locator("#dashboard-module").get_by_role("link", name="Dashboard").click()

    expect(page.locator("h1")).to_have_text("Dashboard")
    windows = page.locator("#dashboard-windows tbody tr")
    expect(windows.nth(0).locator("th, td")).to_have_text(["Last 24 hours", "3", "1", "1", "1", "0", "0", "50.0%"])
    expect(windows.nth(1).locator("th, td")).to_have_text(["Last 7 days", "4", "1", "1", "2", "0", "0", "66.7%"])
    expect(windows.nth(2).locator("th, td")).to_have_text(["Last 30 days", "5", "1", "1", "2", "1", "0", "66.7%"])
    organizations = page.locator("#dashboard-organizations tbody tr")
    expect(organizations.nth(0).locator("th, td")).to_have_text(["acme", "3", "1", "1", "1", "0", "0", "50.0%"])
    expect(organizations.nth(1).locator("th, td")).to_have_text(["globex", "1", "0", "0", "1", "0", "0", "100.0%"])

    page.get_by_role("link", name="Last 30 days").click()
    expect(page.locator("#dashboard-organizations caption")).to_have_text("Busiest organizations, last 30 days")
    expect(organizations.nth(1).locator("th, td")).to_have_text(["globex", "2", "0", "0", "1", "1", "0", "100.0%"])

    chart = page.get_by_role("img", name="Per day, last 30 days")
    expect(chart).to_be_visible()
    expect(chart.locator("polyline")).to_have_count(5)
    expect(chart.locator("circle")).to_have_count(5 * 30)
    box = chart.bounding_box()
    assert box["width"] > 800 and box["height"] > 200  # drawn at the page's width, not collapsed
    expect(page.locator(".dashboard-legend li")).to_have_text(
        ["Created 5", "Verified 1", "Rejected 2", "Closed 1", "Expired 0"]
    )
    closed_day = timezone.localdate(closed.closed_at).strftime("%d %b")
    expect(chart.locator("title", has_text=f"{closed_day}: 1 closed")).to_have_count(1)
