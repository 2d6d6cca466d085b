import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from identifications.models import OrganizationAPIKey

URL = "/v1/orgs/{slug}/identifications/identity_document"


def run(*args):
    stdout = StringIO()
    call_command("create_api_key", *args, stdout=stdout, stderr=StringIO())
    return stdout.getvalue()


def last_line(output: str) -> str:
    return output.rstrip("\n").splitlines()[-1]


def test_the_last_line_is_a_key_that_authenticates(client, organization):
    output = run("acme", "--name", "ci pipeline")

    raw_key = last_line(output)
    response = client.post(
        URL.format(slug="acme"),
        {},
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw_key}"},
    )
    assert response.status_code == 200, response.content
    api_key = OrganizationAPIKey.objects.get()
    assert api_key.organization == organization
    assert api_key.name == "ci pipeline"
    assert api_key.expiry_date is None


def test_prints_prefix_organization_expiry_and_a_shown_once_warning(organization):
    output = run("acme")

    api_key = OrganizationAPIKey.objects.get()
    lines = output.splitlines()
    assert f"Prefix:       {api_key.prefix}" in lines
    assert "Organization: acme" in lines
    assert "Expires:      never" in lines
    assert "shown once" in output
    assert last_line(output).startswith(f"{api_key.prefix}.")


def test_the_raw_key_is_not_stored(organization):
    raw_key = last_line(run("acme"))

    secret = raw_key.partition(".")[2]
    row = OrganizationAPIKey.objects.values().get()
    for field, value in row.items():
        assert secret not in str(value), field
        assert raw_key not in str(value), field


@time_machine.travel(datetime(2026, 1, 1, 12, tzinfo=UTC), tick=False)
def test_expires_in_sets_the_expiry(organization):
    output = run("acme", "--expires-in", "P90D")

    expected = datetime(2026, 1, 1, 12, tzinfo=UTC) + timedelta(days=90)
    assert OrganizationAPIKey.objects.get().expiry_date == expected
    assert f"Expires:      {expected.isoformat()}" in output.splitlines()


@pytest.mark.parametrize("duration", ["90 days", "P0D", "-P1D", "P"])
def test_malformed_or_non_positive_expires_in_is_an_error(organization, duration):
    with pytest.raises(CommandError, match="--expires-in"):
        run("acme", "--expires-in", duration)

    assert not OrganizationAPIKey.objects.exists()


def test_unknown_organization_is_an_error(db):
    with pytest.raises(CommandError, match=re.escape("No organization has the slug 'nope'.")):
        run("nope")

    assert not OrganizationAPIKey.objects.exists()


def test_name_longer_than_the_column_is_an_error(organization):
    with pytest.raises(CommandError, match="at most 50 characters"):
        run("acme", "--name", "x" * 51)
