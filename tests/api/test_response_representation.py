"""The identification responses are written out by hand (organization_inputs.IdentificationOutput, for speed): they
must be what the declared fields, which the OpenAPI document shows, would give, key for key and in the same order."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from rest_framework import serializers as drf

from identifications.actors import Actor
from identifications.api import organization_inputs as outputs
from identifications.models import Identification
from identifications.services.lifecycle import identification_create
from tests.api.test_retrieve import RESULT
from tests.factories import IdentificationFactory, OrganizationFactory

NOW = datetime(2026, 11, 25, 17, 0, 0, 123456, tzinfo=UTC)
Status = Identification.Status
pytestmark = pytest.mark.django_db


def by_the_fields(serializer, instance) -> dict:
    """DRF's own Serializer.to_representation: each declared field in turn."""
    return drf.Serializer.to_representation(serializer, instance)


def assert_same_bytes(serializer, instance):
    hand_written = serializer.to_representation(instance)
    assert json.dumps(hand_written) == json.dumps(by_the_fields(serializer, instance))


def stored(identification) -> Identification:
    return Identification.objects.select_related("document_type", "configuration").get(pk=identification.pk)


STORED = {
    "pending": {},
    "without a document or names": {
        "name": None,
        "last_name": None,
        "document_type": None,
        "document_number": None,
        "document_country": None,
    },
    "without a country": {"document_country": None},
    "closed with a reason": {"status": Status.CLOSED, "closed_at": NOW, "close_reason": "Duplicate request."},
    "scored, one attempt used": {"attempts_used": 1, "attempt_processing": True, "result": RESULT},
    "redacted": {
        "status": Status.CLOSED,
        "closed_at": NOW,
        "redacted_at": NOW + timedelta(seconds=1),
        "name": None,
        "last_name": None,
        "document_number": None,
    },
}


@pytest.mark.parametrize("fields", STORED.values(), ids=STORED.keys())
@pytest.mark.parametrize("for_holder", [False, True])
def test_stored_identification(fields, for_holder):
    identification = stored(IdentificationFactory(created_at=NOW, **fields))
    serializer = outputs.IdentityDocumentIdentificationResponse(context={"for_holder": for_holder})
    assert_same_bytes(serializer, identification)


@pytest.mark.parametrize(
    "document",
    [{}, {"document_type": "NIF", "document_number": "12345678Z", "document_country": "ES"}],
    ids=["no document", "a document"],
)
def test_created_identification(document):
    from identifications.selectors import reference

    if document:
        document = {**document, "document_type": reference.active_document_types()[document["document_type"]]}
    identification = identification_create(
        organization=OrganizationFactory(),
        actor=Actor.system(),
        expires_in=timedelta(days=7),
        now=NOW,
        name="James",
        **document,
    )
    assert_same_bytes(outputs.CreateIdentityDocumentIdentificationResponse(), identification)
