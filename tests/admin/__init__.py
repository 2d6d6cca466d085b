"""Helpers shared by the admin tests (plain functions: fixtures live in tests/conftest.py)."""

from django.contrib.auth.models import User
from django.contrib.messages import get_messages

from tests.factories import StaffUserFactory


def staff_user(username: str = "staff", *permissions: str) -> User:
    """An active staff user (not a superuser) holding exactly `permissions` ("app_label.codename")."""
    return StaffUserFactory(username=username, permissions=permissions)


def log_in(client, username: str = "staff", *permissions: str) -> User:
    user = staff_user(username, *permissions)
    client.force_login(user)
    return user


def log_in_superuser(client, username: str = "admin") -> User:
    user = User.objects.create_superuser(username=username, password="not-used", email="")
    client.force_login(user)
    return user


def shown_messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]
