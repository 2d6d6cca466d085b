"""GET .../identity_document/{identification_id}: one identification, read with the organization's API key or
with the holder's client secret."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from identifications.actors import Actor
from identifications.models import Identification, IdentificationEvent
from identifications.services.lifecycle import identification_close
from tests.api.helpers import SEED_BODY, close_url, create_url, errors, post_json
from tests.factories import IdentificationFactory, OrganizationFactory, issue_key
from tests.rate_limit import rate_limited

NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
Status = Identification.Status

RESULT = {
    "score": 55,
    "passed": False,
    "checks": [
        {"name": "document_number_match", "passed": True, "weight": 20, "reason": ""},
        {"name": "name_match", "passed": False, "weight": 20, "reason": "The name on the document differs."},
    ],
}


def retrieve_url(identification_id, org="acme"):
    return f"{create_url(org)}/{identification_id}"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def assert_401(response):
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == "Bearer"
    assert [entry["code"] for entry in errors(response)] == ["authentication_failed"]


@pytest.fixture
def pending(organization):
    return IdentificationFactory(organization=organization, created_at=NOW, expires_at=NOW + timedelta(days=7))


@pytest.fixture
def created(client, auth):
    """An identification created through the API at NOW, expiring 7 days later: the create response's body."""
    with time_machine.travel(NOW, tick=False):
        response = post_json(client, create_url(), SEED_BODY, auth)
    assert response.status_code == 200, response.content
    return response.json()


def test_fresh_identification_has_the_full_shape(client, auth, created):
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        response = client.get(retrieve_url(created["id"]), headers=auth)

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "id": created["id"],
        "status": "PENDING",
        "name": "James",
        "last_name": "Smith",
        "identity_document": {"document_number": "12345678A", "document_type": "NIF", "country": "ES"},
        "configuration_name": "HIGH",
        "scoring": {"provider": "INTERNAL"},
        "created_at": "2026-11-25T17:00:00Z",
        "expires_at": "2026-12-02T17:00:00Z",
        "attempts": {"used": 0, "max": 5, "processing": False},
        "result": None,
        "updated_at": "2026-11-25T17:00:00Z",
        "closed_at": None,
        "close_reason": None,
        "redacted_at": None,
    }


def test_retrieve_shares_the_create_fields_but_never_the_client_secret(client, auth, created):
    with time_machine.travel(NOW, tick=False):
        body = client.get(retrieve_url(created["id"]), headers=auth).json()

    secret = created.pop("client_secret")
    assert "client_secret" not in body
    assert secret not in str(body)
    assert {key: body[key] for key in created} == created


def test_identification_without_optional_inputs(client, auth):
    with time_machine.travel(NOW, tick=False):
        created = post_json(client, create_url(), {}, auth).json()
        body = client.get(retrieve_url(created["id"]), headers=auth).json()

    assert (body["name"], body["last_name"], body["identity_document"]) == (None, None, None)
    assert body["configuration_name"] == "MEDIUM"
    assert body["attempts"] == {"used": 0, "max": 5, "processing": False}


def test_result_is_null_before_any_attempt(client, auth, pending):
    with time_machine.travel(NOW, tick=False):
        body = client.get(retrieve_url(pending.id), headers=auth).json()

    assert body["result"] is None
    assert body["attempts"] == {"used": 0, "max": 5, "processing": False}


def test_attempts_and_latest_result_are_echoed(client, auth, organization):
    identification = IdentificationFactory(
        organization=organization,
        created_at=NOW,
        expires_at=NOW + timedelta(days=7),
        attempts_used=2,
        result=RESULT,
    )

    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        body = client.get(retrieve_url(identification.id), headers=auth).json()

    assert body["status"] == "PENDING"
    assert body["attempts"] == {"used": 2, "max": 5, "processing": False}
    assert body["result"] == RESULT


def test_attempts_max_is_the_configurations_maximum(client, auth, organization):
    identification = IdentificationFactory(organization=organization, created_at=NOW)
    identification.configuration.maximum_attempts = 3
    identification.configuration.save()

    with time_machine.travel(NOW, tick=False):
        body = client.get(retrieve_url(identification.id), headers=auth).json()

    assert body["attempts"] == {"used": 0, "max": 3, "processing": False}


def test_closed_identification_shows_when_and_why(client, auth, api_key, pending):
    closed_at = NOW + timedelta(hours=2)
    identification_close(
        identification_id=pending.id,
        actor=Actor.api_key(api_key[0]),
        reason="Customer withdrew.",
        organization=pending.organization,
        now=closed_at,
    )

    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        body = client.get(retrieve_url(pending.id), headers=auth).json()

    assert (body["status"], body["closed_at"], body["close_reason"], body["updated_at"]) == (
        "CLOSED",
        "2026-11-25T19:00:00Z",
        "Customer withdrew.",
        "2026-11-25T19:00:00Z",
    )


def test_the_holder_never_sees_the_organizations_close_reason(client, auth, created):
    with time_machine.travel(NOW, tick=False):
        post_json(client, close_url(created["id"]), {"reason": "Suspected fraud by the holder."}, auth)
        as_holder = client.get(retrieve_url(created["id"]), headers=bearer(created["client_secret"]))
        as_organization = client.get(retrieve_url(created["id"]), headers=auth)

    assert as_holder.status_code == 200, as_holder.content
    assert (as_holder.json()["status"], as_holder.json()["close_reason"]) == ("CLOSED", None)
    assert as_organization.json()["close_reason"] == "Suspected fraud by the holder."


@pytest.mark.parametrize("status", [Status.VERIFIED, Status.REJECTED, Status.EXPIRED])
def test_close_reason_is_null_unless_closed(client, auth, organization, status):
    # A stray close_reason on a row that is not CLOSED (e.g. edited by hand) is not shown.
    identification = IdentificationFactory(organization=organization, status=status, close_reason="stray")

    body = client.get(retrieve_url(identification.id), headers=auth).json()

    assert (body["status"], body["closed_at"], body["close_reason"]) == (status, None, None)


def test_pending_just_before_expiry_stays_pending(client, auth, pending):
    with time_machine.travel(pending.expires_at - timedelta(seconds=1), tick=False):
        body = client.get(retrieve_url(pending.id), headers=auth).json()

    assert body["status"] == "PENDING"
    pending.refresh_from_db()
    assert pending.status == Status.PENDING
    assert not IdentificationEvent.objects.filter(identification=pending).exists()


def test_pending_past_expiry_is_shown_and_persisted_as_expired(client, auth, pending):
    later = NOW + timedelta(days=7, seconds=1)
    with time_machine.travel(later, tick=False):
        response = client.get(retrieve_url(pending.id), headers=auth)

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["updated_at"], body["closed_at"], body["close_reason"]) == (
        "EXPIRED",
        "2026-12-02T17:00:01Z",
        None,
        None,
    )
    pending.refresh_from_db()
    assert (pending.status, pending.updated_at) == (Status.EXPIRED, later)
    event = IdentificationEvent.objects.get(identification=pending)
    assert (event.from_status, event.to_status, event.actor_type, event.created_at) == (
        "PENDING",
        "EXPIRED",
        "SYSTEM",
        later,
    )

    # Reading it again neither changes it nor writes a second event.
    with time_machine.travel(later + timedelta(hours=1), tick=False):
        again = client.get(retrieve_url(pending.id), headers=auth).json()
    assert (again["status"], again["updated_at"]) == ("EXPIRED", "2026-12-02T17:00:01Z")
    assert IdentificationEvent.objects.filter(identification=pending).count() == 1


def test_unknown_id_is_404(client, auth):
    response = client.get(retrieve_url(uuid.uuid4()), headers=auth)

    assert response.status_code == 404
    assert [entry["code"] for entry in errors(response)] == ["not_found"]


def test_other_organizations_identification_is_404_under_our_org(client, auth):
    theirs = IdentificationFactory(organization=OrganizationFactory(slug="globex"))

    response = client.get(retrieve_url(theirs.id), headers=auth)

    assert response.status_code == 404
    assert [entry["code"] for entry in errors(response)] == ["not_found"]


def test_other_organizations_identification_is_401_under_their_org(client, auth):
    theirs = IdentificationFactory(organization=OrganizationFactory(slug="globex"))

    response = client.get(retrieve_url(theirs.id, org="globex"), headers=auth)

    assert_401(response)
    assert "James" not in response.content.decode()


def test_their_key_reads_their_identification(client, db):
    # The 404 and 401 above come from tenancy, not from the row: its own organization reads it.
    globex = OrganizationFactory(slug="globex")
    theirs = IdentificationFactory(organization=globex)
    _, raw = issue_key(globex)

    assert client.get(retrieve_url(theirs.id, org="globex"), headers=bearer(raw)).status_code == 200


def test_without_credentials_is_401(client, pending):
    response = client.get(retrieve_url(pending.id))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert [entry["code"] for entry in errors(response)] == ["not_authenticated"]


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "12345", "5b0b5c1e-8a57-4c38-9a59", "%00", "'; DROP TABLE x;--"])
def test_malformed_id_is_400_naming_it(client, auth, bad_id):
    response = client.get(retrieve_url(bad_id), headers=auth)

    assert response.status_code == 400
    assert errors(response) == [{"code": "invalid", "message": "Must be a valid UUID.", "field": "identification_id"}]


def test_uppercase_id_is_the_same_identification(client, auth, pending):
    response = client.get(retrieve_url(str(pending.id).upper()), headers=auth)

    assert response.status_code == 200
    assert response.json()["id"] == str(pending.id)


# The holder's client secret ------------------------------------------------------------------------------------


def test_client_secret_reads_its_identification(client, created):
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        response = client.get(retrieve_url(created["id"]), headers=bearer(created["client_secret"]))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == created["id"]
    assert body["status"] == "PENDING"
    assert body["attempts"] == {"used": 0, "max": 5, "processing": False}
    assert "client_secret" not in body


def test_client_secret_of_another_identification_is_401(client, auth, created, pending):
    with time_machine.travel(NOW, tick=False):
        response = client.get(retrieve_url(pending.id), headers=bearer(created["client_secret"]))

    assert_401(response)
    assert str(pending.id) not in response.content.decode()


def test_client_secret_under_another_organization_is_401(client, created):
    OrganizationFactory(slug="globex")

    with time_machine.travel(NOW, tick=False):
        response = client.get(retrieve_url(created["id"], org="globex"), headers=bearer(created["client_secret"]))

    assert_401(response)


def test_client_secret_stops_working_when_the_identification_expires(client, created):
    headers = bearer(created["client_secret"])
    with time_machine.travel(NOW + timedelta(days=7) - timedelta(seconds=1), tick=False):
        assert client.get(retrieve_url(created["id"]), headers=headers).status_code == 200

    with time_machine.travel(NOW + timedelta(days=7, seconds=1), tick=False):
        response = client.get(retrieve_url(created["id"]), headers=headers)

    assert_401(response)


@pytest.mark.parametrize("token", ["idsec_xxx", "idsec_", "idsec_" + "A" * 43, "idsec_" + "x" * 5000])
def test_garbage_client_secret_is_401(client, created, token):
    with time_machine.travel(NOW, tick=False):
        response = client.get(retrieve_url(created["id"]), headers=bearer(token))

    assert_401(response)


def test_client_secret_cannot_list(client, created):
    with time_machine.travel(NOW, tick=False):
        response = client.get(create_url(), headers=bearer(created["client_secret"]))

    assert_401(response)
    assert created["id"] not in response.content.decode()


def test_client_secret_cannot_create(client, created):
    with time_machine.travel(NOW, tick=False):
        response = post_json(client, create_url(), SEED_BODY, bearer(created["client_secret"]))

    assert_401(response)
    assert Identification.objects.count() == 1


def test_client_secret_cannot_close_its_identification(client, created):
    with time_machine.travel(NOW, tick=False):
        response = post_json(client, close_url(created["id"]), {}, bearer(created["client_secret"]))

    assert_401(response)
    assert Identification.objects.get().status == Status.PENDING
    assert list(IdentificationEvent.objects.values_list("to_status", flat=True)) == ["PENDING"]


# Query budgets -------------------------------------------------------------------------------------------------


def test_retrieve_with_an_api_key_spends_one_statement(client, auth, organization, pending, capture_queries):
    with time_machine.travel(NOW, tick=False):
        warm = IdentificationFactory(organization=organization)
        assert client.get(retrieve_url(warm.id), headers=auth).status_code == 200  # caches the key, records its use

        with capture_queries() as queries:
            response = client.get(retrieve_url(pending.id), headers=auth)

    assert response.status_code == 200
    # 1. SELECT the identification JOIN its document type and its configuration, WHERE organization and id
    # The API key comes from its cache (read again at most every API_KEY_CACHE_SECONDS).
    assert queries.verbs == rate_limited(["SELECT"]), queries.statements
    identification_select = queries.statements[-1]
    assert 'FROM "identifications_identification"' in identification_select
    assert identification_select.count("JOIN") == 2
    assert '"identifications_documenttype"' in identification_select
    assert '"scoring_configuration"' in identification_select


def test_retrieve_with_a_client_secret_spends_one_statement(client, created, capture_queries):
    with time_machine.travel(NOW, tick=False), capture_queries() as queries:
        response = client.get(retrieve_url(created["id"]), headers=bearer(created["client_secret"]))

    assert response.status_code == 200
    # 1. SELECT the identification JOIN its organization, document type and configuration, WHERE client_secret_hash
    # (Then the rate limiter's statement where it counts in the database: tests/rate_limit.py.)
    assert queries.verbs == rate_limited(["SELECT"], after=1), queries.statements
    assert 'FROM "identifications_identification"' in queries.statements[0]
    assert "client_secret_hash" in queries.statements[0]
    assert queries.statements[0].count("JOIN") == 3
