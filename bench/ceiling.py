"""Ceiling views: what the stack costs without the API's own work.

- `constant`: Django (every middleware of the production settings) answering a constant JSON body: the framework
  ceiling.
- `insert`: the same statements as a create, in one transaction, through the ORM: the identification, its audit
  event, its public event (the outbox's row, with a payload of the same shape) and the SELECT of the organization's
  webhook endpoints; with no authentication, rate limiting, parsing, validation or serialization: the framework +
  database ceiling. The outbox's two statements are the webhooks contract's (API.md: an event exists if and only if
  its transition committed), so the ceiling does them too; until issue 13's second round it did only the first two.
"""

from datetime import timedelta
from functools import cache

from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from identifications.client_secrets import new_client_secret
from identifications.models import (
    DocumentType,
    Event,
    Identification,
    IdentificationEvent,
    Organization,
    WebhookEndpoint,
)
from scoring.models import Configuration

BENCH_ORGANIZATION = "bench"
CONSTANT_BODY = {"status": "ok", "service": "identity-document identification"}


@require_GET
def constant(request):
    return JsonResponse(CONSTANT_BODY)


@cache
def _references():
    # Read once per process: the ceiling must not pay for lookups the API caches too.
    return (
        Organization.objects.get(slug=BENCH_ORGANIZATION).pk,
        DocumentType.objects.get(code="NIF").pk,
        Configuration.objects.get(name="HIGH").pk,
    )


@csrf_exempt
@require_POST
def insert(request):
    organization_id, document_type_id, configuration_id = _references()
    now = timezone.now()
    _, client_secret_hash = new_client_secret()
    identification = Identification(
        organization_id=organization_id,
        client_secret_hash=client_secret_hash,
        name="Bench",
        last_name="Ceiling",
        document_type_id=document_type_id,
        document_number="12345678Z",
        document_country="ES",
        configuration_id=configuration_id,
        scoring_provider="INTERNAL",
        status=Identification.Status.PENDING,
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(days=7),
    )
    with transaction.atomic():
        identification.save(force_insert=True)
        IdentificationEvent.objects.create(
            identification=identification,
            from_status=None,
            to_status=Identification.Status.PENDING,
            actor_type=IdentificationEvent.ActorType.API_KEY,
            actor="ceiling",
            created_at=now,
        )
        event = Event(organization_id=organization_id, identification=identification, type="identification.created")
        event.sequence, event.created_at = 1, now
        event.payload = {
            "id": event.public_id,
            "type": event.type,
            "timestamp": now.isoformat(),
            "data": {"id": str(identification.pk), "organization": BENCH_ORGANIZATION, "status": "PENDING"},
        }
        event.save(force_insert=True)
        list(WebhookEndpoint.objects.filter(organization_id=organization_id, enabled=True))
    return HttpResponse(str(identification.pk), content_type="text/plain", status=200)
