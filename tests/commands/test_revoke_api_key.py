import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from identifications.models import OrganizationAPIKey

URL = "/v1/orgs/acme/identifications/identity_document"


def run(*args):
    stdout = StringIO()
    call_command("revoke_api_key", *args, stdout=stdout, stderr=StringIO())
    return stdout.getvalue()


def test_revoked_key_answers_401(client, api_key, auth):
    assert client.post(URL, {}, content_type="application/json", headers=auth).status_code == 200

    output = run(api_key[0].prefix)

    assert f"Revoked API key {api_key[0].prefix} of organization acme." in output
    assert OrganizationAPIKey.objects.get(pk=api_key[0].pk).revoked
    response = client.post(URL, {}, content_type="application/json", headers=auth)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_revoking_twice_says_it_was_already_revoked(api_key):
    run(api_key[0].prefix)

    output = run(api_key[0].prefix)

    assert "was already revoked" in output
    assert OrganizationAPIKey.objects.get(pk=api_key[0].pk).revoked


def test_unknown_prefix_is_an_error(api_key):
    with pytest.raises(CommandError, match=re.escape("No API key has the prefix 'nope1234'.")):
        run("nope1234")

    assert not OrganizationAPIKey.objects.get(pk=api_key[0].pk).revoked
