"""Test data. Rows go through the same services production uses wherever a service exists."""

from datetime import timedelta

import factory
from django.utils import timezone

from identifications.models import DocumentType, Identification, Organization
from identifications.services.organizations import api_key_issue
from scoring.models import Configuration, Provider


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"org-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())


def issue_key(organization=None, **kwargs):
    """An API key and its raw value: (OrganizationAPIKey, "prefix.secret")."""
    organization = organization or OrganizationFactory()
    kwargs.setdefault("name", "test key")
    return api_key_issue(organization=organization, **kwargs)


class IdentificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Identification

    organization = factory.SubFactory(OrganizationFactory)
    name = "James"
    last_name = "Smith"
    document_number = factory.Sequence(lambda n: f"{n:08d}Z")
    document_type = factory.LazyFunction(lambda: DocumentType.objects.get(code="NIF"))
    document_country = "ES"
    configuration = factory.LazyFunction(lambda: Configuration.objects.get(name="HIGH"))
    scoring_provider = Provider.INTERNAL
    status = Identification.Status.PENDING
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyAttribute(lambda o: o.created_at)
    expires_at = factory.LazyAttribute(lambda o: o.created_at + timedelta(days=7))
