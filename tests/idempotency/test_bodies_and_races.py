"""The body is read for the fingerprint before DRF parses it; concurrent requests with one key run it once."""

import base64
import io
import os
import threading

import pytest
from django.test import Client
from PIL import Image

from identifications import services
from identifications.models import IdempotencyRecord, Identification
from scoring.models import ScoringAttempt
from tests.api.helpers import SEED_BODY, create_url, errors, post_json
from tests.api.validation_helpers import DECLARED, DEVICE, MATCHING_METADATA, validate_url
from tests.factories import OrganizationFactory, issue_key
from tests.reliability.racing import race, values

THREADS = 16


def noise_png_base64(side: int) -> str:
    # Random pixels do not compress: the PNG is about side * side * 3 bytes.
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_a_keyed_validate_body_larger_than_djangos_in_memory_limit_is_parsed(
    client, auth, settings, tmp_path, reader_reads_the_card
):
    settings.MEDIA_ROOT = tmp_path
    opened = post_json(client, create_url(), DECLARED, auth).json()
    holder = {"Authorization": f"Bearer {opened['client_secret']}", **DEVICE, "Idempotency-Key": "big-1"}
    body = {"evidence": noise_png_base64(900), "evidence_metadata": MATCHING_METADATA}
    assert len(body["evidence"]) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    first = post_json(client, validate_url(opened["id"]), body, holder)
    retry = post_json(client, validate_url(opened["id"]), body, holder)

    assert first.status_code == 204, first.content
    assert retry.status_code == 204
    assert retry["Idempotent-Replayed"] == "true"
    assert ScoringAttempt.objects.count() == 1
    assert Identification.objects.get().status == Identification.Status.VERIFIED


def test_a_keyed_body_over_the_endpoint_limit_is_413_and_claims_nothing(client, auth, settings):
    settings.API_MAX_BODY_BYTES = 1024
    body = {**SEED_BODY, "name": "x" * 2000}

    response = post_json(client, create_url(), body, {**auth, "Idempotency-Key": "huge-1"})

    assert response.status_code == 413
    assert errors(response)[0]["code"] == "request_too_large"
    assert IdempotencyRecord.objects.count() == 0


@pytest.fixture
def tenant():
    organization = OrganizationFactory(slug="acme")
    _, raw_key = issue_key(organization)
    return {"Authorization": f"Bearer {raw_key}", "Idempotency-Key": "race-1"}


# Real threads need committed rows; serialized_rollback restores the seeded reference rows another transactional
# test's flush may have taken.
RACING = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@RACING
def test_a_retry_while_the_first_request_runs_is_409_then_replays(on_postgres, tenant, monkeypatch):
    entered, release = threading.Event(), threading.Event()
    real_create = services.identification_create

    def slow_create(**kwargs):
        entered.set()
        assert release.wait(timeout=20), "the test never released the first request"
        return real_create(**kwargs)

    monkeypatch.setattr(services, "identification_create", slow_create)
    first = {}

    def send_first():
        first["response"] = post_json(Client(), create_url(), SEED_BODY, tenant)

    thread = threading.Thread(target=send_first)
    thread.start()
    try:
        assert entered.wait(timeout=20)
        during = post_json(Client(), create_url(), SEED_BODY, tenant)
    finally:
        release.set()
        thread.join(timeout=20)
    after = post_json(Client(), create_url(), SEED_BODY, tenant)

    assert during.status_code == 409
    assert errors(during)[0]["code"] == "idempotency_key_in_use"
    assert first["response"].status_code == 200
    assert after["Idempotent-Replayed"] == "true"
    assert after.content == first["response"].content
    assert Identification.objects.count() == 1


@RACING
def test_concurrent_requests_with_one_key_create_one_row(on_postgres, tenant):
    def send():
        response = post_json(Client(), create_url(), SEED_BODY, tenant)
        return response.status_code, response.get("Idempotent-Replayed")

    outcomes = values(race([send] * THREADS))

    # The unique constraint lets one request in; the others see it running (409) or, if it already finished, replay.
    assert outcomes.count((200, None)) == 1
    assert set(outcomes) <= {(200, None), (200, "true"), (409, None)}
    assert Identification.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
