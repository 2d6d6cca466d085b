"""Validate is asynchronous: it stores the attempt and answers 204, the worker scores it later (API.md "Holder side").

The dummy task backend keeps the queued `score_attempt` tasks; `run_queued` plays the worker."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django_tasks import default_task_backend

from identifications.models import Event, Identification
from scoring.models import ScoringAttempt
from tests.api.helpers import close_url, create_url, errors, post_json
from tests.api.validation_helpers import DECLARED, DEVICE, MATCHING_METADATA, image_base64, retrieve_url, validate_url

# The scoring mechanics under test need the passing body to pass: the reader finds the person's card on the image.
pytestmark = pytest.mark.usefixtures("reader_reads_the_card")

NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
PASSING_BODY = {"evidence": image_base64(), "evidence_metadata": MATCHING_METADATA}
State = ScoringAttempt.State


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def queue(settings):
    # Changing TASKS makes django-tasks drop its cached backends (and again when the test restores it).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    return default_task_backend


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def opened(client, auth, frozen):
    """A HIGH identification created through the API: (id, holder headers)."""
    body = post_json(client, create_url(), DECLARED, auth).json()
    return body["id"], {"Authorization": f"Bearer {body['client_secret']}", **DEVICE}


def run_queued(queue) -> list:
    """Run what is queued, as a worker would, and empty the queue; returns the tasks' return values."""
    results = list(queue.results)
    queue.clear()
    return [result.task.call(*result.args, **result.kwargs) for result in results]


def get(client, identification_id, headers):
    response = client.get(retrieve_url(identification_id), headers=headers)
    assert response.status_code == 200
    return response.json()


def test_validate_answers_at_once_and_get_shows_the_attempt_processing(client, opened, queue):
    identification_id, holder = opened

    response = post_json(client, validate_url(identification_id), PASSING_BODY, holder)

    assert response.status_code == 204, response.content
    body = get(client, identification_id, holder)
    assert (body["status"], body["attempts"], body["result"]) == (
        "PENDING",
        {"used": 0, "max": 5, "processing": True},
        None,
    )
    attempt = ScoringAttempt.objects.get()
    assert (attempt.state, attempt.number, attempt.score, attempt.passed) == (State.PROCESSING, 1, None, None)
    assert attempt.evidence.name  # the evidence is stored for the worker
    assert [(result.task.name, result.args) for result in queue.results] == [("score_attempt", [attempt.pk])]
    assert not Event.objects.filter(type__startswith="identification.v").exists()


def test_the_worker_records_the_outcome_and_get_shows_it(client, opened, queue):
    identification_id, holder = opened
    post_json(client, validate_url(identification_id), PASSING_BODY, holder)

    assert run_queued(queue) == [True]

    body = get(client, identification_id, holder)
    assert (body["status"], body["attempts"], body["result"]["passed"]) == (
        "VERIFIED",
        {"used": 1, "max": 5, "processing": False},
        True,
    )
    assert ScoringAttempt.objects.get().state == State.SCORED
    verified = Event.objects.get(type="identification.verified")
    assert verified.payload["data"]["attempts"] == {"used": 1, "max": 5, "processing": False}
    # The transition is the holder's, although the worker recorded it.
    assert Identification.objects.get().events.get(to_status="VERIFIED").actor_type == "HOLDER"


def test_another_validate_while_processing_is_409_attempt_in_progress(client, opened, queue):
    identification_id, holder = opened
    post_json(client, validate_url(identification_id), PASSING_BODY, holder)

    second = post_json(client, validate_url(identification_id), PASSING_BODY, holder)

    assert second.status_code == 409
    assert [error["code"] for error in errors(second)] == ["attempt_in_progress"]
    assert ScoringAttempt.objects.count() == 1
    assert len(queue.results) == 1


def test_after_a_failed_attempt_is_scored_the_holder_may_validate_again(client, opened, queue):
    identification_id, holder = opened
    post_json(client, validate_url(identification_id), {"evidence_metadata": MATCHING_METADATA}, holder)
    run_queued(queue)  # no evidence: fails HIGH, attempts remain

    again = post_json(client, validate_url(identification_id), PASSING_BODY, holder)

    assert again.status_code == 204
    run_queued(queue)
    body = get(client, identification_id, holder)
    assert (body["status"], body["attempts"]["used"]) == ("VERIFIED", 2)
    assert list(ScoringAttempt.objects.values_list("number", "state", "passed")) == [
        (1, State.SCORED, False),
        (2, State.SCORED, True),
    ]
    assert list(Event.objects.order_by("sequence").values_list("type", flat=True)) == [
        "identification.created",
        "identification.attempt_failed",
        "identification.verified",
    ]


def test_closed_while_processing_the_attempt_is_abandoned_without_a_transition(client, auth, opened, queue):
    identification_id, holder = opened
    post_json(client, validate_url(identification_id), PASSING_BODY, holder)

    assert post_json(client, close_url(identification_id), {"reason": "done"}, auth).status_code == 204
    assert run_queued(queue) == [True]

    body = get(client, identification_id, auth)
    assert (body["status"], body["attempts"], body["result"]) == (
        "CLOSED",
        {"used": 0, "max": 5, "processing": False},
        None,
    )
    assert ScoringAttempt.objects.get().state == State.ABANDONED
    assert list(Event.objects.order_by("sequence").values_list("type", flat=True)) == [
        "identification.created",
        "identification.closed",
    ]


def test_expired_while_processing_the_attempt_is_abandoned(client, auth, opened, queue, frozen):
    identification_id, holder = opened
    post_json(client, validate_url(identification_id), PASSING_BODY, holder)
    frozen.move_to(Identification.objects.get().expires_at + timedelta(seconds=1))

    assert run_queued(queue) == [True]

    assert ScoringAttempt.objects.get().state == State.ABANDONED
    body = get(client, identification_id, auth)
    assert (body["status"], body["attempts"]["processing"]) == ("EXPIRED", False)
    assert not Event.objects.filter(type="identification.verified").exists()


def test_a_task_run_twice_scores_the_attempt_once(client, opened, queue):
    identification_id, holder = opened
    post_json(client, validate_url(identification_id), {"evidence_metadata": MATCHING_METADATA}, holder)
    (result,) = queue.results

    first = result.task.call(*result.args)
    second = result.task.call(*result.args)

    assert (first, second) == (True, False)
    assert Identification.objects.get().attempts_used == 1
    assert Event.objects.filter(type="identification.attempt_failed").count() == 1


def test_the_last_failed_attempt_rejects(client, opened, queue):
    identification_id, holder = opened
    for _ in range(5):
        assert post_json(client, validate_url(identification_id), {}, holder).status_code == 204
        run_queued(queue)

    body = get(client, identification_id, holder)
    assert (body["status"], body["attempts"]) == ("REJECTED", {"used": 5, "max": 5, "processing": False})
    after = post_json(client, validate_url(identification_id), {}, holder)
    assert (after.status_code, errors(after)[0]["code"]) == (409, "identification_not_open")


def test_the_schema_documents_attempt_in_progress_and_no_503(client):
    schema = json.loads(client.get("/v1/schema/?format=json").content)
    (operation,) = [
        methods["post"] for path, methods in schema["paths"].items() if path.endswith("/validate") and "post" in methods
    ]
    assert "attempt_in_progress" in operation["responses"]["409"]["description"]
    assert "503" not in operation["responses"]
    attempts = schema["components"]["schemas"]["AttemptsOutput"]
    assert "processing" in attempts["required"]


def test_an_event_written_while_an_attempt_is_processing_says_so(client, auth, opened, queue):
    identification_id, holder = opened
    post_json(client, validate_url(identification_id), PASSING_BODY, holder)

    post_json(client, close_url(identification_id), {}, auth)

    closed = Event.objects.get(type="identification.closed")
    assert closed.payload["data"]["attempts"] == {"used": 0, "max": 5, "processing": True}


def test_evidence_gone_before_the_worker_reads_it_abandons_the_attempt(client, opened, queue):
    identification_id, holder = opened
    post_json(client, validate_url(identification_id), PASSING_BODY, holder)
    attempt = ScoringAttempt.objects.get()
    attempt.evidence.storage.delete(attempt.evidence.name)

    assert run_queued(queue) == [True]

    assert ScoringAttempt.objects.get().state == State.ABANDONED
    body = get(client, identification_id, holder)
    assert (body["status"], body["attempts"]) == ("PENDING", {"used": 0, "max": 5, "processing": False})


def test_a_worker_whose_clock_is_slightly_behind_still_scores_a_fresh_attempt(client, opened, queue):
    from identifications.services.attempt_scoring import attempt_score

    identification_id, holder = opened
    post_json(client, validate_url(identification_id), PASSING_BODY, holder)
    queue.clear()

    assert attempt_score(attempt_id=ScoringAttempt.objects.get().pk, now=NOW - timedelta(milliseconds=500))

    assert get(client, identification_id, holder)["status"] == "VERIFIED"


# A validation reads its identification before it claims it (the view's read, then one conditional UPDATE); what
# happens in between must still end as if the two validations had taken turns.


def validate_as_read_earlier(identification):
    from identifications.actors import Actor
    from identifications.services import DeviceContext, identification_validate
    from scoring.checks import EvidenceMetadata

    return identification_validate(
        identification=identification,
        actor=Actor.holder(),
        device=DeviceContext(installation_id="install-1", fingerprint="fp-1", user_agent="test"),
        metadata=EvidenceMetadata(document_number="12345678Z"),
    )


def test_a_validation_read_before_an_attempt_was_scored_numbers_its_own_after_it(client, opened, queue):
    identification_id, holder = opened
    read_earlier = Identification.objects.get(pk=identification_id)
    post_json(client, validate_url(identification_id), {"evidence_metadata": MATCHING_METADATA}, holder)
    run_queued(queue)  # no evidence: fails HIGH, attempts remain

    attempt = validate_as_read_earlier(read_earlier)

    assert attempt.number == 2
    assert list(ScoringAttempt.objects.order_by("number").values_list("number", "state")) == [
        (1, State.SCORED),
        (2, State.PROCESSING),
    ]
    assert get(client, identification_id, holder)["attempts"] == {"used": 1, "max": 5, "processing": True}
    assert len(queue.results) == 1


def test_a_validation_read_before_another_one_came_in_is_attempt_in_progress(client, opened, queue):
    from identifications.errors import AttemptInProgress

    identification_id, holder = opened
    read_earlier = Identification.objects.get(pk=identification_id)
    post_json(client, validate_url(identification_id), PASSING_BODY, holder)

    with pytest.raises(AttemptInProgress):
        validate_as_read_earlier(read_earlier)

    assert ScoringAttempt.objects.count() == 1
    assert len(queue.results) == 1


def test_a_validation_read_before_a_close_is_not_open(client, auth, opened, queue):
    from identifications.errors import IdentificationNotOpen

    identification_id, _ = opened
    read_earlier = Identification.objects.get(pk=identification_id)
    assert post_json(client, close_url(identification_id), {"reason": "done"}, auth).status_code == 204

    with pytest.raises(IdentificationNotOpen, match="CLOSED"):
        validate_as_read_earlier(read_earlier)

    assert not ScoringAttempt.objects.exists()
    assert not queue.results
    assert get(client, identification_id, auth)["attempts"]["processing"] is False
