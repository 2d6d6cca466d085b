"""Production security headers and cookies. The suite runs config/settings.py with DEBUG=false (see
config/test_settings.py), so these are the production values, bar SECURE_SSL_REDIRECT (tested on its own)."""

import pytest
from django.contrib.auth import get_user_model

from tests.api.helpers import create_url

HSTS = "max-age=31536000; includeSubDomains; preload"
PASSWORD = "the-right-password-42"


@pytest.fixture(autouse=True)
def production(settings):
    assert settings.DEBUG is False


@pytest.mark.parametrize("path", ["/healthz", create_url(), "/admin/login/", "/v1/schema/?format=json"])
def test_every_response_over_https_carries_the_headers(client, db, path):
    response = client.get(path, secure=True)

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Strict-Transport-Security"] == HSTS
    assert response["Referrer-Policy"] == "same-origin"


def test_an_api_error_carries_them_too(client, db):
    response = client.post(create_url(), "{}", content_type="application/json", secure=True)

    assert response.status_code == 401
    assert (response["X-Content-Type-Options"], response["X-Frame-Options"]) == ("nosniff", "DENY")
    assert response["Strict-Transport-Security"] == HSTS


def test_hsts_is_sent_only_over_https_including_behind_the_proxy(client, db):
    plain = client.get("/healthz")
    proxied = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})

    assert "Strict-Transport-Security" not in plain  # browsers ignore it over http; the redirect comes first
    assert proxied["Strict-Transport-Security"] == HSTS


def test_csrf_and_session_cookies_are_secure(client, db):
    get_user_model().objects.create_superuser("admin", "admin@example.com", PASSWORD)

    form = client.get("/admin/login/", secure=True)
    logged_in = client.post(
        "/admin/login/", {"username": "admin", "password": PASSWORD, "next": "/admin/"}, secure=True
    )

    assert form.cookies["csrftoken"]["secure"] is True
    assert logged_in.status_code == 302
    session = logged_in.cookies["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


def test_plain_http_is_redirected_to_https_except_the_health_check(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True  # the production default; the suite turns it off to test over plain http

    admin = client.get("/admin/login/")
    api = client.get(create_url())
    health = client.get("/healthz")

    assert (admin.status_code, admin["Location"]) == (301, "https://testserver/admin/login/")
    assert api.status_code == 301
    assert health.status_code == 200  # load balancers probe over plain http
