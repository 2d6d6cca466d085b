"""Schema fuzzing: schemathesis generates requests for every operation of the served OpenAPI document and holds each
response to the document (status codes, bodies, headers, content types) and to its own rules: no 5xx, invalid input
rejected, valid input accepted, authentication enforced.

It runs in-process against the WSGI application, inside pytest-django's test transaction, so the same test runs on
SQLite and on PostgreSQL. Every operation is fuzzed three ways: with the organization's API key, with the holder's
client secret (the operations that take one) and without credentials. Generation is derandomized (a fixed seed), so a
failure reproduces on every run until the code or the document changes.

A finding is a bug in the API or in its OpenAPI document: fix whichever is wrong, don't loosen the checks.
"""

import base64
import uuid
from datetime import datetime, timedelta
from itertools import count
from urllib.parse import urlencode

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings

from config.wsgi import application
from identifications.client_secrets import hash_client_secret
from identifications.models import Event, Identification, WebhookEndpoint
from identifications.services import idempotency
from identifications.services.events import events_record
from identifications.services.webhooks import webhook_endpoint_create
from tests.factories import IdentificationFactory, OrganizationFactory, issue_key

SCHEMA_URL = "/v1/schema/?format=json"
ORG = "acme"
ADMIN_TAG = "Identification with identity document Admin"

# Identifications that exist when the fuzzer runs, so that generated ids reach past 404: the path parameters draw
# from these most of the time. Fixed ids, because the schema (and its dictionaries) is loaded at import time.
PENDING = [str(uuid.UUID(int=n)) for n in (1, 2, 3, 4)]
CLOSED = str(uuid.UUID(int=5))
EXPIRED = str(uuid.UUID(int=6))  # PENDING in the database, past expires_at: any read persists EXPIRED
OTHER_ORGANIZATIONS = str(uuid.UUID(int=7))  # 404 under acme
HOLDER = PENDING[0]
HOLDER_SECRET = "idsec_schema-fuzzing-holder-secret-0123456789"
KNOWN_IDS = [*PENDING, CLOSED, EXPIRED, OTHER_ORGANIZATIONS]
ENDPOINT_IDS = ["we_" + "0" * 23 + "1", "we_" + "0" * 23 + "2"]
EVENT_IDS = ["evt_" + "0" * 31 + "1"]


def _cursor(position: str) -> str:
    # The shape NewestFirstCursorPagination writes into next/previous links: base64 of "p=<created_at>".
    return base64.b64encode(urlencode({"p": position}).encode()).decode()


VALID_CURSORS = [_cursor("2030-01-01 00:00:00+00:00"), _cursor("2000-01-01 00:00:00+00:00")]

# Checks the document cannot make pass, each disabled for one operation only; every other check runs everywhere.
UNEXPRESSIBLE_RULES = [
    {
        # positive_data_acceptance: valid-looking input the API must refuse, by rules OpenAPI cannot state:
        # expires_in between PT1M and P30D (a pattern can say "ISO-8601 duration", not its length), the document
        # number's format chosen by document_type (and the country by it too), EXTERNAL scoring only for an
        # organization with a scoring URL.
        "include-operation-id": "createIdentityDocumentIdentification",
        "checks": {"positive_data_acceptance": {"enabled": False}},
    },
    {
        # positive_data_acceptance: `evidence` must decode to a real PNG or JPEG (a base64 pattern only says it
        # is base64), and `evidence_metadata` as JSON text must hold a valid metadata object.
        "include-operation-id": "validateIdentityDocumentIdentification",
        "checks": {"positive_data_acceptance": {"enabled": False}},
    },
    # positive_data_acceptance: an endpoint URL must be a URL whose host resolves (and, in production, to a public
    # address), which a pattern cannot say.
    {
        "include-operation-id": "createWebhookEndpoint",
        "checks": {"positive_data_acceptance": {"enabled": False}},
    },
    {
        "include-operation-id": "updateWebhookEndpoint",
        "checks": {"positive_data_acceptance": {"enabled": False}},
    },
]


def _config(*, parameters: dict) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": 20261125,
            "generation": {
                "max-examples": 120,
                # derandomize: the same cases on every run; no example database carried between runs.
                "deterministic": True,
                "database": "none",
            },
            # Every check the installed schemathesis has; max_response_time too, generous (a loaded CI runner), to
            # catch a hang.
            "checks": {"enabled": True, "max_response_time": 10.0},
            "operations": UNEXPRESSIBLE_RULES,
            "dictionaries": {
                "ids": {"values": KNOWN_IDS},
                "cursors": {"values": VALID_CURSORS},
                "endpoints": {"values": ENDPOINT_IDS},
                "events": {"values": EVENT_IDS},
            },
            "parameters": {
                # Most cases use the real ids and a cursor the API wrote; the rest stay random.
                "path.admin_identification_id": {"dictionary": "ids", "probability": 0.8},
                "path.identification_id": {"dictionary": "ids", "probability": 0.8},
                "query.cursor": {"dictionary": "cursors", "probability": 0.8},
                "path.endpoint_id": {"dictionary": "endpoints", "probability": 0.8},
                "path.event_id": {"dictionary": "events", "probability": 0.8},
                **parameters,
            },
        }
    )


def _load(*, parameters: dict):
    return schemathesis.openapi.from_wsgi(SCHEMA_URL, application, config=_config(parameters=parameters))


def breaks_an_unwritten_rule(case) -> bool:
    """Valid input to the schema that the list rightly refuses by rules in its description only: created_after must
    be earlier than created_before, and a cursor must be one the API wrote (it is opaque). Such a case is not sent;
    the dictionaries above make most generated cursors real ones."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return False
    query = case.query or {}
    after, before = _datetime(query.get("created_after")), _datetime(query.get("created_before"))
    return bool(after and before and after >= before) or query.get("cursor", VALID_CURSORS[0]) not in VALID_CURSORS


def cannot_be_sent(case) -> bool:
    """A negative case whose "unknown query parameter" is an empty list: a query string cannot carry it, so the
    request that goes out is a valid one and its 200 is right (schemathesis generated `{"": []}` for the events
    list)."""
    return any(value == [] for value in (case.query or {}).values())


def _datetime(value):
    try:
        return datetime.fromisoformat(value.upper().replace("Z", "+00:00")) if isinstance(value, str) else None
    except ValueError:
        return None


organization_schema = _load(parameters={"path.org_id": ORG})
# The holder's secret opens the holder family only (the admin family answers it 401, which the anonymous run covers).
# exclude, not include: with per-operation settings in the config, schemathesis ORs an include with its own filter.
holder_schema = (
    _load(parameters={"path.org_id": ORG, "path.identification_id": HOLDER})
    .exclude(tag=ADMIN_TAG)
    .exclude(tag="Events")
    .exclude(tag="Webhook endpoints")
)
# No org_id override: an unknown organization must answer exactly like a known one without credentials.
anonymous_schema = _load(parameters={})

FIXTURES_ARE_SHARED = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def in_test_transaction():
    """The WSGI handler closes the database connection around each request (close_old_connections), which on
    PostgreSQL would end the test's transaction; Django's test client disconnects it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, settings, in_test_transaction):
    """The organization, its key, and identifications in each state the operations treat differently."""
    settings.API_RATE_LIMIT = "1000000/minute"  # thousands of requests with one key: the limiter has its own tests
    acme = OrganizationFactory(slug=ORG, name="Acme")
    other = OrganizationFactory(slug="other", name="Other")
    _, raw_key = issue_key(acme)
    now = timezone.now()
    for pk in PENDING:
        IdentificationFactory(id=pk, organization=acme)
    IdentificationFactory(id=CLOSED, organization=acme, status=Identification.Status.CLOSED, closed_at=now)
    IdentificationFactory(
        id=EXPIRED, organization=acme, created_at=now - timedelta(days=10), expires_at=now - timedelta(days=1)
    )
    IdentificationFactory(id=OTHER_ORGANIZATIONS, organization=other)
    Identification.objects.filter(pk=HOLDER).update(client_secret_hash=hash_client_secret(HOLDER_SECRET))
    for public_id in ENDPOINT_IDS:
        endpoint, _ = webhook_endpoint_create(organization=acme, url="https://hooks.example/acme")
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(public_id=public_id)
    events_record(identification_id=CLOSED, from_status=None, to_status=Identification.Status.PENDING, now=now)
    Event.objects.update(public_id=EVENT_IDS[0])
    return {"api_key": raw_key}


@pytest.fixture
def answered():
    """The statuses one operation answered during the run: a run that never got past validation, or never failed
    it, proves little, so each operation must have answered both a 2xx and a 4xx."""
    statuses = []
    yield statuses
    assert any(200 <= status < 300 for status in statuses), f"no 2xx among {sorted(set(statuses))}"
    assert any(400 <= status < 500 for status in statuses), f"no 4xx among {sorted(set(statuses))}"


@pytest.fixture
def fresh_idempotency_keys():
    """Each generated Idempotency-Key is used once, as a client would: a key reused for a different request is a
    422 by design, which the fuzzer would otherwise meet whenever it draws the same key twice."""
    serial = count()

    def apply(case):
        key = (case.headers or {}).get(idempotency.HEADER)
        if isinstance(key, str) and 0 < len(key) <= 200 and key.isascii() and key.isprintable():
            case.headers[idempotency.HEADER] = f"{key}-{next(serial)}"

    return apply


@organization_schema.parametrize()
@FIXTURES_ARE_SHARED
def test_every_operation_with_the_organization_api_key(case, world, fresh_idempotency_keys, answered):
    if breaks_an_unwritten_rule(case) or cannot_be_sent(case):
        return
    fresh_idempotency_keys(case)
    response = case.call_and_validate(headers={"Authorization": f"Bearer {world['api_key']}"})
    answered.append(response.status_code)


@holder_schema.parametrize()
@FIXTURES_ARE_SHARED
def test_holder_operations_with_the_client_secret(case, world, fresh_idempotency_keys, answered):
    fresh_idempotency_keys(case)
    response = case.call_and_validate(headers={"Authorization": f"Bearer {HOLDER_SECRET}"})
    answered.append(response.status_code)


@anonymous_schema.parametrize()
@FIXTURES_ARE_SHARED
def test_every_operation_without_credentials_is_401(case, world):
    response = case.call_and_validate()

    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == ["Bearer"]  # schemathesis lower-cases header names
    assert response.json()["errors"][0]["code"] in {"not_authenticated", "authentication_failed"}
