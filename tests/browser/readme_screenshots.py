"""The README's screenshots, taken from a live server with demo data: `make screenshots` writes
docs/screenshots/dashboard.png and docs/screenshots/close-confirmation.png (1280x800).

Not a test of the suite (its name does not match test_*.py, so `make test` never collects it): pytest collects it
only when given its path, as `make screenshots` does. It still checks what it wrote.
"""

import random
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from identifications.models import Identification
from tests.browser import CLOSE, VIEW, log_in, staff_user_with_password
from tests.browser.conftest import VIEWPORT
from tests.factories import IdentificationWithHistoryFactory, OrganizationFactory

Status = Identification.Status
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Organizations and their share of the traffic; the same seed draws the same month every time.
ORGANIZATIONS = {"acme-bank": 9, "globex-insurance": 5, "initech-telecom": 3, "umbrella-health": 2, "hooli-pay": 1}
OUTCOMES = [Status.VERIFIED] * 12 + [Status.REJECTED] * 3 + [Status.CLOSED] * 2 + [Status.EXPIRED] * 2

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def demo_month(now):
    rng = random.Random(2026)
    organizations = {
        slug: OrganizationFactory(slug=slug, name=slug.replace("-", " ").title()) for slug in ORGANIZATIONS
    }
    for days_ago in range(29, -1, -1):
        day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days_ago)
        weekend = day.weekday() >= 5
        volume = rng.randint(6, 10) if weekend else rng.randint(14, 26) + (29 - days_ago) // 3
        for _ in range(volume):
            created_at = day + timedelta(minutes=rng.randrange(8 * 60, 20 * 60))
            if created_at >= now:
                continue
            slug = rng.choices(list(ORGANIZATIONS), weights=list(ORGANIZATIONS.values()))[0]
            # Today's most recent ones are still open.
            status = Status.PENDING if now - created_at < timedelta(hours=3) else rng.choice(OUTCOMES)
            ended_at = min(created_at + timedelta(minutes=rng.randrange(2, 180)), now - timedelta(seconds=1))
            IdentificationWithHistoryFactory(
                organization=organizations[slug], created_at=created_at, status=status, ended_at=ended_at
            )
    return organizations


def assert_screenshot(path):
    with Image.open(path) as image:
        assert (image.format, image.size) == ("PNG", (VIEWPORT["width"], VIEWPORT["height"]))


def test_readme_screenshots(page, live_server):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    now = timezone.now()
    organizations = demo_month(now)
    staff_user_with_password("backoffice", VIEW, CLOSE)
    log_in(page, live_server.url, "backoffice")

    page.goto(f"{live_server.url}/admin/dashboard/?window=30d")
    expect(page.locator(".dashboard-chart polyline")).to_have_count(5)
    page.screenshot(path=SCREENSHOTS / "dashboard.png")

    identification = IdentificationWithHistoryFactory(
        organization=organizations["acme-bank"],
        created_at=now - timedelta(minutes=20),
        name="Lucía",
        last_name="García Márquez",
        document_number="12345678Z",
    )
    page.goto(f"{live_server.url}/admin/identifications/identification/{identification.pk}/close/")
    page.get_by_label("Reason").fill("The holder called support: she opened this one twice by mistake.")
    page.screenshot(path=SCREENSHOTS / "close-confirmation.png")

    assert_screenshot(SCREENSHOTS / "dashboard.png")
    assert_screenshot(SCREENSHOTS / "close-confirmation.png")
