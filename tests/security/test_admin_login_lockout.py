"""Admin login brute force: 5 wrong passwords lock the username from that address for 15 minutes (django-axes)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client

from identifications.log_masking import mask

LOGIN = "/admin/login/"
PASSWORD = "the-right-password-42"
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_superuser("admin", "admin@example.com", PASSWORD)


def attempt(client, password, username="admin", address="203.0.113.7"):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail_five_times(client):
    statuses = [attempt(client, f"wrong-{number}").status_code for number in range(5)]
    # The form again, with its error, four times; the fifth failure starts the lock and says so.
    assert statuses == [200, 200, 200, 200, 429]
    assert not logged_in(client)


def test_the_sixth_attempt_is_refused_even_with_the_right_password(client, admin_user):
    with time_machine.travel(NOW, tick=False):
        fail_five_times(client)
        sixth = attempt(client, PASSWORD)

    assert sixth.status_code == 429
    assert not logged_in(client)


def test_the_lock_lifts_after_the_cool_off(client, admin_user):
    with time_machine.travel(NOW, tick=False):
        fail_five_times(client)
    with time_machine.travel(NOW + timedelta(minutes=14, seconds=59), tick=False):
        still_locked = attempt(client, PASSWORD)
    with time_machine.travel(NOW + timedelta(minutes=15, seconds=1), tick=False):
        unlocked = attempt(client, PASSWORD)

    assert still_locked.status_code == 429
    assert unlocked.status_code == 302
    assert unlocked["Location"] == "/admin/"
    assert logged_in(client)


def test_the_lock_is_per_username_and_address(client, admin_user):
    get_user_model().objects.create_superuser("other", "other@example.com", PASSWORD)
    with time_machine.travel(NOW, tick=False):
        fail_five_times(client)
        same_user_elsewhere = attempt(Client(), PASSWORD, address="198.51.100.9")
        other_user_here = attempt(Client(), PASSWORD, username="other")

    assert same_user_elsewhere.status_code == 302
    assert other_user_here.status_code == 302


def test_a_success_before_the_limit_resets_the_count(client, admin_user):
    with time_machine.travel(NOW, tick=False):
        for number in range(4):
            attempt(client, f"wrong-{number}")
        assert attempt(client, PASSWORD).status_code == 302
        client.logout()
        for number in range(4):
            attempt(client, f"again-wrong-{number}")
        fifth_login = attempt(client, PASSWORD)

    assert fifth_login.status_code == 302


def test_failed_passwords_are_not_logged(client, admin_user, caplog):
    with time_machine.travel(NOW, tick=False), caplog.at_level("DEBUG"):
        fail_five_times(client)
        attempt(client, PASSWORD)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "AXES" in logged  # django-axes did log the lockout...
    assert "wrong-" not in logged and PASSWORD not in logged  # ...without the passwords
    assert mask(logged) == logged  # and nothing shaped like a document number or a key


def attempt_through_proxy(client, password, client_address, username="admin"):
    """A login as nginx forwards it: the connection is the proxy's, the client is in X-Forwarded-For."""
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR=client_address,
    )


def test_behind_the_proxy_a_strangers_failures_do_not_lock_the_staff_member_out(client, admin_user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    stranger = Client()
    with time_machine.travel(NOW, tick=False):
        statuses = [
            # The stranger also forges an X-Forwarded-For naming the staff member's address; nginx appends its own.
            attempt_through_proxy(stranger, f"wrong-{number}", "198.51.100.9, 203.0.113.66").status_code
            for number in range(5)
        ]
        stranger_again = attempt_through_proxy(stranger, PASSWORD, "203.0.113.66")
        staff_member = attempt_through_proxy(client, PASSWORD, "198.51.100.9")

    assert statuses == [200, 200, 200, 200, 429]
    assert stranger_again.status_code == 429
    assert staff_member.status_code == 302
    assert logged_in(client)
