"""Organizations in the admin: their API keys listed, issued (shown once) and revoked through the services."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone
from rest_framework_api_key.models import APIKey

from identifications.models import Organization, OrganizationAPIKey
from identifications.services.organizations import api_key_revoke
from tests.admin import log_in, log_in_superuser, shown_messages
from tests.factories import OrganizationFactory, issue_key

VIEW_ORGANIZATION = "identifications.view_organization"
VIEW_KEYS = "identifications.view_organizationapikey"
ISSUE = "identifications.add_organizationapikey"
REVOKE = "identifications.change_organizationapikey"


def organization_url(organization):
    return reverse("admin:identifications_organization_change", args=[organization.pk])


def issue_url(organization):
    return reverse("admin:identifications_organization_issue_key", args=[organization.pk])


def revoke_url(organization, prefix):
    return reverse("admin:identifications_organization_revoke_key", args=[organization.pk, prefix])


def test_organization_page_lists_its_keys_without_their_hash(client, organization):
    log_in_superuser(client)
    live, _ = issue_key(organization, name="production backend")
    revoked, _ = issue_key(organization, name="old laptop")
    revoked.revoked = True
    revoked.save()
    other, _ = issue_key(OrganizationFactory(slug="globex"), name="someone else's")

    response = client.get(organization_url(organization))

    assert response.status_code == 200
    html = response.content.decode()
    assert live.prefix in html and "production backend" in html
    assert revoked.prefix in html and "old laptop" in html
    assert other.prefix not in html
    for key in (live, revoked):
        assert key.hashed_key not in html
        assert key.pk not in html  # the primary key embeds the hash
    assert revoke_url(organization, live.prefix) in html
    assert revoke_url(organization, revoked.prefix) not in html  # revoking is final: nothing to offer


def test_issuing_shows_the_key_once_and_stores_only_its_hash(client, organization):
    user = log_in_superuser(client)

    form = client.get(issue_url(organization))
    response = client.post(issue_url(organization), {"name": "production backend"})

    assert form.status_code == 200
    assert response.status_code == 200
    raw_key = response.context["raw_key"]
    assert raw_key in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0") and "no-store" in response["Cache-Control"]
    key = OrganizationAPIKey.objects.get(organization=organization)
    assert raw_key.startswith(f"{key.prefix}.")
    assert key.name == "production backend"
    assert key.hashed_key != raw_key
    secret = raw_key.split(".", 1)[1]
    stored = [str(value) for value in OrganizationAPIKey.objects.values_list().get(pk=key.pk)]
    assert not any(secret in value for value in stored)
    # Nor in the session or the messages cookie: it is in that one response only.
    assert not any(secret in session.session_data for session in Session.objects.all())
    assert all(secret not in cookie.value for cookie in response.cookies.values())
    assert secret not in client.get(organization_url(organization)).content.decode()
    assert OrganizationAPIKey.objects.get_from_key(raw_key) == key
    assert LogEntry.objects.get(user=user).change_message == f"Issued API key {key.prefix} (production backend)."


def test_issuing_with_an_expiry(client, organization):
    log_in_superuser(client)
    expiry = (timezone.now() + timedelta(days=90)).replace(second=0, microsecond=0)

    response = client.post(
        issue_url(organization),
        {"name": "pilot", "expiry_date_0": expiry.strftime("%Y-%m-%d"), "expiry_date_1": expiry.strftime("%H:%M")},
    )

    assert response.status_code == 200
    assert OrganizationAPIKey.objects.get(organization=organization).expiry_date == expiry


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 51}, "name"),
        ({"name": "pilot", "expiry_date_0": "2000-01-01", "expiry_date_1": "00:00"}, "expiry_date"),
    ],
)
def test_an_invalid_issue_form_issues_nothing(client, organization, data, field):
    log_in_superuser(client)

    response = client.post(issue_url(organization), data)

    assert response.status_code == 200
    assert response.context["raw_key"] is None
    assert field in response.context["form"].errors
    assert not OrganizationAPIKey.objects.exists()


def test_staff_who_may_only_view_keys_get_no_issue_or_revoke(client, organization):
    log_in(client, "viewer", VIEW_ORGANIZATION, VIEW_KEYS)
    key, _ = issue_key(organization)

    page = client.get(organization_url(organization))
    issue = client.post(issue_url(organization), {"name": "sneaky"})
    revoke = client.post(revoke_url(organization, key.prefix))

    assert page.status_code == 200
    html = page.content.decode()
    assert key.prefix in html
    assert issue_url(organization) not in html
    assert revoke_url(organization, key.prefix) not in html
    assert issue.status_code == 403
    assert revoke.status_code == 403
    assert OrganizationAPIKey.objects.count() == 1
    key.refresh_from_db()
    assert not key.revoked


def test_staff_without_the_key_permissions_do_not_see_keys(client, organization):
    log_in(client, "viewer", VIEW_ORGANIZATION)
    key, _ = issue_key(organization)

    response = client.get(organization_url(organization))

    assert response.status_code == 200
    assert key.prefix not in response.content.decode()


def test_revoking_asks_for_confirmation_then_revokes_through_the_service(client, organization):
    user = log_in(client, "keeper", VIEW_ORGANIZATION, VIEW_KEYS, REVOKE)
    key, raw_key = issue_key(organization, name="leaked")

    confirmation = client.get(revoke_url(organization, key.prefix))
    key.refresh_from_db()
    assert not key.revoked
    response = client.post(revoke_url(organization, key.prefix))

    assert confirmation.status_code == 200
    assert "Yes, revoke it" in confirmation.content.decode()
    assert response.status_code == 302
    assert response["Location"] == organization_url(organization)
    assert shown_messages(response) == [f"API key {key.prefix} revoked: it no longer authenticates any request."]
    key.refresh_from_db()
    assert key.revoked
    assert not OrganizationAPIKey.objects.is_valid(raw_key)
    assert LogEntry.objects.get(user=user).change_message == f"Revoked API key {key.prefix} (leaked)."


def test_revoking_a_key_of_another_organization_is_404(client, organization):
    log_in_superuser(client)
    key, _ = issue_key(OrganizationFactory(slug="globex"))

    response = client.post(revoke_url(organization, key.prefix))

    assert response.status_code == 404
    key.refresh_from_db()
    assert not key.revoked


def test_revoking_twice_says_so(client, organization):
    log_in_superuser(client)
    key, _ = issue_key(organization)
    api_key_revoke(prefix=key.prefix)

    response = client.post(revoke_url(organization, key.prefix))

    assert shown_messages(response) == [f"API key {key.prefix} was already revoked."]


def test_revoke_is_csrf_protected(organization):
    from django.contrib.auth.models import User
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(User.objects.create_superuser("admin", "", "not-used"))
    key, _ = issue_key(organization)

    response = csrf_client.post(revoke_url(organization, key.prefix))

    assert response.status_code == 403
    key.refresh_from_db()
    assert not key.revoked


def test_organization_search_finds_it_by_an_api_key_prefix(client, organization):
    log_in_superuser(client)
    key, _ = issue_key(organization)
    OrganizationFactory(slug="globex")

    response = client.get(reverse("admin:identifications_organization_changelist"), {"q": key.prefix})

    assert list(response.context["cl"].result_list) == [organization]


def test_the_slug_is_fixed_once_created(client, organization):
    log_in_superuser(client)

    response = client.post(
        organization_url(organization), {"slug": "renamed", "name": "Acme Inc.", "default_configuration": ""}
    )

    assert response.status_code == 302
    organization.refresh_from_db()
    assert (organization.slug, organization.name) == ("acme", "Acme Inc.")


@pytest.mark.django_db
def test_the_library_api_key_admin_is_hidden_and_the_site_is_named(client):
    log_in_superuser(client)

    index = client.get(reverse("admin:index"))

    assert not admin.site.is_registered(APIKey)
    assert admin.site.is_registered(Organization)
    assert index.status_code == 200
    assert "Identity-document identification" in index.content.decode()
    assert client.get("/admin/rest_framework_api_key/apikey/").status_code == 404
