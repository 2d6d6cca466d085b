"""The worker and an EXTERNAL provider that fails: retries with backoff (deferred tasks), giving up uncounted, the
sweeper that re-queues an attempt whose worker died, and a worker that lost its lease. The dummy task backend keeps
the queue; time moves with time_machine."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django_tasks import default_task_backend

from identifications.models import Event, Identification
from identifications.services.attempt_scoring import attempt_score, attempts_sweep
from scoring.models import ScoringAttempt
from tests.api.helpers import create_url, post_json
from tests.api.validation_helpers import DECLARED, DEVICE, MATCHING_METADATA, retrieve_url, validate_url
from tests.fake_scoring_provider import reply

NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
EXTERNAL = {**DECLARED, "configuration_name": "LOW", "scoring": {"provider": "EXTERNAL"}}
PASSING = {"score": 91, "checks": [{"name": "document_control_character", "passed": True, "weight": 100, "reason": ""}]}
DOWN = reply(503, {"error": "maintenance"})
State = ScoringAttempt.State


@pytest.fixture(autouse=True)
def queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.SCORING_PROVIDER_GIVE_UP_AFTER_SECONDS = 15 * 60
    settings.SCORING_ATTEMPT_LEASE_SECONDS = 60
    return default_task_backend


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def validated(client, auth, provider, frozen, queue):
    """An EXTERNAL identification with one attempt stored and queued (not yet run): its id."""
    identification_id = post_json(client, create_url(), EXTERNAL, auth).json()["id"]
    response = post_json(
        client,
        validate_url(identification_id),
        {"evidence_metadata": MATCHING_METADATA},
        {
            **auth,
            **DEVICE,
        },
    )
    assert response.status_code == 204
    return identification_id


def run_queued(queue, *, now) -> list:
    """Run every queued task that is due at `now` (as db_worker does with run_after); keep the others."""
    due = [result for result in queue.results if result.task.run_after is None or result.task.run_after <= now]
    queue.results[:] = [result for result in queue.results if result not in due]
    return [result.task.call(*result.args, **result.kwargs) for result in due]


def deferred(queue) -> list[datetime]:
    return [result.task.run_after for result in queue.results]


def get(client, auth, identification_id) -> dict:
    return client.get(retrieve_url(identification_id), headers=auth).json()


def test_an_unavailable_provider_is_retried_with_backoff_until_it_answers(
    client, auth, provider, validated, queue, frozen
):
    provider.answer(DOWN)
    assert run_queued(queue, now=NOW) == [True]

    # Retried after about 5 s (10% jitter), then about 30 s later.
    (first_retry,) = deferred(queue)
    assert NOW + timedelta(seconds=4.5) <= first_retry <= NOW + timedelta(seconds=5.5)
    assert ScoringAttempt.objects.get().next_try_at == first_retry
    assert run_queued(queue, now=first_retry - timedelta(seconds=1)) == []  # not due yet: db_worker waits

    frozen.move_to(first_retry)
    assert run_queued(queue, now=first_retry) == [True]
    (second_retry,) = deferred(queue)
    assert first_retry + timedelta(seconds=27) <= second_retry <= first_retry + timedelta(seconds=33)
    assert get(client, auth, validated)["attempts"] == {"used": 0, "max": 5, "processing": True}

    provider.answer(reply(200, PASSING))
    frozen.move_to(second_retry)
    assert run_queued(queue, now=second_retry) == [True]

    body = get(client, auth, validated)
    assert (body["status"], body["attempts"], body["result"]["score"]) == (
        "VERIFIED",
        {"used": 1, "max": 5, "processing": False},
        91,
    )
    attempt = ScoringAttempt.objects.get()
    assert (attempt.state, attempt.tries, len(provider.received)) == (State.SCORED, 3, 3)
    assert deferred(queue) == []


def test_a_task_arriving_before_its_retry_time_does_nothing(provider, validated, queue, frozen):
    provider.answer(DOWN)
    run_queued(queue, now=NOW)
    attempt = ScoringAttempt.objects.get()

    assert attempt_score(attempt_id=attempt.pk, now=NOW + timedelta(seconds=1)) is False

    assert len(provider.received) == 1


def test_a_provider_down_past_the_give_up_time_ends_the_attempt_uncounted(
    client, auth, provider, validated, queue, frozen
):
    provider.answer(DOWN)
    now = NOW
    for _ in range(20):
        run_queued(queue, now=now)
        if not queue.results:
            break
        (now,) = deferred(queue)
        frozen.move_to(now)

    attempt = ScoringAttempt.objects.get()
    assert attempt.state == State.PROVIDER_UNAVAILABLE
    # 5 s, 30 s, 2 min, then every 5 min, the last try at the give-up time itself.
    assert attempt.concluded_at == NOW + timedelta(minutes=15)
    assert 6 <= attempt.tries == len(provider.received) <= 7
    body = get(client, auth, validated)
    assert (body["status"], body["attempts"], body["result"]) == (
        "PENDING",
        {"used": 0, "max": 5, "processing": False},
        None,
    )
    assert not Event.objects.exclude(type="identification.created").exists()

    # The holder may validate again: the new attempt takes the number the uncounted one gave back.
    provider.answer(reply(200, PASSING))
    again = post_json(client, validate_url(validated), {"evidence_metadata": MATCHING_METADATA}, {**auth, **DEVICE})
    assert again.status_code == 204
    run_queued(queue, now=now)
    assert list(ScoringAttempt.objects.order_by("pk").values_list("number", "state")) == [
        (1, State.PROVIDER_UNAVAILABLE),
        (1, State.SCORED),
    ]
    assert get(client, auth, validated)["status"] == "VERIFIED"


def test_a_failed_score_keeps_the_previous_result(client, auth, provider, validated, queue, frozen):
    provider.answer(reply(200, {"score": 10, "checks": []}))
    run_queued(queue, now=NOW)
    previous = get(client, auth, validated)["result"]
    assert (previous["score"], get(client, auth, validated)["attempts"]["used"]) == (10, 1)

    provider.answer(DOWN)
    post_json(client, validate_url(validated), {"evidence_metadata": MATCHING_METADATA}, {**auth, **DEVICE})
    frozen.move_to(NOW + timedelta(hours=1))
    for _ in range(3):  # past the give-up time already: its first try past the lease ends it
        run_queued(queue, now=NOW + timedelta(hours=1))
        attempts_sweep(now=NOW + timedelta(hours=1))

    body = get(client, auth, validated)
    assert (body["result"], body["attempts"]) == (previous, {"used": 1, "max": 5, "processing": False})


def test_the_sweeper_requeues_an_attempt_whose_worker_died_after_its_lease(provider, validated, queue, frozen):
    provider.answer(reply(200, PASSING))
    queue.clear()  # the task is lost (as if the worker that took it died before claiming)
    assert attempts_sweep(now=NOW + timedelta(seconds=10)) == 0  # not overdue yet
    # A worker claims the attempt and dies mid-scoring: the claim holds it for the lease.
    attempt = ScoringAttempt.objects.get()
    ScoringAttempt.objects.filter(pk=attempt.pk).update(lease_expires_at=NOW + timedelta(seconds=60))
    assert attempts_sweep(now=NOW + timedelta(seconds=45)) == 0  # held

    frozen.move_to(NOW + timedelta(seconds=61))
    assert attempts_sweep() == 1
    assert run_queued(queue, now=NOW + timedelta(seconds=61)) == [True]

    assert (ScoringAttempt.objects.get().state, Identification.objects.get().status) == (State.SCORED, "VERIFIED")
    assert attempts_sweep(now=NOW + timedelta(hours=1)) == 0  # concluded: nothing left to sweep


def test_a_worker_whose_lease_expired_does_not_record_over_the_one_that_took_over(
    provider, validated, queue, frozen, monkeypatch
):
    # The first worker is slow: while it waits for the provider, its lease expires and another worker scores the
    # attempt. The first one's late outcome is dropped; the attempt counts once.
    provider.answer(reply(200, PASSING))
    (task,) = queue.results
    queue.clear()
    from identifications.services import attempt_scoring

    real_record = attempt_scoring._record_outcome
    calls = []

    def slow_record(attempt, outcome, *, lease, now):
        calls.append(lease)
        if len(calls) > 1:  # the second worker records at once
            return real_record(attempt, outcome, lease=lease, now=now)
        frozen.move_to(NOW + timedelta(seconds=61))
        assert attempt_score(attempt_id=attempt.pk) is True  # the second worker takes over and records
        real_record(attempt, outcome, lease=lease, now=NOW + timedelta(seconds=61))

    monkeypatch.setattr(attempt_scoring, "_record_outcome", slow_record)
    assert task.task.call(*task.args) is True

    assert Identification.objects.get().attempts_used == 1
    assert Event.objects.filter(type="identification.verified").count() == 1
    assert ScoringAttempt.objects.get().tries == 2


def test_the_sweep_command_sweeps_deliveries_and_attempts(provider, validated, queue, frozen):
    queue.clear()
    frozen.move_to(NOW + timedelta(minutes=5))
    out = StringIO()

    call_command("sweep", stdout=out)

    assert out.getvalue().splitlines() == ["Re-queued 0 webhook deliveries.", "Re-queued 1 scoring attempt."]
    assert [result.task.name for result in queue.results] == ["score_attempt"]


def test_the_old_sweeper_name_sweeps_both_too(provider, validated, queue, frozen):
    queue.clear()
    frozen.move_to(NOW + timedelta(minutes=5))
    out = StringIO()

    call_command("sweep_webhook_deliveries", stdout=out)

    assert "Re-queued 1 scoring attempt." in out.getvalue()
