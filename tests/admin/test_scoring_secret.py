"""An organization's EXTERNAL scoring: rotating its signing secret (shown once) and the https rule on its URL."""

import time
from html import unescape

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from identifications.models import Organization
from identifications.services.organizations import ScoringSecretRotationConflict, scoring_secret_rotate
from scoring.secrets import scoring_signing_secret
from scoring.signing import sign, verify
from tests.admin import log_in, log_in_superuser, shown_messages

VIEW_ORGANIZATION = "identifications.view_organization"
CHANGE_ORGANIZATION = "identifications.change_organization"


def organization_url(organization):
    return reverse("admin:identifications_organization_change", args=[organization.pk])


def rotate_url(organization):
    return reverse("admin:identifications_organization_rotate_scoring_secret", args=[organization.pk])


def current_secret(organization) -> str:
    return scoring_signing_secret(Organization.objects.get(pk=organization.pk)).decode()


def test_the_rotate_url_is_under_the_organization(organization):
    assert rotate_url(organization) == f"/admin/identifications/organization/{organization.pk}/scoring-secret/rotate/"


def test_the_rotate_button_is_offered_to_staff_who_may_change_the_organization(client, organization):
    log_in(client, "keeper", VIEW_ORGANIZATION, CHANGE_ORGANIZATION)

    html = client.get(organization_url(organization)).content.decode()

    assert rotate_url(organization) in html
    assert "Rotate scoring signing secret" in html


def test_staff_who_may_only_view_the_organization_cannot_rotate(client, organization):
    log_in(client, "viewer", VIEW_ORGANIZATION)
    before = current_secret(organization)

    page = client.get(organization_url(organization))
    confirmation = client.get(rotate_url(organization))
    rotation = client.post(rotate_url(organization))

    assert page.status_code == 200
    assert rotate_url(organization) not in page.content.decode()
    assert confirmation.status_code == 403
    assert rotation.status_code == 403
    assert current_secret(organization) == before


def test_the_confirmation_page_rotates_nothing_and_shows_no_secret(client, organization):
    log_in(client, "keeper", VIEW_ORGANIZATION, CHANGE_ORGANIZATION)
    before = current_secret(organization)

    response = client.get(rotate_url(organization))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Yes, rotate it" in html
    assert before not in html
    assert current_secret(organization) == before


def test_rotating_shows_the_new_secret_once(client, organization):
    user = log_in(client, "keeper", VIEW_ORGANIZATION, CHANGE_ORGANIZATION)
    before = current_secret(organization)

    response = client.post(rotate_url(organization))

    assert response.status_code == 200
    after = current_secret(organization)
    assert after != before
    html = response.content.decode()
    assert f'value="{after}"' in html
    assert before not in html
    # The header the organization's service must check, and how.
    assert 'X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + raw body>' in unescape(html)
    assert "verify(" in html
    assert "no-store" in response["Cache-Control"]
    assert Organization.objects.get(pk=organization.pk).scoring_secret_version == 2
    entry = LogEntry.objects.get(user=user)
    assert entry.change_message == "Rotated the scoring signing secret (now version 2)."
    # Shown in that one response only: not on a second visit, nor in the session, cookies, messages or log.
    assert after not in client.get(rotate_url(organization)).content.decode()
    assert after not in client.get(organization_url(organization)).content.decode()
    assert not any(after in session.session_data for session in Session.objects.all())
    assert all(after not in cookie.value for cookie in response.cookies.values())
    assert shown_messages(response) == []
    assert after not in entry.change_message


def test_the_shown_secret_is_the_one_requests_are_signed_with(client, organization):
    log_in_superuser(client)
    body = b'{"attempt":1}'
    now = int(time.time())
    old_header = sign(secret=scoring_signing_secret(organization), body=body, timestamp=now)

    shown = client.post(rotate_url(organization)).context["secret"]
    organization.refresh_from_db()
    new_header = sign(secret=scoring_signing_secret(organization), body=body, timestamp=now)

    assert verify(secret=shown.encode("ascii"), body=body, header=new_header, now=now)
    assert not verify(secret=shown.encode("ascii"), body=body, header=old_header, now=now)


def test_rotating_again_gives_another_secret(client, organization):
    log_in_superuser(client)

    first = client.post(rotate_url(organization)).context["secret"]
    second = client.post(rotate_url(organization)).context["secret"]

    assert first != second
    assert current_secret(organization) == second


def test_a_rotation_that_lost_a_race_says_so_and_shows_nothing(client, organization, monkeypatch):
    log_in_superuser(client)

    def lose(*, organization):
        raise ScoringSecretRotationConflict("rotated meanwhile")

    monkeypatch.setattr("identifications.admin.organization.scoring_secret_rotate", lose)
    response = client.post(rotate_url(organization))

    assert response.status_code == 302
    assert response["Location"] == organization_url(organization)
    assert shown_messages(response) == ["Someone else rotated the scoring signing secret at the same time. Try again."]


def test_the_service_rotates_only_from_the_version_it_read(organization):
    stale = Organization.objects.get(pk=organization.pk)
    first = scoring_secret_rotate(organization=organization)

    with pytest.raises(ScoringSecretRotationConflict):
        scoring_secret_rotate(organization=stale)

    assert Organization.objects.get(pk=organization.pk).scoring_secret_version == 2
    assert current_secret(organization) == first.decode()


def test_rotation_is_csrf_protected(organization):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(User.objects.create_superuser("admin", "", "not-used"))
    before = current_secret(organization)

    response = csrf_client.post(rotate_url(organization))

    assert response.status_code == 403
    assert current_secret(organization) == before


def _save_scoring_url(client, organization, url):
    return client.post(
        organization_url(organization), {"name": organization.name, "default_configuration": "", "scoring_url": url}
    )


@pytest.mark.parametrize("url", ["http://scoring.acme.example/score", "ftp://scoring.acme.example/score"])
def test_the_scoring_url_must_be_https(client, organization, settings, url):
    settings.DEBUG = False
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    log_in_superuser(client)

    response = _save_scoring_url(client, organization, url)

    assert response.status_code == 200
    assert "must start with https://" in str(response.context["adminform"].form.errors["scoring_url"])
    organization.refresh_from_db()
    assert organization.scoring_url == ""


def test_an_https_scoring_url_is_saved(client, organization, settings):
    settings.DEBUG = False
    log_in_superuser(client)

    response = _save_scoring_url(client, organization, "https://scoring.acme.example/score")

    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.scoring_url == "https://scoring.acme.example/score"


def test_a_scoring_url_without_a_scheme_means_https(client, organization, settings):
    settings.DEBUG = False
    log_in_superuser(client)

    response = _save_scoring_url(client, organization, "scoring.acme.example/score")

    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.scoring_url == "https://scoring.acme.example/score"


def test_plain_http_is_accepted_with_private_urls_allowed_for_a_local_provider(client, organization, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    log_in_superuser(client)

    response = _save_scoring_url(client, organization, "http://127.0.0.1:9000/score")

    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.scoring_url == "http://127.0.0.1:9000/score"


def test_the_scoring_url_may_stay_empty(client, organization, settings):
    settings.DEBUG = False
    log_in_superuser(client)

    assert _save_scoring_url(client, organization, "").status_code == 302


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://127.0.0.1:9000/score", "private_address"),
        ("https://localhost/score", "private_address"),
        ("https://169.254.169.254/latest/meta-data/", "private_address"),
        ("https://10.0.0.5/score", "private_address"),
        ("https://[::1]/score", "private_address"),
        ("https://user:password@93.184.216.34/score", "credentials_in_url"),
        ("http://93.184.216.34/score", "https_required"),
    ],
)
def test_the_scoring_url_must_reach_a_public_address_over_https(client, organization, settings, url, code):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    log_in_superuser(client)

    response = _save_scoring_url(client, organization, url)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors.as_data()["scoring_url"][0].code == code
    organization.refresh_from_db()
    assert organization.scoring_url == ""


def test_a_public_https_scoring_url_is_saved_with_private_urls_refused(client, organization, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    log_in_superuser(client)

    response = _save_scoring_url(client, organization, "https://93.184.216.34/score")

    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.scoring_url == "https://93.184.216.34/score"
