"""POST /v1/orgs/{org_id}/identifications/identity_document: the seed's create operation."""

import copy
from datetime import UTC, datetime

import pytest
import time_machine

from identifications.client_secrets import hash_client_secret
from identifications.models import Identification, IdentificationEvent
from tests.api.helpers import SEED_BODY, create_url, error_fields, errors, post_json
from tests.rate_limit import rate_limited

NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


def with_changes(**changes):
    body = copy.deepcopy(SEED_BODY)
    for path, value in changes.items():
        target = body
        *parents, leaf = path.split("__")
        for parent in parents:
            target = target[parent]
        if value is ...:
            del target[leaf]
        else:
            target[leaf] = value
    return body


@time_machine.travel(NOW, tick=False)
def test_seed_example_creates_a_pending_identification(client, auth, api_key):
    response = post_json(client, create_url(), SEED_BODY, auth)

    assert response.status_code == 200
    body = response.json()
    identification = Identification.objects.get()
    client_secret = body.pop("client_secret")
    assert client_secret.startswith("idsec_")
    # Shown once, stored only as its hash.
    assert identification.client_secret_hash == hash_client_secret(client_secret)
    assert client_secret not in str(Identification.objects.values().get())
    assert body == {
        "id": str(identification.id),
        "status": "PENDING",
        "name": "James",
        "last_name": "Smith",
        "identity_document": {"document_number": "12345678A", "document_type": "NIF", "country": "ES"},
        "configuration_name": "HIGH",
        "scoring": {"provider": "INTERNAL"},
        "created_at": "2026-11-25T17:00:00Z",
        "expires_at": "2026-12-02T17:00:00Z",
    }
    event = IdentificationEvent.objects.get()
    assert (event.from_status, event.to_status, event.actor_type, event.actor) == (
        None,
        "PENDING",
        "API_KEY",
        api_key[0].prefix,
    )


@time_machine.travel(NOW, tick=False)
def test_empty_body_applies_every_default(client, auth):
    response = post_json(client, create_url(), {}, auth)

    assert response.status_code == 200
    body = response.json()
    assert body["name"] is None and body["last_name"] is None and body["identity_document"] is None
    assert body["configuration_name"] == "MEDIUM"
    assert body["scoring"] == {"provider": "INTERNAL"}
    assert body["expires_at"] == "2026-12-25T17:00:00Z"


def test_organization_default_configuration_applies(client, auth, organization):
    from scoring.models import Configuration

    organization.default_configuration = Configuration.objects.get(name="LOW")
    organization.save()

    response = post_json(client, create_url(), {}, auth)

    assert response.json()["configuration_name"] == "LOW"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"name": "  James  "}, {"name": "James"}),
        ({"name": None, "last_name": None}, {"name": None, "last_name": None}),
        ({"name": "José Ñúñez"}, {"name": "José Ñúñez"}),
        ({"identity_document__document_number": "1234-5678 a"}, {"document_number": "12345678A"}),
        ({"identity_document__country": ...}, {"country": "ES"}),
        (
            {"identity_document": {"document_number": "x1234567l", "document_type": "NIE"}},
            {"document_number": "X1234567L", "document_type": "NIE", "country": "ES"},
        ),
        (
            {
                "identity_document": {
                    "document_number": "PA1234567",
                    "document_type": "PASSPORT",
                    "country": "FR",
                }
            },
            {"document_number": "PA1234567", "document_type": "PASSPORT", "country": "FR"},
        ),
        (
            {"identity_document": {"document_number": "AB1", "document_type": "PASSPORT"}},
            {"document_number": "AB1", "country": None},
        ),
        ({"identity_document": None}, {"identity_document": None}),
        ({"configuration_name": "LOW"}, {"configuration_name": "LOW"}),
        ({"configuration_name": ...}, {"configuration_name": "MEDIUM"}),
        ({"scoring": {"provider": "EXTERNAL"}}, {"scoring": {"provider": "EXTERNAL"}}),
        ({"scoring": {}}, {"scoring": {"provider": "INTERNAL"}}),
        ({"scoring": ...}, {"scoring": {"provider": "INTERNAL"}}),
        ({"expires_in": "P30D"}, {"expires_at": "2026-12-25T17:00:00Z"}),
        ({"expires_in": "PT720H"}, {"expires_at": "2026-12-25T17:00:00Z"}),
        ({"expires_in": "PT1M"}, {"expires_at": "2026-11-25T17:01:00Z"}),
        ({"expires_in": "P1W"}, {"expires_at": "2026-12-02T17:00:00Z"}),
        ({"expires_in": ...}, {"expires_at": "2026-12-25T17:00:00Z"}),
    ],
)
@time_machine.travel(NOW, tick=False)
def test_valid_inputs(client, auth, organization, changes, expected):
    organization.scoring_url = "https://scoring.example.com/score"  # for EXTERNAL
    organization.save()
    response = post_json(client, create_url(), with_changes(**changes), auth)

    assert response.status_code == 200, response.content
    body = response.json()
    flat = {**body, **(body["identity_document"] or {})}
    for key, value in expected.items():
        assert flat[key] == value, key
    assert Identification.objects.count() == 1


LONG = "x" * 151


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"name": LONG}, "name", "max_length"),
        ({"last_name": LONG}, "last_name", "max_length"),
        ({"name": "Ja\x00mes"}, "name", "control_characters_not_allowed"),
        ({"last_name": "Smith\x1b[31m"}, "last_name", "control_characters_not_allowed"),
        ({"name": "line\nbreak"}, "name", "control_characters_not_allowed"),
        ({"name": 42}, "name", "invalid"),
        ({"name": ["James"]}, "name", "invalid"),
        ({"name": {"first": "James"}}, "name", "invalid"),
        ({"identity_document": "12345678A"}, "identity_document", "invalid"),
        ({"identity_document": []}, "identity_document", "invalid"),
        ({"identity_document__document_number": ...}, "identity_document.document_number", "required"),
        ({"identity_document__document_type": ...}, "identity_document.document_type", "required"),
        ({"identity_document__document_number": None}, "identity_document.document_number", "null"),
        ({"identity_document__document_number": 12345678}, "identity_document.document_number", "invalid"),
        ({"identity_document__document_number": "1234567A"}, "identity_document.document_number", "invalid"),
        ({"identity_document__document_number": "123456789"}, "identity_document.document_number", "invalid"),
        ({"identity_document__document_number": "1" * 41}, "identity_document.document_number", "max_length"),
        (
            {"identity_document__document_number": "1234\x005678A"},
            "identity_document.document_number",
            "control_characters_not_allowed",
        ),
        ({"identity_document__document_type": "DNI"}, "identity_document.document_type", "invalid_choice"),
        ({"identity_document__document_type": "nif"}, "identity_document.document_type", "invalid_choice"),
        ({"identity_document__document_type": 1}, "identity_document.document_type", "invalid"),
        ({"identity_document__country": "es"}, "identity_document.country", "invalid"),
        ({"identity_document__country": "ESP"}, "identity_document.country", "invalid"),
        ({"identity_document__country": "XX"}, "identity_document.country", "invalid_choice"),
        ({"identity_document__country": "AA"}, "identity_document.country", "invalid_choice"),
        ({"identity_document__country": "FR"}, "identity_document.country", "invalid"),
        ({"configuration_name": "high"}, "configuration_name", "invalid_choice"),
        ({"configuration_name": "ULTRA"}, "configuration_name", "invalid_choice"),
        ({"configuration_name": None}, "configuration_name", "null"),
        ({"expires_in": "P30DT1S"}, "expires_in", "max_value"),
        ({"expires_in": "P31D"}, "expires_in", "max_value"),
        ({"expires_in": "P1Y"}, "expires_in", "max_value"),
        ({"expires_in": "P0D"}, "expires_in", "min_value"),
        ({"expires_in": "PT59S"}, "expires_in", "min_value"),
        ({"expires_in": "-P1D"}, "expires_in", "min_value"),
        ({"expires_in": "P99999999999999D"}, "expires_in", "invalid"),
        ({"expires_in": "P999999999Y"}, "expires_in", "invalid"),
        ({"expires_in": "7 days"}, "expires_in", "invalid"),
        ({"expires_in": "P"}, "expires_in", "invalid"),
        ({"expires_in": ""}, "expires_in", "blank"),
        ({"expires_in": 7}, "expires_in", "invalid"),
        ({"expires_in": "P" + "1" * 100 + "D"}, "expires_in", "invalid"),
        ({"scoring": {"provider": "internal"}}, "scoring.provider", "invalid_choice"),
        ({"scoring": {"provider": "MAGIC"}}, "scoring.provider", "invalid_choice"),
        ({"scoring": "INTERNAL"}, "scoring", "invalid"),
        ({"nmae": "James"}, "nmae", "unknown_field"),
        ({"identity_document__number": "1"}, "identity_document.number", "unknown_field"),
        ({"scoring__weight": 3}, "scoring.weight", "unknown_field"),
    ],
)
def test_invalid_inputs_are_400_naming_the_field_and_write_nothing(client, auth, changes, field, code):
    response = post_json(client, create_url(), with_changes(**changes), auth)

    assert response.status_code == 400, response.content
    assert (field, code) in error_fields(response)
    assert all(entry["message"] for entry in errors(response))
    assert Identification.objects.count() == 0
    assert IdentificationEvent.objects.count() == 0


def test_choice_errors_list_the_allowed_values(client, auth):
    response = post_json(client, create_url(), with_changes(identity_document__document_type="DNI"), auth)

    [entry] = errors(response)
    assert entry["message"] == '"DNI" is not a valid choice. Allowed values: NIE, NIF, PASSPORT.'


def test_every_problem_is_reported(client, auth):
    body = {
        "name": 1,
        "configuration_name": "x",
        "extra": True,
        "identity_document": {"document_type": "NIF"},
    }

    response = post_json(client, create_url(), body, auth)

    assert error_fields(response) == {
        ("name", "invalid"),
        ("configuration_name", "invalid_choice"),
        ("extra", "unknown_field"),
        ("identity_document.document_number", "required"),
    }


def test_inactive_document_type_is_not_accepted(client, auth):
    from identifications.models import DocumentType

    DocumentType.objects.filter(code="PASSPORT").update(active=False)

    body = with_changes(identity_document={"document_number": "AB123", "document_type": "PASSPORT"})
    response = post_json(client, create_url(), body, auth)

    assert ("identity_document.document_type", "invalid_choice") in error_fields(response)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("[]", "invalid_request"),
        ('[{"name": "James"}]', "invalid_request"),
        ('"James"', "invalid_request"),
        ("42", "invalid_request"),
        ("null", "invalid_request"),
        ("{", "parse_error"),
        ("{'name': 'James'}", "parse_error"),
        ('{"name": NaN}', "parse_error"),
        ('{"name": "a", "name": "b"}', "parse_error"),
        (b'{"name": "\xff\xfe"}', "parse_error"),
        ("[" * 5000 + "]" * 5000, "parse_error"),
    ],
)
def test_bodies_that_are_not_a_json_object(client, auth, payload, code):
    response = post_json(client, create_url(), payload, auth)

    assert response.status_code == 400
    assert [entry["code"] for entry in errors(response)] == [code]
    assert Identification.objects.count() == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_non_json_media_types_are_415(client, auth, content_type):
    response = client.post(create_url(), "name=James", content_type=content_type, headers=auth)

    assert response.status_code == 415
    assert errors(response)[0]["code"] == "unsupported_media_type"
    assert Identification.objects.count() == 0


def test_huge_body_is_413(client, auth):
    response = post_json(client, create_url(), {"name": "x" * 200_000}, auth)

    assert response.status_code == 413
    assert errors(response)[0]["code"] == "request_too_large"
    assert Identification.objects.count() == 0


def test_create_spends_two_statements(client, auth, capture_queries):
    post_json(client, create_url(), SEED_BODY, auth)  # warms the key and reference caches, records the key's use

    with capture_queries() as queries:
        response = post_json(client, create_url(), SEED_BODY, auth)

    assert response.status_code == 200
    # 1. INSERT the identification
    # 2. INSERT its creation event
    # 3-4. the outbox: INSERT the public event (built from the identification just inserted, which has no earlier
    #    event: nothing to read back), SELECT the organization's enabled webhook endpoints (none here, so no
    #    delivery INSERT)
    # The API key (with its organization), document types and configurations come from caches (a key's row is read
    # again at most every API_KEY_CACHE_SECONDS, see test_cold_caches_add_one_query_each); transaction control is
    # not counted.
    # (After the rate limiter's own statement where it counts in the database: tests/rate_limit.py.)
    assert queries.verbs == rate_limited(["INSERT", "INSERT", "INSERT", "SELECT"])
    first = len(rate_limited([]))
    assert "identifications_identification" in queries.statements[first]
    assert "identifications_identificationevent" in queries.statements[first + 1]


def test_cold_caches_add_one_query_each(client, auth, capture_queries):
    with capture_queries() as queries:
        response = post_json(client, create_url(), SEED_BODY, auth)

    assert response.status_code == 200
    # The above, plus the key's SELECT (JOIN its organization) and last_used_at UPDATE, and the two reference
    # tables, read once per cache lifetime.
    assert sorted(queries.verbs) == sorted(
        rate_limited(["INSERT", "INSERT", "INSERT", "SELECT", "SELECT", "SELECT", "SELECT", "UPDATE"])
    )
