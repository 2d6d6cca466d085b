"""Deliveries sent in batches: one task run sends every due delivery, commits queue a task only when none is
waiting, a failing endpoint holds back no other, a lease that expires mid-batch neither loses nor duplicates a
delivery in the normal case, and a batch costs the same statements whatever its size."""

import socket
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from identifications import backoff, outbound
from identifications.actors import Actor
from identifications.models import WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint
from identifications.services import identification_close, webhook_delivery
from identifications.services.webhook_delivery import webhook_deliveries_send_due
from identifications.services.webhooks import (
    webhook_endpoint_create,
    webhook_endpoint_send_test,
    webhook_endpoint_update,
)
from identifications.tasks import deliver_webhook, deliver_webhooks
from tests.factories import IdentificationFactory

pytestmark = pytest.mark.django_db
Status = WebhookDelivery.Status


@pytest.fixture
def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def close_identifications(organization, count, captured) -> list[str]:
    """`count` transitions, each committed on its own (its on-commit enqueue runs); their events' ids."""
    ids = []
    for _ in range(count):
        identification = IdentificationFactory(organization=organization)
        with captured(execute=True):
            identification_close(identification_id=identification.pk, actor=Actor.system())
        ids.append(identification.public_events.get(type="identification.closed").public_id)
    return ids


def delivery_tasks() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=deliver_webhooks.module_path).order_by("enqueued_at"))


def run_queue() -> int:
    """What a db_worker does with the queue: run every ready task, oldest first, until none is ready."""
    ran = 0
    while (row := DBTaskResult.objects.ready().order_by("enqueued_at").first()) is not None:
        row.claim("test-worker")
        row.set_successful(row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"]))
        ran += 1
    return ran


def test_one_task_run_delivers_every_due_delivery(
    organization, endpoint, receiver, dummy_backend, django_capture_on_commit_callbacks
):
    ids = close_identifications(organization, 4, django_capture_on_commit_callbacks)
    assert not receiver.requests  # nothing runs on the dummy backend until we say so

    first = dummy_backend.results[0]
    assert first.task.call(*first.args, **first.kwargs) == 4

    assert sorted(receiver.ids()) == sorted(ids)
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {(Status.SUCCEEDED, 1)}
    assert WebhookDeliveryAttempt.objects.filter(status_code=200).count() == 4
    # The tasks queued by the other commits find nothing left to send.
    assert [result.task.call() for result in dummy_backend.results[1:]] == [0, 0, 0]


def test_a_failing_endpoint_does_not_hold_back_the_others(
    organization, receiver, closed_port, dummy_backend, django_capture_on_commit_callbacks
):
    healthy = webhook_endpoint_create(organization=organization, url=receiver.url)[0]
    down = webhook_endpoint_create(organization=organization, url=f"http://127.0.0.1:{closed_port}/hook")[0]
    ids = close_identifications(organization, 3, django_capture_on_commit_callbacks)

    with time_machine.travel(timezone.now(), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert webhook_deliveries_send_due() == 6
        now = timezone.now()

    assert sorted(receiver.ids()) == sorted(ids)
    assert set(healthy.deliveries.values_list("status", flat=True)) == {Status.SUCCEEDED}
    for delivery in down.deliveries.all():
        assert (delivery.status, delivery.attempts) == (Status.PENDING, 1)
        assert timedelta(seconds=4.5) <= delivery.next_attempt_at - now <= timedelta(seconds=5.5)
    assert set(WebhookDeliveryAttempt.objects.filter(delivery__endpoint=down).values_list("error", flat=True)) == {
        "connection_refused"
    }
    down.refresh_from_db()
    healthy.refresh_from_db()
    assert (down.consecutive_failures, down.failing_since, down.enabled) == (3, now, True)
    assert (healthy.consecutive_failures, healthy.last_success_at) == (0, now)


def test_a_410_in_a_batch_disables_the_endpoint_and_sends_it_nothing_more(
    organization, endpoint, receiver, dummy_backend, django_capture_on_commit_callbacks
):
    receiver.then = 410
    close_identifications(organization, 3, django_capture_on_commit_callbacks)

    assert webhook_deliveries_send_due() == 1

    assert len(receiver.requests) == 1
    endpoint.refresh_from_db()
    assert not endpoint.enabled and "410" in endpoint.disabled_reason
    # The others are left PENDING and unheld, as for any disabled endpoint: re-enabling it sends them.
    assert sorted(WebhookDelivery.objects.values_list("status", flat=True)) == [
        Status.FAILED,
        Status.PENDING,
        Status.PENDING,
    ]
    assert not WebhookDelivery.objects.filter(lease_expires_at__isnull=False).exists()


def test_commits_queue_a_task_only_when_none_is_waiting(
    organization, endpoint, receiver, database_queue, django_capture_on_commit_callbacks
):
    ids = close_identifications(organization, 5, django_capture_on_commit_callbacks)
    assert len(delivery_tasks()) == 1  # five commits, one task waiting for a worker

    assert run_queue() == 1
    assert sorted(receiver.ids()) == sorted(ids)

    # A RUNNING task may have made its last claim before a commit: that commit queues a task.
    (done,) = delivery_tasks()
    DBTaskResult.objects.filter(pk=done.pk).update(status="RUNNING")
    more = close_identifications(organization, 2, django_capture_on_commit_callbacks)
    assert len(delivery_tasks()) == 2
    assert run_queue() == 1
    assert sorted(receiver.ids()) == sorted(ids + more)
    assert len(receiver.requests) == 7  # each once


def test_a_task_deferred_to_later_does_not_count_as_waiting(
    organization, endpoint, receiver, database_queue, django_capture_on_commit_callbacks
):
    deliver_webhooks.using(run_after=timezone.now() + timedelta(minutes=5)).enqueue()  # a retry's wake-up
    (event_id,) = close_identifications(organization, 1, django_capture_on_commit_callbacks)
    assert len(delivery_tasks()) == 2
    assert run_queue() == 1
    assert receiver.ids() == [event_id]


def test_a_backlog_keeps_a_task_waiting_for_an_idle_worker(
    organization, endpoint, receiver, database_queue, django_capture_on_commit_callbacks
):
    ids = close_identifications(organization, 5, django_capture_on_commit_callbacks)
    (queued,) = delivery_tasks()
    queued.claim("worker-1")  # worker 1 runs it...

    # ...and its first claim is a full batch: it queues a task that worker 2 can start meanwhile.
    assert webhook_deliveries_send_due(batch_size=2) == 5
    assert [task.status for task in delivery_tasks()] == ["RUNNING", "READY"]
    assert sorted(receiver.ids()) == sorted(ids)


def test_retries_of_a_batch_share_their_wake_up_tasks(
    organization, endpoint, receiver, dummy_backend, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(backoff.random, "uniform", lambda low, high: 1.0)  # no jitter: one retry time
    receiver.then = 503
    close_identifications(organization, 3, django_capture_on_commit_callbacks)
    queued = len(dummy_backend.results)

    with time_machine.travel(timezone.now(), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert webhook_deliveries_send_due() == 3
        (wake_up,) = dummy_backend.results[queued:]
        assert wake_up.task.name == deliver_webhooks.name
        assert wake_up.task.run_after == timezone.now() + timedelta(seconds=5)
    assert set(WebhookDelivery.objects.values_list("next_attempt_at", flat=True)) == {wake_up.task.run_after}


def test_a_lease_that_expires_mid_batch_leaves_the_rest_to_the_worker_that_took_over(
    organization, endpoint, receiver, dummy_backend, django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.WEBHOOKS_DELIVERY_LEASE_SECONDS = 60
    receiver.script = [500]  # the first worker's one POST fails; the second worker's succeed
    first, second, third = close_identifications(organization, 3, django_capture_on_commit_callbacks)
    real_post = outbound.post
    stalled = []

    with time_machine.travel(timezone.now(), tick=False) as clock:

        def stalling_post(*args, **kwargs):
            response = real_post(*args, **kwargs)
            if not stalled:
                # The first worker's first POST took 70 s: its lease (60 s) expired, and another worker, started by
                # the sweeper, took every delivery over and sent them.
                stalled.append(True)
                clock.shift(timedelta(seconds=70))
                assert webhook_deliveries_send_due() == 3
            return response

        monkeypatch.setattr(outbound, "post", stalling_post)
        with django_capture_on_commit_callbacks(execute=True):
            assert webhook_deliveries_send_due() == 1  # the first worker sends nothing more

    # The delivery whose answer came after the lease expired may arrive twice (at-least-once); the others once.
    assert receiver.ids() == [first, first, second, third]
    # The worker that took over recorded its outcomes; the first one's late 500 overwrote none of them.
    assert set(WebhookDelivery.objects.values_list("status", "attempts", "lease_expires_at")) == {
        (Status.SUCCEEDED, 1, None)
    }
    assert WebhookDeliveryAttempt.objects.count() == 4  # every exchange is in the log, the late 500 included


def test_a_slow_batch_hands_back_what_it_has_no_lease_time_left_to_send(
    organization, endpoint, receiver, dummy_backend, django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.WEBHOOKS_DELIVERY_LEASE_SECONDS = 60
    settings.WEBHOOKS_DELIVERY_DEADLINE_SECONDS = 10
    ids = close_identifications(organization, 3, django_capture_on_commit_callbacks)
    real_post = outbound.post
    claims = []

    with time_machine.travel(timezone.now(), tick=False) as clock:

        def slow_post(*args, **kwargs):
            clock.shift(timedelta(seconds=50))  # 10 s of lease left: too little to send another and record it
            return real_post(*args, **kwargs)

        monkeypatch.setattr(outbound, "post", slow_post)
        real_claim = webhook_delivery._claim

        def counted_claim(**kwargs):
            batch, lease = real_claim(**kwargs)
            claims.append(len(batch))
            return batch, lease

        monkeypatch.setattr(webhook_delivery, "_claim", counted_claim)
        assert webhook_deliveries_send_due() == 3

    assert receiver.ids() == ids  # each once, in order
    # Each claim (a fresh lease) sent one and handed the rest back; the last claim found nothing.
    assert claims == [3, 2, 1, 0]
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {(Status.SUCCEEDED, 1)}


def test_the_per_delivery_task_of_earlier_releases_still_sends(
    organization, endpoint, receiver, dummy_backend, django_capture_on_commit_callbacks
):
    (event_id,) = close_identifications(organization, 1, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert deliver_webhook.call(delivery.pk) is True
    assert deliver_webhook.call(delivery.pk) is False  # done: not sent twice
    assert receiver.ids() == [event_id]


def test_a_healthy_endpoints_row_is_written_at_most_every_few_seconds(
    organization, endpoint, receiver, dummy_backend, django_capture_on_commit_callbacks
):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        close_identifications(organization, 1, django_capture_on_commit_callbacks)
        webhook_deliveries_send_due()
        first_success = timezone.now()

        clock.shift(timedelta(seconds=4))
        close_identifications(organization, 1, django_capture_on_commit_callbacks)
        webhook_deliveries_send_due()
        assert WebhookEndpoint.objects.get().last_success_at == first_success  # still recent: not rewritten

        clock.shift(timedelta(seconds=2))
        close_identifications(organization, 1, django_capture_on_commit_callbacks)
        webhook_deliveries_send_due()
        assert WebhookEndpoint.objects.get().last_success_at == timezone.now()


# --- Statements ------------------------------------------------------------------------------------------------


def statements_of_one_batch(organization, count, captured, capture_queries) -> list[str]:
    close_identifications(organization, count, captured)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        clock.shift(timedelta(seconds=10))  # the endpoint's last success, if any, is stale: its row is written
        with captured(execute=True), capture_queries() as queries:
            assert webhook_deliveries_send_due() == count
    return queries.verbs


@pytest.mark.parametrize("size", [2, 12])
def test_a_batch_spends_the_same_statements_whatever_its_size(
    organization, endpoint, receiver, dummy_backend, django_capture_on_commit_callbacks, capture_queries, size
):
    verbs = statements_of_one_batch(organization, size, django_capture_on_commit_callbacks, capture_queries)
    if connection.vendor == "postgresql":
        # 1. WITH due AS (SELECT ... FOR UPDATE SKIP LOCKED) UPDATE ... RETURNING: claim the batch, with the events
        #    and endpoints
        claim, last_claim = ["WITH"], ["WITH"]
    else:
        # 1-3. SQLite: SELECT the due ids, UPDATE their lease, SELECT them with their events and endpoints
        claim, last_claim = ["SELECT", "UPDATE", "SELECT"], ["SELECT"]
    # 2. INSERT the attempts' log (one statement)
    # 3. UPDATE the deliveries (one statement, CASE per field, under the lease)
    # 4. UPDATE the endpoint's health (one per endpoint; writes no row while it is healthy and its success recent)
    # 5. the next claim, which finds nothing due
    assert verbs == [*claim, "INSERT", "UPDATE", "UPDATE", *last_claim]


def test_a_failure_without_an_answer_keeps_the_last_status_code(
    organization, endpoint, receiver, closed_port, dummy_backend, django_capture_on_commit_callbacks
):
    receiver.then = 503
    close_identifications(organization, 1, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        webhook_deliveries_send_due()
        WebhookEndpoint.objects.update(url=f"http://127.0.0.1:{closed_port}/hook")  # the receiver goes away
        clock.shift(timedelta(seconds=6))
        webhook_deliveries_send_due()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (Status.PENDING, 2, 503)
    assert delivery.delivered_at is None
    assert list(WebhookDeliveryAttempt.objects.order_by("created_at").values_list("status_code", "error")) == [
        (503, "HTTP 503"),
        (None, "connection_refused"),
    ]


def test_a_disabled_endpoint_gets_its_test_event_but_not_the_pending_deliveries(
    organization, endpoint, receiver, dummy_backend, django_capture_on_commit_callbacks
):
    (pending,) = close_identifications(organization, 1, django_capture_on_commit_callbacks)
    webhook_endpoint_update(endpoint=endpoint, enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        test = webhook_endpoint_send_test(endpoint=endpoint)

    assert webhook_deliveries_send_due() == 1
    assert receiver.ids() == [test.event.public_id]
    assert WebhookDelivery.objects.get(event__public_id=pending).status == Status.PENDING
    assert not WebhookDelivery.objects.filter(lease_expires_at__isnull=False).exists()
