"""POST .../identity_document/{admin_identification_id}/close: the seed's close operation."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from identifications.models import Identification, IdentificationEvent
from tests.api.helpers import close_url, errors, post_json
from tests.factories import IdentificationFactory, OrganizationFactory
from tests.outbox import TRANSITION_OUTBOX
from tests.rate_limit import rate_limited

NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
Status = Identification.Status


@pytest.fixture
def pending(organization):
    return IdentificationFactory(organization=organization, created_at=NOW, expires_at=NOW + timedelta(days=7))


@time_machine.travel(NOW + timedelta(hours=1), tick=False)
def test_close_without_body_is_204_and_records_who(client, auth, api_key, pending):
    # As the seed's curl sends it: no body, no Content-Type.
    response = client.generic("POST", close_url(pending.id), headers={**auth, "Accept": "application/json"})

    assert response.status_code == 204
    assert response.content == b""
    pending.refresh_from_db()
    assert pending.status == Status.CLOSED
    assert pending.closed_at == NOW + timedelta(hours=1)
    event = IdentificationEvent.objects.get(identification=pending)
    assert (event.from_status, event.to_status, event.actor_type, event.actor, event.reason) == (
        "PENDING",
        "CLOSED",
        "API_KEY",
        api_key[0].prefix,
        "",
    )


def test_close_with_reason_keeps_it(client, auth, pending):
    response = post_json(client, close_url(pending.id), {"reason": "Customer withdrew.\nTicket 42."}, auth)

    assert response.status_code == 204
    pending.refresh_from_db()
    assert pending.close_reason == "Customer withdrew.\nTicket 42."
    assert IdentificationEvent.objects.get(identification=pending).reason == "Customer withdrew.\nTicket 42."


def test_close_with_empty_json_object(client, auth, pending):
    assert post_json(client, close_url(pending.id), {}, auth).status_code == 204


def test_close_twice_is_409_naming_the_status(client, auth, pending):
    assert post_json(client, close_url(pending.id), {}, auth).status_code == 204

    response = post_json(client, close_url(pending.id), {}, auth)

    assert response.status_code == 409
    [entry] = errors(response)
    assert entry["code"] == "identification_not_open"
    assert "CLOSED" in entry["message"]
    assert IdentificationEvent.objects.filter(identification=pending).count() == 1


@pytest.mark.parametrize("status", [Status.VERIFIED, Status.REJECTED, Status.EXPIRED, Status.CLOSED])
def test_terminal_statuses_are_409(client, auth, organization, status):
    identification = IdentificationFactory(organization=organization, status=status)

    response = post_json(client, close_url(identification.id), {}, auth)

    assert response.status_code == 409
    assert status in errors(response)[0]["message"]
    identification.refresh_from_db()
    assert identification.status == status
    assert not IdentificationEvent.objects.exists()


def test_pending_past_expiry_is_409_and_persisted_as_expired(client, auth, pending):
    with time_machine.travel(NOW + timedelta(days=7, seconds=1), tick=False):
        response = post_json(client, close_url(pending.id), {}, auth)

    assert response.status_code == 409
    assert "EXPIRED" in errors(response)[0]["message"]
    pending.refresh_from_db()
    assert pending.status == Status.EXPIRED
    event = IdentificationEvent.objects.get(identification=pending)
    assert (event.from_status, event.to_status, event.actor_type) == ("PENDING", "EXPIRED", "SYSTEM")


def test_unknown_id_is_404(client, auth):
    response = post_json(client, close_url(uuid.uuid4()), {}, auth)

    assert response.status_code == 404
    assert errors(response)[0]["code"] == "not_found"


def test_other_organizations_identification_is_404_under_our_org(client, auth):
    theirs = IdentificationFactory(organization=OrganizationFactory(slug="globex"))

    response = post_json(client, close_url(theirs.id), {}, auth)

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Status.PENDING


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "12345", "5b0b5c1e-8a57-4c38-9a59", "%00", "'; DROP TABLE x;--"])
def test_malformed_id_is_400_naming_it(client, auth, bad_id):
    response = post_json(client, close_url(bad_id), {}, auth)

    assert response.status_code == 400
    assert errors(response) == [
        {"code": "invalid", "message": "Must be a valid UUID.", "field": "admin_identification_id"}
    ]


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"reason": "x" * 501}, "reason", "max_length"),
        ({"reason": 42}, "reason", "invalid"),
        ({"reason": "bad\x00byte"}, "reason", "control_characters_not_allowed"),
        ({"why": "typo"}, "why", "unknown_field"),
        ([], None, "invalid_request"),
    ],
)
def test_invalid_close_body_is_400_and_keeps_it_open(client, auth, pending, body, field, code):
    response = post_json(client, close_url(pending.id), body, auth)

    assert response.status_code == 400
    [entry] = errors(response)
    assert (entry.get("field"), entry["code"]) == (field, code)
    pending.refresh_from_db()
    assert pending.status == Status.PENDING


def test_close_spends_two_statements(client, auth, pending, organization, capture_queries):
    warm = IdentificationFactory(organization=organization)
    post_json(client, close_url(warm.id), {}, auth)  # caches the key and records its use

    with capture_queries() as queries:
        response = post_json(client, close_url(pending.id), {}, auth)

    assert response.status_code == 204
    # 1. UPDATE the identification WHERE it is still PENDING and unexpired (the race-safe transition)
    # 2. INSERT the CLOSED event
    # 3-. the outbox: the public event and the SELECT of the organization's enabled webhook endpoints (tests/outbox.py)
    # The API key comes from its cache (read again at most every API_KEY_CACHE_SECONDS).
    # (After the rate limiter's own statement where it counts in the database: tests/rate_limit.py.)
    assert queries.verbs == rate_limited(["UPDATE", "INSERT", *TRANSITION_OUTBOX])
    first = len(rate_limited([]))
    assert "identifications_identification" in queries.statements[first]
    assert "identifications_identificationevent" in queries.statements[first + 1]
