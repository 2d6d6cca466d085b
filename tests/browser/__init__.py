"""Browser tests: headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against Django's live server.

Helpers shared by the browser tests; fixtures live in conftest.py.
"""

from django.contrib.auth.models import Permission, User
from playwright.sync_api import Page, expect

PASSWORD = "a-browser-test-password"
VIEW = "identifications.view_identification"
CLOSE = "identifications.close_identification"


def staff_user_with_password(username: str, *permissions: str) -> User:
    """An active staff user (not a superuser) who logs in with PASSWORD and holds exactly `permissions`."""
    user = User.objects.create_user(username=username, password=PASSWORD, is_staff=True)
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return user


def log_in(page: Page, base_url: str, username: str) -> None:
    """Through the admin's login form, as a person would."""
    page.goto(f"{base_url}/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#user-tools")).to_contain_text(f"Welcome, {username}")


def messages(page: Page):
    return page.locator("ul.messagelist li")
