"""Deliveries: signed with Standard Webhooks over the raw bytes, retried on the schedule, leased against dead
workers. Tasks run on the immediate backend (in the test) unless a test swaps in the dummy one."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from identifications import backoff
from identifications.actors import Actor
from identifications.models import WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint
from identifications.services import identification_close
from identifications.services.webhook_delivery import webhook_delivery_attempt
from identifications.services.webhooks import (
    webhook_deliveries_sweep,
    webhook_endpoint_create,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_send_test,
)
from tests.factories import IdentificationFactory

pytestmark = pytest.mark.django_db
Status = WebhookDelivery.Status


def close(identification, captured):
    with captured(execute=True):
        identification_close(identification_id=identification.pk, actor=Actor.system())


def test_a_transition_is_delivered_signed_over_the_raw_body(
    organization, endpoint, receiver, django_capture_on_commit_callbacks
):
    identification = IdentificationFactory(organization=organization)
    close(identification, django_capture_on_commit_callbacks)

    (request,) = receiver.requests
    payload = Webhook(endpoint.secret).verify(request.body, request.headers)
    assert payload["type"] == "identification.closed"
    assert request.headers["webhook-id"] == payload["id"]
    assert json.loads(request.body) == payload
    assert WebhookDelivery.objects.get().status == Status.SUCCEEDED
    assert WebhookEndpoint.objects.get().last_success_at is not None


def test_a_tampered_body_does_not_verify(organization, endpoint, receiver, django_capture_on_commit_callbacks):
    close(IdentificationFactory(organization=organization), django_capture_on_commit_callbacks)
    (request,) = receiver.requests
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(request.body.replace(b"CLOSED", b"VERIFIED"), request.headers)


def test_during_a_rotation_both_secrets_verify_and_after_24_hours_only_the_new_one(
    organization, endpoint, receiver, django_capture_on_commit_callbacks
):
    new_secret = webhook_endpoint_rotate_secret(endpoint=WebhookEndpoint.objects.get())
    close(IdentificationFactory(organization=organization), django_capture_on_commit_callbacks)
    (during,) = receiver.requests
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    Webhook(endpoint.secret).verify(during.body, during.headers)
    Webhook(new_secret).verify(during.body, during.headers)

    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        close(IdentificationFactory(organization=organization), django_capture_on_commit_callbacks)
        after = receiver.requests[1]
        Webhook(new_secret).verify(after.body, after.headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(endpoint.secret).verify(after.body, after.headers)


def test_500_then_200_redelivers_the_same_webhook_id_after_the_first_backoff(
    organization, endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.script = [500]
    with time_machine.travel(timezone.now(), tick=False) as clock:
        close(IdentificationFactory(organization=organization), django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == (Status.PENDING, 1, 500)

        clock.shift(timedelta(seconds=4))  # the first step is 5 s +-10%: not due yet
        assert webhook_deliveries_sweep(overdue_by=timedelta(0)) == 0

        clock.shift(timedelta(seconds=2))
        with django_capture_on_commit_callbacks(execute=True):
            assert webhook_deliveries_sweep(overdue_by=timedelta(0)) == 1

    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert first.headers["webhook-timestamp"] != second.headers["webhook-timestamp"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.SUCCEEDED, 2)
    assert list(WebhookDeliveryAttempt.objects.order_by("created_at").values_list("status_code", flat=True)) == [
        500,
        200,
    ]


def test_a_failure_schedules_the_retry_on_the_worker_queue(
    organization, endpoint, receiver, dummy_backend, django_capture_on_commit_callbacks
):
    receiver.then = 503
    with time_machine.travel(timezone.now(), tick=False):
        close(IdentificationFactory(organization=organization), django_capture_on_commit_callbacks)
        (first,) = dummy_backend.results  # the delivery task after commit
        assert not receiver.requests  # nothing runs on the dummy backend until we say so

        with django_capture_on_commit_callbacks(execute=True):
            assert first.task.call(*first.args, **first.kwargs) == 1  # one delivery sent

        retry = dummy_backend.results[1]
        assert (retry.task.name, retry.args) == (first.task.name, first.args)
        assert timedelta(seconds=4.5) <= retry.task.run_after - timezone.now() <= timedelta(seconds=5.5)


def test_retry_after_is_honoured(organization, endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.script = [429]
    receiver.response_headers = {"Retry-After": "120"}
    with time_machine.travel(timezone.now(), tick=False):
        close(IdentificationFactory(organization=organization), django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get()
        assert delivery.next_attempt_at - timezone.now() == timedelta(seconds=120)


def test_410_disables_the_endpoint_with_a_reason(organization, endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.then = 410
    close(IdentificationFactory(organization=organization), django_capture_on_commit_callbacks)
    close(IdentificationFactory(organization=organization), django_capture_on_commit_callbacks)

    endpoint = WebhookEndpoint.objects.get()
    assert not endpoint.enabled
    assert "410" in endpoint.disabled_reason
    assert len(receiver.requests) == 1  # the second event is not sent to a disabled endpoint
    assert WebhookDelivery.objects.filter(status=Status.FAILED).count() == 1


def test_three_days_of_failures_disable_the_endpoint(
    organization, endpoint, receiver, django_capture_on_commit_callbacks, monkeypatch
):
    # The schedule without its jitter: its ten attempts span 75.6 hours, past the 72 of the rule. (With jitter, one
    # delivery's last attempt may fall before the 72nd hour, and the test would depend on the draw.)
    monkeypatch.setattr(backoff.random, "uniform", lambda low, high: 1.0)
    receiver.then = 500
    with time_machine.travel(timezone.now(), tick=False) as clock:
        close(IdentificationFactory(organization=organization), django_capture_on_commit_callbacks)
        for _ in range(9):
            clock.move_to(WebhookDelivery.objects.get().next_attempt_at + timedelta(seconds=1))
            with django_capture_on_commit_callbacks(execute=True):
                webhook_deliveries_sweep(overdue_by=timedelta(0))
            if not WebhookEndpoint.objects.get().enabled:
                break

    endpoint = WebhookEndpoint.objects.get()
    assert not endpoint.enabled
    assert "since" in endpoint.disabled_reason
    assert endpoint.consecutive_failures >= 8
    delivery = WebhookDelivery.objects.get()
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    assert delivery.attempts == len(receiver.requests)


def test_a_held_delivery_is_not_taken_until_its_lease_expires(
    organization, endpoint, receiver, dummy_backend, django_capture_on_commit_callbacks, settings
):
    settings.WEBHOOKS_DELIVERY_LEASE_SECONDS = 60
    close(IdentificationFactory(organization=organization), django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    now = timezone.now()
    # A worker claimed it and was killed before recording anything.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(lease_expires_at=now + timedelta(seconds=60))

    assert webhook_deliveries_sweep(now=now + timedelta(seconds=59), overdue_by=timedelta(0)) == 0
    assert not webhook_delivery_attempt(delivery_id=delivery.pk, now=now + timedelta(seconds=59))
    assert webhook_deliveries_sweep(now=now + timedelta(seconds=61), overdue_by=timedelta(0)) == 1
    assert webhook_delivery_attempt(delivery_id=delivery.pk, now=now + timedelta(seconds=61))
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get().status == Status.SUCCEEDED


def test_with_no_worker_running_transitions_succeed_and_are_delivered_when_one_returns(
    organization, endpoint, receiver, dummy_backend, django_capture_on_commit_callbacks
):
    identifications = [IdentificationFactory(organization=organization) for _ in range(3)]
    for identification in identifications:
        close(identification, django_capture_on_commit_callbacks)
    assert not receiver.requests
    assert WebhookDelivery.objects.filter(status=Status.PENDING).count() == 3

    # A worker returns and runs the queue.
    for result in list(dummy_backend.results):
        result.task.call(*result.args, **result.kwargs)

    assert len(set(receiver.ids())) == 3
    assert not WebhookDelivery.objects.exclude(status=Status.SUCCEEDED).exists()


def test_an_endpoint_only_gets_the_event_types_it_asked_for(organization, receiver, django_capture_on_commit_callbacks):
    webhook_endpoint_create(organization=organization, url=receiver.url, event_types=["identification.verified"])
    close(IdentificationFactory(organization=organization), django_capture_on_commit_callbacks)
    assert not WebhookDelivery.objects.exists()
    assert not receiver.requests


def test_send_test_event(organization, endpoint, receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        webhook_endpoint_send_test(endpoint=WebhookEndpoint.objects.get())
    (request,) = receiver.requests
    assert Webhook(endpoint.secret).verify(request.body, request.headers)["type"] == "webhook.test"
