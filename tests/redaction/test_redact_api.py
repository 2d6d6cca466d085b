"""POST .../identity_document/{admin_identification_id}/redact: the organization erases the person's data."""

import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.storage import default_storage

from identifications.models import Identification, IdentificationEvent
from scoring.models import ScoringAttempt
from tests.api.helpers import create_url, error_fields, errors, post_json
from tests.api.validation_helpers import (
    DECLARED,
    DEVICE,
    MATCHING_METADATA,
    MRZ,
    image_base64,
    retrieve_url,
    validate_url,
)
from tests.factories import IdentificationFactory, OrganizationFactory, issue_key
from tests.outbox import TRANSITION_OUTBOX
from tests.rate_limit import rate_limited

pytestmark = pytest.mark.usefixtures("media_root")
Status = Identification.Status
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=3)
REDACTED = "Personal data redacted"


def redact_url(identification_id, org="acme"):
    return f"{create_url(org)}/{identification_id}/redact"


@pytest.fixture
def verified(client, auth, reader_reads_the_card):
    """Created and validated with evidence through the API, as a person would: (id, client_secret)."""
    with time_machine.travel(NOW, tick=False):
        body = post_json(client, create_url(), DECLARED, auth).json()
        headers = {"Authorization": f"Bearer {body['client_secret']}", **DEVICE}
        response = post_json(
            client,
            validate_url(body["id"]),
            {"evidence": image_base64(), "evidence_metadata": MATCHING_METADATA},
            headers,
        )
    assert response.status_code == 204, response.content
    return body["id"], body["client_secret"]


def redact(client, identification_id, headers, body=None, at=LATER):
    with time_machine.travel(at, tick=False):
        if body is None:
            return client.generic("POST", redact_url(identification_id), headers=headers)
        return post_json(client, redact_url(identification_id), body, headers)


def test_redact_is_204_and_erases_the_person(client, auth, api_key, verified, django_capture_on_commit_callbacks):
    identification_id, _ = verified
    attempt = ScoringAttempt.objects.get(identification_id=identification_id)
    evidence_name = attempt.evidence.name
    assert default_storage.exists(evidence_name)
    assert attempt.evidence_mrz == MRZ

    with django_capture_on_commit_callbacks(execute=True):
        response = redact(client, identification_id, auth, {"reason": "Erasure request, ticket 42."})

    assert response.status_code == 204
    assert response.content == b""
    row = Identification.objects.get(pk=identification_id)
    assert (row.name, row.last_name, row.document_number, row.client_secret_hash) == (None, None, None, None)
    assert (row.status, row.redacted_at) == (Status.VERIFIED, LATER)
    attempt.refresh_from_db()
    assert attempt.evidence_mrz is None
    assert (attempt.evidence_metadata, attempt.evidence.name, attempt.installation_id, attempt.ip_address) == (
        {},
        "",
        "",
        None,
    )
    assert (attempt.score, attempt.passed) == (100, True)
    assert not default_storage.exists(evidence_name)
    events = IdentificationEvent.objects.filter(identification_id=identification_id)
    assert [(e.from_status, e.to_status, e.actor_type, e.actor, e.reason) for e in events] == [
        (None, Status.PENDING, "API_KEY", api_key[0].prefix, ""),
        (Status.PENDING, Status.VERIFIED, "HOLDER", "holder", "Attempt 1 of 5 scored 100."),
        (Status.VERIFIED, Status.VERIFIED, "API_KEY", api_key[0].prefix, f"{REDACTED}: Erasure request, ticket 42."),
    ]


def test_get_and_list_show_redacted_at_and_nulls(client, auth, verified):
    identification_id, _ = verified
    with time_machine.travel(NOW, tick=False):
        before = client.get(retrieve_url(identification_id), headers=auth).json()
    assert before["redacted_at"] is None
    assert before["name"] == "José María"

    assert redact(client, identification_id, auth).status_code == 204

    with time_machine.travel(LATER, tick=False):
        after = client.get(retrieve_url(identification_id), headers=auth).json()
        [listed] = client.get(create_url(), headers=auth).json()["results"]
    assert after == listed
    assert after["redacted_at"] == "2026-11-28T17:00:00Z"
    assert (after["name"], after["last_name"]) == (None, None)
    assert after["identity_document"] == {"document_number": None, "document_type": "NIF", "country": "ES"}
    # The outcome and its history are not personal.
    assert (after["status"], after["attempts"], after["result"]["score"]) == (
        "VERIFIED",
        {"used": 1, "max": 5, "processing": False},
        100,
    )
    assert after["updated_at"] == before["updated_at"]


def test_the_client_secret_dies_with_the_redaction(client, auth, verified):
    identification_id, secret = verified

    assert redact(client, identification_id, auth).status_code == 204

    with time_machine.travel(LATER, tick=False):
        response = client.get(retrieve_url(identification_id), headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_pending_is_closed_then_redacted(client, auth, organization):
    identification = IdentificationFactory(organization=organization, created_at=NOW)

    response = redact(client, identification.pk, auth)

    assert response.status_code == 204
    row = Identification.objects.get(pk=identification.pk)
    assert (row.status, row.closed_at, row.redacted_at, row.name) == (Status.CLOSED, LATER, LATER, None)
    events = IdentificationEvent.objects.filter(identification=identification)
    assert [(e.from_status, e.to_status, e.reason) for e in events] == [
        (Status.PENDING, Status.CLOSED, "Closed to redact personal data."),
        (Status.CLOSED, Status.CLOSED, "Personal data redacted."),
    ]


def test_redacting_again_is_204_and_changes_nothing(client, auth, organization):
    identification = IdentificationFactory(organization=organization, status=Status.CLOSED, created_at=NOW)
    assert redact(client, identification.pk, auth).status_code == 204

    again = redact(client, identification.pk, auth, {"reason": "again"}, at=LATER + timedelta(days=1))

    assert again.status_code == 204
    assert Identification.objects.get(pk=identification.pk).redacted_at == LATER
    assert IdentificationEvent.objects.filter(identification=identification).count() == 1


def test_the_holder_client_secret_is_401_and_redacts_nothing(client, verified):
    identification_id, secret = verified

    response = redact(client, identification_id, {"Authorization": f"Bearer {secret}"})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert errors(response)[0]["code"] == "authentication_failed"
    assert Identification.objects.get(pk=identification_id).redacted_at is None


def test_another_organizations_key_is_401(client, organization):
    identification = IdentificationFactory(organization=organization, status=Status.CLOSED)
    _, other_key = issue_key(OrganizationFactory(slug="other"))

    response = redact(client, identification.pk, {"Authorization": f"Bearer {other_key}"})

    assert response.status_code == 401
    assert Identification.objects.get(pk=identification.pk).redacted_at is None


def test_no_key_is_401(client, organization):
    identification = IdentificationFactory(organization=organization, status=Status.CLOSED)

    response = redact(client, identification.pk, {})

    assert response.status_code == 401
    assert errors(response)[0]["code"] == "not_authenticated"


def test_another_organizations_identification_is_404(client, auth):
    theirs = IdentificationFactory(organization=OrganizationFactory(slug="other"), status=Status.CLOSED)

    for identification_id in (theirs.pk, uuid.uuid4()):
        response = redact(client, identification_id, auth)
        assert response.status_code == 404
        assert errors(response)[0]["code"] == "not_found"
    assert Identification.objects.get(pk=theirs.pk).redacted_at is None


def test_malformed_id_is_400_naming_it(client, auth):
    response = redact(client, "not-a-uuid", auth)

    assert response.status_code == 400
    assert error_fields(response) == {("admin_identification_id", "invalid")}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"reason": "x" * 501}, {("reason", "max_length")}),
        ({"reason": 42}, {("reason", "invalid")}),
        ({"reason": "nul\x00byte"}, {("reason", "control_characters_not_allowed")}),
        ({"reason": None}, {("reason", "null")}),
        ({"reason": "ok", "reson": "typo"}, {("reson", "unknown_field")}),
        (["reason"], {(None, "invalid_request")}),
        ("{not json", {(None, "parse_error")}),
    ],
)
def test_bad_body_is_400_naming_the_field_and_the_rule(client, auth, organization, body, expected):
    identification = IdentificationFactory(organization=organization, status=Status.CLOSED)

    response = redact(client, identification.pk, auth, body)

    assert response.status_code == 400
    assert error_fields(response) == expected
    assert Identification.objects.get(pk=identification.pk).redacted_at is None


def test_a_500_character_reason_is_accepted(client, auth, organization):
    identification = IdentificationFactory(organization=organization, status=Status.CLOSED)

    assert redact(client, identification.pk, auth, {"reason": "x" * 500}).status_code == 204


def test_get_is_405(client, auth, organization):
    identification = IdentificationFactory(organization=organization, status=Status.CLOSED)

    with time_machine.travel(LATER, tick=False):
        response = client.get(redact_url(identification.pk), headers=auth)

    assert response.status_code == 405
    assert errors(response)[0]["code"] == "method_not_allowed"


def test_form_body_is_415(client, auth, organization):
    identification = IdentificationFactory(organization=organization, status=Status.CLOSED)

    with time_machine.travel(LATER, tick=False):
        response = client.post(redact_url(identification.pk), {"reason": "x"}, headers=auth)

    assert response.status_code == 415
    assert Identification.objects.get(pk=identification.pk).redacted_at is None


def test_no_name_or_number_reaches_the_logs(client, auth, verified, caplog, django_capture_on_commit_callbacks):
    identification_id, _ = verified

    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        assert redact(client, identification_id, auth, {"reason": "Erasure request"}).status_code == 204

    assert caplog.records, "the redaction is logged"
    logged = caplog.text
    assert identification_id in logged
    for personal in ("José", "García", "JOSE", "GARCIA", "12345678Z", "install-1", "fp-abc", "40.4168"):
        assert personal not in logged


def test_redact_spends_five_statements(client, auth, organization, capture_queries):
    identification = IdentificationFactory(organization=organization, status=Status.CLOSED)
    with time_machine.travel(LATER, tick=False):
        # Records the key's use first, so that the measured request does not write last_used_at.
        client.get(create_url(), headers=auth)

        with capture_queries() as queries:
            response = client.generic("POST", redact_url(identification.pk), headers=auth)

    assert response.status_code == 204
    # (The API key comes from its cache, warmed by the request above; see identifications/selectors/api_keys.py.)
    # 1. SELECT the identification FOR UPDATE, WHERE organization and id
    # 2. SELECT its attempts' ids and evidence names (none here, so no UPDATE of attempts)
    # 3. UPDATE the identification (names, number, client secret, redacted_at)
    # 4. DELETE its stored idempotent responses
    # 5. INSERT the redaction event
    # 6-. the outbox: the public event and the SELECT of the organization's enabled webhook endpoints
    #    (tests/outbox.py; none here, so no delivery INSERT)
    assert queries.verbs == rate_limited(["SELECT", "SELECT", "UPDATE", "DELETE", "INSERT", *TRANSITION_OUTBOX]), (
        queries.statements
    )


def test_redaction_forgets_the_stored_idempotent_create_response(client, auth):
    from identifications.models import IdempotencyRecord

    created = client.post(
        "/v1/orgs/acme/identifications/identity_document",
        {"name": "James", "last_name": "Smith"},
        content_type="application/json",
        headers={**auth, "Idempotency-Key": "create-1"},
    ).json()
    assert IdempotencyRecord.objects.count() == 1

    response = client.post(
        f"/v1/orgs/acme/identifications/identity_document/{created['id']}/redact",
        content_type="application/json",
        headers=auth,
    )

    assert response.status_code == 204
    # The create's stored response quoted the person and the client secret; it must not survive the redaction.
    assert IdempotencyRecord.objects.filter(subject=created["id"]).count() == 0
