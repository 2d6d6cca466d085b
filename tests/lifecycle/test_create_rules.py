"""The create service's own rules: any caller (not only the API's serializer) gets them."""

from datetime import timedelta

import pytest

from identifications.actors import Actor
from identifications.errors import NoDefaultConfiguration, ScoringURLMissing
from identifications.models import Identification
from identifications.services.lifecycle import identification_create
from scoring.models import Configuration, Provider
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db
ACTOR = Actor.command("test")


def test_external_scoring_without_the_organizations_url_is_refused_naming_the_field():
    organization = OrganizationFactory(scoring_url="")

    with pytest.raises(ScoringURLMissing) as raised:
        identification_create(
            organization=organization,
            actor=ACTOR,
            expires_in=timedelta(days=1),
            scoring_provider=Provider.EXTERNAL,
        )

    assert (raised.value.code, raised.value.field) == ("invalid", "scoring.provider")
    assert not Identification.objects.exists()


def test_no_configuration_means_the_organizations_default():
    organization = OrganizationFactory(default_configuration=Configuration.objects.get(name="LOW"))

    identification = identification_create(organization=organization, actor=ACTOR, expires_in=timedelta(days=1))

    assert Identification.objects.get(pk=identification.pk).configuration.name == "LOW"


def test_no_configuration_and_no_default_is_refused_naming_the_field():
    organization = OrganizationFactory()
    Configuration.objects.filter(name="MEDIUM").delete()

    with pytest.raises(NoDefaultConfiguration) as raised:
        identification_create(organization=organization, actor=ACTOR, expires_in=timedelta(days=1))

    assert (raised.value.code, raised.value.field) == ("required", "configuration_name")
    assert not Identification.objects.exists()
