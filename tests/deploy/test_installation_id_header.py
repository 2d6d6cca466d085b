"""The seed's `x-installation_id` header reaches validate with and without nginx in front of gunicorn."""

import pytest

from tests.api.validation_helpers import DECLARED, MATCHING_METADATA
from tests.reliability.harness import http_session

BASE = "/v1/orgs/{org}/identifications/identity_document"


@pytest.fixture(scope="module")
def tenant(served_database, gunicorn):
    return served_database.tenant("deploy-header")


def open_identification(base_url, tenant) -> tuple[str, str]:
    response = http_session().post(
        base_url + BASE.format(org=tenant.slug),
        json=DECLARED,
        headers={"Authorization": f"Bearer {tenant.api_key}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return body["id"], body["client_secret"]


@pytest.mark.parametrize("server", ["gunicorn", "nginx"])
def test_the_underscored_installation_id_is_read(request, server, tenant):
    base_url = request.getfixturevalue(server).url
    identification_id, secret = open_identification(base_url, tenant)
    url = f"{base_url}{BASE.format(org=tenant.slug)}/{identification_id}"
    device = {
        "Authorization": f"Bearer {secret}",
        "x-installation_id": "install-underscored",  # the seed family's spelling, sent as is
        "x-fingerprint": "fp-abc",
        "User-Agent": "IdentityApp/2.1 (Android 14)",
    }

    validated = http_session().post(f"{url}/validate", json={"evidence_metadata": MATCHING_METADATA}, headers=device)

    assert validated.status_code == 204, validated.text
    read = http_session().get(url, headers={"Authorization": f"Bearer {secret}"}, timeout=30).json()
    # Stored for the worker (none runs beside this server): the header was read, or validate would be a 400.
    assert read["attempts"]["processing"] is True
