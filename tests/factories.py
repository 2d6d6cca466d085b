"""Test data. Rows go through the same services production uses wherever a service exists."""

import copy
from datetime import timedelta

import factory
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from identifications.models import DocumentType, Identification, IdentificationEvent, Organization
from identifications.services.organizations import api_key_issue
from scoring.models import Configuration, Provider, ScoringAttempt
from tests.api.validation_helpers import MATCHING_METADATA, MRZ

Status = Identification.Status

# What a validation keeps about the person: the metadata tests/api/validation_helpers.py sends.
PERSONAL_METADATA = MATCHING_METADATA
ATTEMPT_CHECKS = [
    {"name": "document_control_character", "passed": True, "weight": 20, "reason": "The control letter matches."}
]


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


class IdentificationWithHistoryFactory(IdentificationFactory):
    """An identification with the audit history a real one has: created at `created_at` and, unless PENDING,
    moved to `status` at `ended_at` (default: a minute later), one event each, as the services write them.

    The dashboard counts identifications by created_at and status and transitions by their events; this keeps the
    two consistent.
    """

    class Meta:
        # The hook writes events of its own; the identification needs no second save.
        skip_postgeneration_save = True

    class Params:
        ended_at = factory.LazyAttribute(lambda o: o.created_at + timedelta(minutes=1))

    updated_at = factory.LazyAttribute(lambda o: o.created_at if o.status == Status.PENDING else o.ended_at)
    closed_at = factory.LazyAttribute(lambda o: o.ended_at if o.status == Status.CLOSED else None)
    expires_at = factory.LazyAttribute(
        lambda o: o.ended_at if o.status == Status.EXPIRED else o.created_at + timedelta(days=7)
    )

    @factory.post_generation
    def history(obj, create, extracted, **kwargs):
        if not create:
            return
        events = [
            IdentificationEvent(
                identification=obj,
                from_status=None,
                to_status=Status.PENDING,
                actor_type=IdentificationEvent.ActorType.API_KEY,
                actor="test1234",
                created_at=obj.created_at,
            )
        ]
        if obj.status != Status.PENDING:
            events.append(
                IdentificationEvent(
                    identification=obj,
                    from_status=Status.PENDING,
                    to_status=obj.status,
                    actor_type=IdentificationEvent.ActorType.SYSTEM,
                    actor="system",
                    # updated_at is ended_at for every status but PENDING.
                    created_at=obj.updated_at,
                )
            )
        IdentificationEvent.objects.bulk_create(events)


class ScoringAttemptFactory(factory.django.DjangoModelFactory):
    """A scored attempt holding the person's data (metadata, device, location) as validate stores it; the
    identification's `attempts_used` follows its number. `with_evidence=True` also writes an evidence image through
    Django's storage API."""

    class Meta:
        model = ScoringAttempt
        skip_postgeneration_save = True  # the hook updates the identification, not the attempt

    class Params:
        with_evidence = factory.Trait(
            evidence=factory.django.FileField(filename="evidence.png", data=b"\x89PNG not really"),
            evidence_content_type="image/png",
        )

    identification = factory.SubFactory(IdentificationFactory)
    number = 1
    provider = Provider.INTERNAL
    state = ScoringAttempt.State.SCORED
    score = 80
    passed = False
    checks = factory.LazyFunction(lambda: copy.deepcopy(ATTEMPT_CHECKS))
    evidence_metadata = factory.LazyFunction(lambda: copy.deepcopy(PERSONAL_METADATA))
    evidence_mrz = factory.LazyFunction(lambda: list(MRZ))
    installation_id = "install-1"
    fingerprint = "fp-abc"
    user_agent = "IdentityApp/2.1 (Android 14)"
    latitude = 40.4168
    longitude = -3.7038
    ip_address = "203.0.113.7"
    evidence_content_type = ""
    created_at = factory.LazyAttribute(lambda o: o.identification.created_at)

    @factory.post_generation
    def counted(obj, create, extracted, **kwargs):
        if create:
            Identification.objects.filter(pk=obj.identification_id, attempts_used__lt=obj.number).update(
                attempts_used=obj.number
            )


class StaffUserFactory(factory.django.DjangoModelFactory):
    """An active staff member (not a superuser) holding exactly `permissions` ("app_label.codename", ...)."""

    class Meta:
        model = User
        skip_postgeneration_save = True  # permissions are rows of their own

    username = factory.Sequence(lambda n: f"staff-{n}")
    password = factory.django.Password("not-used")
    is_staff = True

    @factory.post_generation
    def permissions(obj, create, extracted, **kwargs):
        for permission in extracted or ():
            app_label, codename = permission.split(".")
            obj.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
