"""The outbox: an event per audit transition, in its transaction, with a per-identification sequence and no
personal data."""

from datetime import UTC, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from identifications.actors import Actor
from identifications.models import Event, Identification
from identifications.services import (
    identification_close,
    identification_redact,
    identifications_expire_due,
)
from tests.api.helpers import SEED_BODY, create_url, post_json
from tests.factories import IdentificationFactory

Status = Identification.Status
pytestmark = pytest.mark.django_db


def created(client, auth) -> str:
    response = post_json(client, create_url(), SEED_BODY, auth)
    assert response.status_code == 200
    return response.json()["id"]


def test_create_then_close_write_two_events_in_sequence_with_the_documented_payload(client, auth):
    identification_id = created(client, auth)
    identification_close(identification_id=identification_id, actor=Actor.system())

    events = list(Event.objects.filter(identification_id=identification_id).order_by("sequence"))
    assert [(e.type, e.sequence) for e in events] == [("identification.created", 1), ("identification.closed", 2)]
    closed = events[1].payload
    assert closed["id"] == events[1].public_id and closed["id"].startswith("evt_")
    assert closed["type"] == "identification.closed"
    assert closed["timestamp"].endswith("Z")
    assert closed["data"] == {
        "id": identification_id,
        "organization": "acme",
        "status": "CLOSED",
        "sequence": 2,
        "attempts": {"used": 0, "max": 5, "processing": False},
    }


def test_events_carry_no_personal_data(client, auth):
    identification_id = created(client, auth)
    text = str(Event.objects.get(identification_id=identification_id).payload)
    for personal in ("James", "Smith", "12345678A"):
        assert personal not in text


def test_a_rolled_back_transition_leaves_no_event(organization):
    identification = IdentificationFactory(organization=organization)
    with pytest.raises(RuntimeError), transaction.atomic():
        identification_close(identification_id=identification.pk, actor=Actor.system())
        raise RuntimeError("the caller's transaction fails after the close")

    assert Identification.objects.get(pk=identification.pk).status == Status.PENDING
    assert not Event.objects.exists()


def test_a_refused_transition_writes_no_event(organization):
    identification = IdentificationFactory(organization=organization, status=Status.CLOSED)
    with pytest.raises(Exception, match="CLOSED"):
        identification_close(identification_id=identification.pk, actor=Actor.system())
    assert not Event.objects.exists()


def test_expiry_in_batches_writes_one_event_per_expired_identification(organization):
    past = timezone.now() - timedelta(minutes=1)
    rows = [
        IdentificationFactory(organization=organization, created_at=past - timedelta(days=1), expires_at=past)
        for _ in range(5)
    ]
    assert identifications_expire_due(actor=Actor.command("expire_identifications"), batch_size=2) == 5

    events = Event.objects.filter(type="identification.expired")
    assert sorted(str(e.identification_id) for e in events) == sorted(str(r.pk) for r in rows)
    assert {e.sequence for e in events} == {1}  # factory rows have no creation event
    assert {e.payload["data"]["status"] for e in events} == {"EXPIRED"}


def test_an_expiry_batch_event_is_the_documented_payload_after_the_creation_event(client, auth, organization, settings):
    """On PostgreSQL the database builds the expiry batch's events (services.expiry_batches.BATCH_SQL): the same
    event as every other transition's, sequence after the creation event, and a delivery per wanting endpoint."""
    from identifications.models import WebhookDelivery
    from identifications.services.webhooks import webhook_endpoint_create

    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    endpoint, _ = webhook_endpoint_create(
        organization=organization,
        url="http://127.0.0.1:9/hook",
    )
    identification_id = created(client, auth)
    later = timezone.now() + timedelta(days=8)
    with time_machine.travel(later, tick=False):
        assert identifications_expire_due(actor=Actor.command("expire_identifications")) == 1

    expired = Event.objects.get(identification_id=identification_id, type="identification.expired")
    assert expired.sequence == 2
    assert expired.public_id.startswith("evt_") and len(expired.public_id) == len("evt_") + 32
    assert expired.payload == {
        "id": expired.public_id,
        "type": "identification.expired",
        "timestamp": later.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": {
            "id": identification_id,
            "organization": "acme",
            "status": "EXPIRED",
            "sequence": 2,
            "attempts": {"used": 0, "max": 5, "processing": False},
        },
    }
    assert WebhookDelivery.objects.filter(event=expired, endpoint=endpoint).count() == 1


def test_redaction_is_an_event_after_the_close_it_implies(organization):
    identification = IdentificationFactory(organization=organization)
    identification_redact(identification_id=identification.pk, actor=Actor.system())
    assert list(Event.objects.order_by("sequence").values_list("type", "sequence")) == [
        ("identification.closed", 1),
        ("identification.redacted", 2),
    ]


def test_purge_events_deletes_only_events_past_retention(organization, settings):
    settings.EVENTS_RETENTION_DAYS = 30
    old, recent = IdentificationFactory(organization=organization), IdentificationFactory(organization=organization)
    with time_machine.travel(timezone.now() - timedelta(days=31)):
        identification_close(identification_id=old.pk, actor=Actor.system())
    identification_close(identification_id=recent.pk, actor=Actor.system())

    out = StringIO()
    call_command("purge_events", "--batch-size", "1", stdout=out)

    assert "Deleted 1 event." in out.getvalue()
    assert list(Event.objects.values_list("identification_id", flat=True)) == [recent.pk]
