from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from identifications.models import Organization
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def run(*args):
    stdout = StringIO()
    call_command("create_organization", *args, stdout=stdout, stderr=StringIO())
    return stdout.getvalue()


def test_creates_the_organization_with_the_default_configuration():
    output = run("globex", "--name", "Globex Corp")

    organization = Organization.objects.get(slug="globex")
    assert organization.name == "Globex Corp"
    assert organization.default_configuration is None
    assert "Created organization globex (Globex Corp), default configuration MEDIUM." in output


def test_name_defaults_to_the_slug():
    run("initech")

    assert Organization.objects.get(slug="initech").name == "initech"


def test_sets_the_default_configuration():
    output = run("globex", "--default-configuration", "HIGH")

    assert Organization.objects.get(slug="globex").default_configuration.name == "HIGH"
    assert "default configuration HIGH" in output


def test_unknown_configuration_is_an_error_listing_the_available_ones():
    with pytest.raises(CommandError, match=r"Unknown configuration 'ULTRA'.*LOW.*MEDIUM.*HIGH"):
        run("globex", "--default-configuration", "ULTRA")

    assert not Organization.objects.filter(slug="globex").exists()


def test_duplicate_slug_is_an_error():
    OrganizationFactory(slug="globex", name="First")

    with pytest.raises(CommandError, match=r"Could not create organization 'globex': slug: .*already exists"):
        run("globex", "--name", "Second")

    assert Organization.objects.get(slug="globex").name == "First"


@pytest.mark.parametrize("slug", ["not a slug", "café/x", "a" * 51])
def test_invalid_slug_is_an_error(slug):
    with pytest.raises(CommandError, match=r"Could not create organization .*: slug: "):
        run(slug)

    assert not Organization.objects.exists()
