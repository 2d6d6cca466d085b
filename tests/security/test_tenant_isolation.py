"""Tenant isolation, endpoint by endpoint: one organization's credentials never reach another's identifications.

The endpoints come from the served OpenAPI document and the URL resolver, so an endpoint added without a row in
MATRIX fails here until someone decides what isolation means for it.
"""

import json
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from identifications.api.http.base import APIViewSet
from identifications.client_secrets import hash_client_secret
from identifications.models import Identification, IdentificationEvent
from tests.api.helpers import SEED_BODY
from tests.api.validation_helpers import DEVICE, MATCHING_METADATA, image_base64
from tests.factories import IdentificationFactory, OrganizationFactory, issue_key

BASE = "/v1/orgs/{org_id}/identifications/identity_document"
OUR_SECRET = "idsec_our-holder-secret-0123456789abcdefghijklmnopq"
THEIR_SECRET = "idsec_their-holder-secret-0123456789abcdefghijklmnop"


@dataclass(frozen=True)
class Row:
    id_parameter: str | None = None  # the path parameter naming an identification, if any
    body: dict | None = None  # JSON body for POST
    headers: dict = field(default_factory=dict)


MATRIX = {
    ("POST", BASE): Row(body=SEED_BODY),
    ("GET", BASE): Row(),
    ("GET", BASE + "/{identification_id}"): Row(id_parameter="identification_id"),
    ("POST", BASE + "/{identification_id}/validate"): Row(
        id_parameter="identification_id",
        body={"evidence": image_base64(), "evidence_metadata": MATCHING_METADATA},
        headers=DEVICE,
    ),
    ("POST", BASE + "/{admin_identification_id}/close"): Row(id_parameter="admin_identification_id", body={}),
    ("POST", BASE + "/{admin_identification_id}/redact"): Row(id_parameter="admin_identification_id", body={}),
}


def schema_operations(client) -> set[tuple[str, str]]:
    paths = client.get("/v1/schema/?format=json").json()["paths"]
    return {(method.upper(), path) for path, operations in paths.items() for method in operations}


def resolver_operations(patterns=None) -> list[tuple[str, str]]:
    """(viewset, HTTP method) of every route that reaches an APIViewSet, the schema's or not."""
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            found.extend(resolver_operations(pattern.url_patterns))
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "cls", None)
            if view is not None and issubclass(view, APIViewSet):
                # HEAD is GET without the body (DRF adds it to every GET route), not an endpoint of its own.
                found.extend((view.__name__, method.upper()) for method in pattern.callback.actions if method != "head")
    return found


def test_every_endpoint_has_a_row_and_every_row_an_endpoint(client):
    operations = schema_operations(client)

    assert operations == set(MATRIX) | set(WEBHOOK_MATRIX)
    # A route left out of the schema would hide from the comparison above; the resolver sees every one.
    assert len(resolver_operations()) == len(operations)


@pytest.fixture
def world(db):
    ours, theirs = OrganizationFactory(slug="acme"), OrganizationFactory(slug="other")
    our_identification = IdentificationFactory(organization=ours)
    their_identification = IdentificationFactory(organization=theirs)
    Identification.objects.filter(pk=our_identification.pk).update(client_secret_hash=hash_client_secret(OUR_SECRET))
    Identification.objects.filter(pk=their_identification.pk).update(
        client_secret_hash=hash_client_secret(THEIR_SECRET)
    )
    return {
        "our_key": issue_key(ours)[1],
        "their_key": issue_key(theirs)[1],
        "ours": our_identification,
        "theirs": their_identification,
    }


def call(client, operation, *, org, identification=None, token):
    method, template = operation
    row = MATRIX[operation]
    path = template.replace("{org_id}", org)
    if row.id_parameter:
        path = path.replace("{" + row.id_parameter + "}", str(identification.pk))
    headers = {**row.headers, "Authorization": f"Bearer {token}"}
    if method == "GET":
        return client.get(path, headers=headers)
    return client.post(path, row.body, content_type="application/json", headers=headers)


def snapshot(identification) -> tuple:
    """Everything an operation could change about an identification."""
    return (
        Identification.objects.filter(pk=identification.pk).values().get(),
        IdentificationEvent.objects.filter(identification=identification).count(),
    )


def assert_401(response):
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["errors"][0]["code"] in {"authentication_failed", "not_authenticated"}


@pytest.mark.parametrize("operation", sorted(MATRIX), ids=lambda operation: " ".join(operation))
def test_isolation(client, world, operation):
    ours, theirs = world["ours"], world["theirs"]
    before = snapshot(ours), snapshot(theirs)
    identification = ours if MATRIX[operation].id_parameter else None

    # (a) another organization's key under our org_id
    their_key_here = call(client, operation, org="acme", identification=identification, token=world["their_key"])
    # (b) an unknown org_id: the same answer, so that nobody learns which organizations exist
    unknown_org = call(client, operation, org="no-such-org", identification=identification, token=world["their_key"])
    # (d) our holder's client secret on their identification, under their org_id and under ours
    secret_on_theirs = [
        call(client, operation, org=org, identification=theirs, token=OUR_SECRET) for org in ("other", "acme")
    ]

    assert_401(their_key_here)
    assert (unknown_org.status_code, unknown_org.content) == (their_key_here.status_code, their_key_here.content)
    for response in secret_on_theirs:
        assert_401(response)

    # (c) our key with their identification under our org_id: it does not exist for us
    if MATRIX[operation].id_parameter:
        their_id_here = call(client, operation, org="acme", identification=theirs, token=world["our_key"])
        assert their_id_here.status_code == 404, their_id_here.content
        assert their_id_here.json()["errors"][0]["code"] == "not_found"
    elif operation[0] == "GET":  # the list: ours only (create names no identification, so (c) has nothing to cross)
        listed = call(client, operation, org="acme", token=world["our_key"]).json()["results"]
        assert [row["id"] for row in listed] == [str(ours.pk)]

    assert snapshot(theirs) == before[1]
    assert snapshot(ours) == before[0]


# Events and webhook endpoints: ids are the public `evt_...` / `we_...` ones.
EVENTS, ENDPOINTS = "/v1/orgs/{org_id}/events", "/v1/orgs/{org_id}/webhook_endpoints"
WEBHOOK_MATRIX = {
    ("GET", EVENTS): None,
    ("GET", EVENTS + "/{event_id}"): "event",
    ("GET", ENDPOINTS): None,
    ("POST", ENDPOINTS): None,
    ("GET", ENDPOINTS + "/{endpoint_id}"): "endpoint",
    ("PATCH", ENDPOINTS + "/{endpoint_id}"): "endpoint",
    ("DELETE", ENDPOINTS + "/{endpoint_id}"): "endpoint",
    ("POST", ENDPOINTS + "/{endpoint_id}/rotate_secret"): "endpoint",
    ("POST", ENDPOINTS + "/{endpoint_id}/test"): "endpoint",
}


@pytest.fixture
def webhook_world(world):
    from identifications.actors import Actor
    from identifications.services import identification_close
    from identifications.services.webhooks import webhook_endpoint_create

    for organization, identification in (
        (world["ours"].organization, world["ours"]),
        (world["theirs"].organization, world["theirs"]),
    ):
        identification_close(identification_id=identification.pk, actor=Actor.system())
        webhook_endpoint_create(organization=organization, url="https://hooks.example/" + organization.slug)
    return world


def webhook_call(client, operation, *, org, token, event=None, endpoint=None):
    method, template = operation
    path = template.replace("{org_id}", org)
    path = path.replace("{event_id}", event.public_id if event else "").replace(
        "{endpoint_id}", endpoint.public_id if endpoint else ""
    )
    body = {"url": "https://hooks.example/new"} if method == "POST" and path.endswith("webhook_endpoints") else {}
    return client.generic(
        method, path, json.dumps(body), content_type="application/json", headers={"Authorization": f"Bearer {token}"}
    )


@pytest.mark.parametrize("operation", sorted(WEBHOOK_MATRIX), ids=lambda operation: " ".join(operation))
def test_webhook_isolation(client, webhook_world, operation):
    from identifications.models import Event, WebhookEndpoint

    world = webhook_world
    ours, theirs = world["ours"].organization, world["theirs"].organization
    objects = {
        org: {"event": Event.objects.get(organization=org), "endpoint": WebhookEndpoint.objects.get(organization=org)}
        for org in (ours, theirs)
    }
    before = sorted(WebhookEndpoint.objects.values_list("public_id", "url", "enabled", "secret_encrypted"))
    kind = WEBHOOK_MATRIX[operation]
    ids = {kind: objects[ours][kind]} if kind else {}

    their_key_here = webhook_call(client, operation, org="acme", token=world["their_key"], **ids)
    unknown_org = webhook_call(client, operation, org="no-such-org", token=world["their_key"], **ids)
    assert_401(their_key_here)
    assert (unknown_org.status_code, unknown_org.content) == (their_key_here.status_code, their_key_here.content)

    if kind:
        their_id_here = webhook_call(
            client, operation, org="acme", token=world["our_key"], **{kind: objects[theirs][kind]}
        )
        assert their_id_here.status_code == 404, their_id_here.content
        assert their_id_here.json()["errors"][0]["code"] == "not_found"
        assert sorted(WebhookEndpoint.objects.values_list("public_id", "url", "enabled", "secret_encrypted")) == before
    elif operation[0] == "GET":
        listed = webhook_call(client, operation, org="acme", token=world["our_key"]).json()["results"]
        theirs_ids = {objects[theirs]["event"].public_id, objects[theirs]["endpoint"].public_id}
        assert listed and not {row["id"] for row in listed} & theirs_ids
