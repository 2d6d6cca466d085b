"""Every authentication or authorization failure is a 401 with WWW-Authenticate: Bearer and an ErrorsResponse."""

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from identifications.models import Identification, OrganizationAPIKey
from identifications.services.organizations import api_key_revoke
from tests.api.helpers import close_url, create_url, errors, post_json
from tests.factories import IdentificationFactory, OrganizationFactory, issue_key


def assert_401(response, code):
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == "Bearer"
    assert [entry["code"] for entry in errors(response)] == [code]


def both_operations(client, headers, org="acme"):
    identification_id = uuid.uuid4()
    yield post_json(client, create_url(org), {}, headers)
    yield post_json(client, close_url(identification_id, org), {}, headers)


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "not_authenticated"),
        ("", "not_authenticated"),
        ("Bearer", "authentication_failed"),
        ("Bearer ", "authentication_failed"),
        ("Basic YWRtaW46YWRtaW4=", "authentication_failed"),
        ("Token abcdefgh.abcdefghabcdefghabcdefghabcdefgh", "authentication_failed"),
        ("Bearer abcdefgh.abcdefghabcdefghabcdefghabcdefgh", "authentication_failed"),
        ("Bearer not a key", "authentication_failed"),
        ("Bearer " + "a" * 5000, "authentication_failed"),
        ("Bearer abc\x00def.x", "authentication_failed"),
    ],
)
def test_missing_or_malformed_or_unknown_key(client, organization, header, code):
    headers = {} if header is None else {"Authorization": header}
    for response in both_operations(client, headers):
        assert_401(response, code)
    assert Identification.objects.count() == 0


def test_wrong_secret_for_a_real_prefix(client, api_key):
    key, _ = api_key
    forged = f"{key.prefix}.{'x' * 32}"

    for response in both_operations(client, {"Authorization": f"Bearer {forged}"}):
        assert_401(response, "authentication_failed")


def test_revoked_key(client, api_key, auth):
    api_key_revoke(prefix=api_key[0].prefix)

    for response in both_operations(client, auth):
        assert_401(response, "authentication_failed")


def test_expired_key(client, organization):
    _, raw = issue_key(organization, expiry_date=timezone.now() + timedelta(days=1))
    headers = {"Authorization": f"Bearer {raw}"}
    assert post_json(client, create_url(), {}, headers).status_code == 200

    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        for response in both_operations(client, headers):
            assert_401(response, "authentication_failed")


def test_other_organizations_key(client, organization):
    _, their_raw = issue_key(OrganizationFactory(slug="globex"))

    for response in both_operations(client, {"Authorization": f"Bearer {their_raw}"}, org="acme"):
        assert_401(response, "authentication_failed")


def test_unknown_organization_looks_like_any_other_mismatch(client, auth):
    unknown = list(both_operations(client, auth, org="no-such-org"))
    other = OrganizationFactory(slug="globex")
    existing = list(both_operations(client, auth, org=other.slug))

    for response_unknown, response_existing in zip(unknown, existing, strict=True):
        assert_401(response_unknown, "authentication_failed")
        assert response_unknown.json() == response_existing.json()


def test_identification_under_its_owners_org_with_our_key_is_401(client, auth):
    theirs = IdentificationFactory(organization=OrganizationFactory(slug="globex"))

    assert_401(post_json(client, close_url(theirs.id, org="globex"), {}, auth), "authentication_failed")


def test_bearer_keyword_is_case_insensitive(client, api_key):
    assert post_json(client, create_url(), {}, {"Authorization": f"bearer {api_key[1]}"}).status_code == 200


def test_use_is_recorded_at_a_coarse_resolution(client, api_key, auth):
    key = api_key[0]
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        post_json(client, create_url(), {}, auth)
        first = OrganizationAPIKey.objects.get(pk=key.pk).last_used_at
        assert first == timezone.now()

        traveller.shift(timedelta(seconds=30))
        post_json(client, create_url(), {}, auth)
        assert OrganizationAPIKey.objects.get(pk=key.pk).last_used_at == first

        traveller.shift(timedelta(seconds=31))
        post_json(client, create_url(), {}, auth)
        assert OrganizationAPIKey.objects.get(pk=key.pk).last_used_at == timezone.now()


def test_key_is_stored_only_hashed(api_key):
    key, raw = api_key
    row = OrganizationAPIKey.objects.values().get(pk=key.pk)

    assert raw.split(".")[1] not in " ".join(str(value) for value in row.values())
    assert row["hashed_key"].startswith("sha512$$")
