"""Swagger UI (/v1/docs/) and the admin work under the Content-Security-Policy, and load nothing from elsewhere."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser import VIEW, log_in, staff_user_with_password

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def watch(page, live_server):
    """Every CSP violation the page reports, and every request to another origin."""
    seen = {"violations": [], "elsewhere": []}
    page.on(
        "console",
        lambda message: seen["violations"].append(message.text) if "Content Security Policy" in message.text else None,
    )
    origin = urlsplit(live_server.url).netloc
    page.on(
        "request",
        lambda request: (
            seen["elsewhere"].append(request.url)
            if urlsplit(request.url).scheme in ("http", "https") and urlsplit(request.url).netloc != origin
            else None
        ),
    )
    return seen


def test_swagger_ui_renders_the_api_from_the_project_under_the_policy(page, live_server):
    seen = watch(page, live_server)

    response = page.goto(f"{live_server.url}/v1/docs/")

    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Identity-document identification API")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    page.locator(".opblock-summary").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    assert seen == {"violations": [], "elsewhere": []}


def test_the_admin_works_under_the_policy(page, live_server):
    staff_user_with_password("viewer", VIEW)
    seen = watch(page, live_server)

    log_in(page, live_server.url, "viewer")
    response = page.goto(f"{live_server.url}/admin/identifications/identification/")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    expect(page.locator("#changelist")).to_be_visible()
    page.locator("#changelist-filter").first.wait_for()
    page.goto(f"{live_server.url}/admin/dashboard/")

    expect(page.locator("h1")).to_have_text("Dashboard")
    assert seen == {"violations": [], "elsewhere": []}
