"""EXTERNAL scoring through the API, against a real HTTP provider started by the test."""

import json
import threading

import pytest

from scoring.models import ScoringAttempt
from tests.api.helpers import create_url, error_fields, errors, post_json
from tests.api.validation_helpers import DECLARED, DEVICE, MATCHING_METADATA, retrieve_url, validate_url
from tests.fake_scoring_provider import closed_port_url, reply

EXTERNAL = {**DECLARED, "configuration_name": "LOW", "scoring": {"provider": "EXTERNAL"}}
PASSING = {
    "score": 91,
    "checks": [
        {"name": "document_control_character", "passed": True, "weight": 50, "reason": "valid control letter"},
        {"name": "liveness", "passed": True, "weight": 50, "reason": "the selfie matches"},
    ],
}


@pytest.fixture
def opened(client, auth, provider):
    return post_json(client, create_url(), EXTERNAL, auth).json()["id"]


def test_external_provider_scores_the_attempt(client, auth, provider, opened):
    provider.answer(reply(200, PASSING))

    response = post_json(client, validate_url(opened), {"evidence_metadata": MATCHING_METADATA}, {**auth, **DEVICE})

    assert response.status_code == 204, response.content
    body = client.get(retrieve_url(opened), headers=auth).json()
    assert body["status"] == "VERIFIED"
    assert body["result"] == {"score": 91, "passed": True, "checks": PASSING["checks"]}
    [received] = provider.received
    assert received.signature_valid
    sent = json.loads(received.body)
    assert sent["identification_id"] == opened
    assert sent["attempt"] == 1
    assert sent["evidence_metadata"]["document_number"] == "12345678Z"


def test_a_required_check_the_provider_did_not_pass_fails_the_attempt(client, auth, provider, opened):
    provider.answer(
        reply(200, {"score": 95, "checks": [{"name": "liveness", "passed": True, "weight": 100, "reason": ""}]})
    )

    post_json(client, validate_url(opened), {}, {**auth, **DEVICE})

    body = client.get(retrieve_url(opened), headers=auth).json()
    # LOW requires document_control_character, which this provider did not report.
    assert (body["status"], body["result"]["passed"], body["attempts"]["used"]) == ("PENDING", False, 1)


def assert_waiting_for_a_retry(client, auth, opened):
    """The provider failed the worker's first try: the attempt is kept for a retry, uncounted, and the holder sees it
    processing (and may not validate again meanwhile)."""
    body = client.get(retrieve_url(opened), headers=auth).json()
    assert (body["status"], body["attempts"], body["result"]) == (
        "PENDING",
        {"used": 0, "max": 5, "processing": True},
        None,
    )
    attempt = ScoringAttempt.objects.get()
    assert (attempt.state, attempt.tries, attempt.score) == ("processing", 1, None)
    again = post_json(client, validate_url(opened), {}, {**auth, **DEVICE})
    assert (again.status_code, errors(again)[0]["code"]) == (409, "attempt_in_progress")


@pytest.mark.parametrize(
    "scenario",
    [reply(500, {"error": "boom"}), reply(200, {"score": "high"}), reply(200, b"not json")],
    ids=["500", "invalid-reply", "not-json"],
)
def test_a_failing_provider_is_retried_by_the_worker_and_the_attempt_does_not_count(
    client, auth, provider, opened, scenario
):
    provider.answer(scenario)

    response = post_json(client, validate_url(opened), {}, {**auth, **DEVICE})

    assert response.status_code == 204
    assert len(provider.received) == 1
    assert_waiting_for_a_retry(client, auth, opened)


def test_a_provider_that_is_down_is_retried_by_the_worker(client, auth, provider, opened, organization):
    organization.scoring_url = closed_port_url()
    organization.save()

    response = post_json(client, validate_url(opened), {}, {**auth, **DEVICE})

    assert response.status_code == 204
    assert_waiting_for_a_retry(client, auth, opened)


def test_external_needs_a_scoring_url_at_create(client, auth):
    response = post_json(client, create_url(), EXTERNAL, auth)

    assert response.status_code == 400
    assert ("scoring.provider", "invalid") in error_fields(response)


def test_a_provider_drip_feeding_its_headers_is_cut_off_at_the_deadline(client, auth, provider, opened, settings):
    # The headers come in 40 pieces, each well within the 1 s read timeout, and would take 4 s: past the 2 s total
    # deadline (connect + read), when the service must hang up instead of holding the worker.
    settings.EXTERNAL_SCORING_TIMEOUT_SECONDS = 1.0
    body = json.dumps(PASSING).encode()
    head = (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        f"X-Padding: {'x' * 400}\r\n\r\n"
    ).encode()
    size = len(head) // 40 + 1
    pieces = [head[start : start + size] for start in range(0, len(head), size)]

    delivered, finished = [], threading.Event()

    def drip(handler, _body):
        try:
            for piece in pieces:
                if provider.release.wait(0.1):
                    return
                handler.wfile.write(piece)
                handler.wfile.flush()
                delivered.append(piece)
        finally:
            finished.set()

    provider.answer(drip)

    response = post_json(client, validate_url(opened), {}, {**auth, **DEVICE})

    assert response.status_code == 204
    assert_waiting_for_a_retry(client, auth, opened)
    # The worker hung up while the headers were still arriving (a late failure would have read them all).
    assert finished.wait(10)
    assert len(delivered) < len(pieces)


def test_a_stored_http_url_is_refused_at_call_time(client, auth, provider, opened, settings):
    # A row saved before the https rule: the call refuses it without connecting.
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    provider.answer(reply(200, PASSING))

    response = post_json(client, validate_url(opened), {}, {**auth, **DEVICE})

    assert response.status_code == 204
    assert provider.received == []
    assert_waiting_for_a_retry(client, auth, opened)
