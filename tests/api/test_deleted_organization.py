"""A key whose organization was deleted, or that was revoked outside the revoke service, stops at once."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from identifications.models import Identification, Organization, OrganizationAPIKey
from identifications.selectors import api_keys as key_cache
from tests.api.helpers import SEED_BODY, create_url, errors, post_json

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def cache_keys(settings):
    settings.API_KEY_CACHE_SECONDS = 60


def _warm(client, auth):
    assert client.get(create_url(), headers=auth).status_code == 200  # the list: caches the key row


def test_deleting_the_organization_stops_its_key_at_once(client, organization, auth):
    _warm(client, auth)

    organization.delete()
    response = post_json(client, create_url(), SEED_BODY, auth)

    assert response.status_code == 401
    assert errors(response)[0]["code"] == "authentication_failed"
    assert not Identification.objects.exists()


def test_deleting_the_organization_in_the_admin_stops_its_key_at_once(client, organization, auth):
    _warm(client, auth)
    admin = User.objects.create_superuser("admin", "", "not-used")
    staff = client.__class__()
    staff.force_login(admin)

    response = staff.post(reverse("admin:identifications_organization_delete", args=[organization.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Organization.objects.exists()

    assert post_json(client, create_url(), SEED_BODY, auth).status_code == 401


def test_revoking_a_key_by_saving_the_row_stops_it_at_once(client, api_key, auth):
    _warm(client, auth)

    key = OrganizationAPIKey.objects.get(pk=api_key[0].pk)
    key.revoked = True
    key.save()

    assert post_json(client, create_url(), SEED_BODY, auth).status_code == 401


# The foreign key is checked when the transaction commits: the test needs real commits to see the 500 (and the
# seeded document types restored afterwards, as the browser tests do).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_key_cached_by_another_process_after_its_organization_was_deleted_is_a_401_not_a_500(
    client, organization, api_key, auth
):
    # Another worker process still holds the row in its own cache for up to API_KEY_CACHE_SECONDS.
    stale = OrganizationAPIKey.objects.select_related("organization").get(pk=api_key[0].pk)
    organization.delete()
    key_cache.remember(stale)

    response = post_json(client, create_url(), SEED_BODY, auth)

    assert response.status_code == 401
    assert errors(response)[0]["code"] == "authentication_failed"
    assert not Identification.objects.exists()
    assert key_cache.usable_key(api_key[0].prefix) is None
