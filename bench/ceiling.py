"""Ceiling views: what the stack costs without the API's own work.

- `constant`: Django (every middleware of the production settings) answering a constant JSON body: the framework
  ceiling.
- `insert`: the same two INSERTs as a create (the identification and its creation event, in one transaction,
  through the ORM) with no authentication, parsing, validation or serialization: the framework + database ceiling.
"""

from datetime import timedelta
from functools import cache

from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from identifications.client_secrets import new_client_secret
from identifications.models import DocumentType, Identification, IdentificationEvent, Organization
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
    return HttpResponse(str(identification.pk), content_type="text/plain", status=200)
