"""Browser tests: headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against Django's live server.

Helpers shared by the browser tests; fixtures live in conftest.py.
"""

from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from tests.factories import StaffUserFactory

PASSWORD = "a-browser-test-password"
VIEW = "identifications.view_identification"
CLOSE = "identifications.close_identification"


def staff_user_with_password(username: str, *permissions: str) -> User:
    """An active staff user (not a superuser) who logs in with PASSWORD and holds exactly `permissions`."""
    return StaffUserFactory(username=username, password=PASSWORD, permissions=permissions)


def log_in(page: Page, base_url: str, username: str) -> None:
    """Through the admin's login form, as a person would."""
    page.goto(f"{base_url}/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#user-tools")).to_contain_text(f"Welcome, {username}")


def messages(page: Page):
    return page.locator("ul.messagelist li")
