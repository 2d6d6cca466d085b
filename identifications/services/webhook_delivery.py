"""Sending due webhook deliveries a batch at a time (Standard Webhooks signatures, retries with backoff).

A task run (`tasks.deliver_webhooks`) loops: it claims a batch of due deliveries with a lease in one statement (the
events' payloads and the endpoints come back with it), POSTs each outside any transaction (one keep-alive connection
per endpoint origin), then writes the batch's outcomes in one transaction under that lease: the attempts' log in one
INSERT, the deliveries in one UPDATE, and one health UPDATE per endpoint. It stops when nothing is due.

A worker killed mid-batch loses nothing: its leases expire and the sweeper re-queues the deliveries, whose receivers
may then see a `webhook-id` twice (which Standard Webhooks receivers expect). An outcome is written only under the
lease it was sent under: if that lease expired and another worker took the delivery over, the other one's stands.
"""

import json
import time
from collections.abc import Sequence
from contextlib import closing
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from identifications import outbound
from identifications.models import Event, WebhookDelivery
from identifications.services.events import deliveries_wake, queue_runs_in_workers
from identifications.services.webhook_outcomes import Claimed, Outcome, record_outcomes
from identifications.services.webhooks import signature_header, signing_secrets_of

Delivery = WebhookDelivery.Status
# Deliveries per claim. A batch's POSTs are sequential: a slow endpoint delays the rest of its batch (as it held a
# worker before batches), so batches stay small; 50 makes the per-batch statements a few hundredths per delivery.
BATCH_SIZE = 50
# A task run hands its worker back to the queue (scoring tasks share it) after this long, leaving the rest of the
# backlog to a successor task it enqueues.
TASK_TIME_BUDGET_SECONDS = 10.0
# Time kept, after a batch's last POST, to write its outcomes before the lease expires.
RECORDING_MARGIN = timedelta(seconds=5)


# --- The task's loop -------------------------------------------------------------------------------------------


def webhook_deliveries_send_due(*, batch_size: int = BATCH_SIZE, time_budget: float = TASK_TIME_BUDGET_SECONDS) -> int:
    """Send every due delivery, a batch at a time, until none is left or the time budget is spent (then a successor
    task is enqueued). Returns how many were sent."""
    started = time.monotonic()
    sent = 0
    helper_asked = False
    with closing(outbound.session()) as session:
        while True:
            batch, lease = _claim(now=timezone.now(), limit=batch_size)
            if not batch:
                return sent
            if len(batch) == batch_size and not helper_asked and queue_runs_in_workers():
                # A backlog: keep a task queued so that an idle worker joins in (deliveries_wake queues none if one
                # is already waiting). One task per worker at most runs at a time; each claims its own batches.
                deliveries_wake()
                helper_asked = True
            sent += _send_and_record(batch, lease=lease, session=session)
            if time.monotonic() - started >= time_budget:
                deliveries_wake()
                return sent


def webhook_delivery_attempt(*, delivery_id, now=None) -> bool:
    """Send one delivery if it is due and nobody holds it (the per-delivery task of earlier releases, still queued
    in some databases). Returns whether it was sent (False: not due, done, held, or its endpoint disabled)."""
    batch, lease = _claim(now=now or timezone.now(), limit=1, ids=[delivery_id])
    return bool(batch) and _send_and_record(batch, lease=lease, session=None) > 0


# --- Claim -----------------------------------------------------------------------------------------------------

# One statement: lock a batch of due, unheld deliveries (skipping those another worker is locking), set our lease
# on them, and return them with their event and endpoint. Deliveries of a disabled endpoint stay PENDING and are
# not claimed (re-enabling the endpoint lets the sweeper pick them up), except webhook.test, which is sent anyway.
# The rows are read under FOR UPDATE, so a row another worker claimed and committed meanwhile is re-checked against
# the WHERE clause (its new lease excludes it).
CLAIM_SQL = """
WITH due AS (
    SELECT d.id
    FROM identifications_webhookdelivery d
    JOIN identifications_webhookendpoint w ON w.id = d.endpoint_id
    JOIN identifications_event e ON e.id = d.event_id
    WHERE d.status = 'PENDING' AND d.next_attempt_at <= %(now)s
        AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= %(now)s)
        AND (w.enabled OR e.type = %(test_type)s)
        {only_ids}
    ORDER BY d.next_attempt_at
    LIMIT %(limit)s
    FOR UPDATE OF d SKIP LOCKED
)
UPDATE identifications_webhookdelivery d
SET lease_expires_at = %(lease)s, updated_at = %(now)s
FROM due, identifications_event e, identifications_webhookendpoint w
WHERE d.id = due.id AND e.id = d.event_id AND w.id = d.endpoint_id
RETURNING d.id, d.attempts, e.public_id, e.type, e.payload, w.id, w.public_id, w.url, w.secret_encrypted,
    w.previous_secret_encrypted, w.previous_secret_expires_at, d.next_attempt_at
"""


def _claim(*, now, limit: int, ids: Sequence[int] | None = None) -> tuple[list[Claimed], datetime]:
    lease = now + timedelta(seconds=settings.WEBHOOKS_DELIVERY_LEASE_SECONDS)
    if connection.vendor == "postgresql":
        params = {"now": now, "lease": lease, "limit": limit, "test_type": str(Event.Type.WEBHOOK_TEST), "ids": ids}
        with connection.cursor() as cursor:
            cursor.execute(CLAIM_SQL.format(only_ids="AND d.id = ANY(%(ids)s)" if ids is not None else ""), params)
            rows = sorted(cursor.fetchall(), key=lambda row: row[-1])  # RETURNING keeps no order: oldest due first
        return [_claimed_from_row(row) for row in rows], lease
    return _claim_portable(now=now, lease=lease, limit=limit, ids=ids), lease


def _claimed_from_row(row) -> Claimed:
    (
        pk, attempts, event_public_id, event_type, payload, endpoint_id, endpoint_public_id, url,
        secret_encrypted, previous_secret_encrypted, previous_secret_expires_at, _next_attempt_at,
    ) = row  # fmt: skip
    return Claimed(
        id=pk,
        attempts=attempts,
        event_public_id=event_public_id,
        event_type=event_type,
        payload=json.loads(payload),  # jsonb comes back as text: Django decodes JSONField itself
        endpoint_id=endpoint_id,
        endpoint_public_id=endpoint_public_id,
        url=url,
        secret_encrypted=secret_encrypted,
        previous_secret_encrypted=previous_secret_encrypted,
        previous_secret_expires_at=previous_secret_expires_at,
    )


def _claim_portable(*, now, lease, limit: int, ids) -> list[Claimed]:
    """The claim in three statements, for SQLite (development, tests): it has no FOR UPDATE, and serializes writes.
    The conditional UPDATE re-checks that each row is still due and unheld."""
    due = (
        WebhookDelivery.objects.filter(status=Delivery.PENDING, next_attempt_at__lte=now)
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now))
        .filter(Q(endpoint__enabled=True) | Q(event__type=Event.Type.WEBHOOK_TEST))
    )
    if ids is not None:
        due = due.filter(pk__in=ids)
    pks = list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    if not pks:
        return []
    due.filter(pk__in=pks).update(lease_expires_at=lease, updated_at=now)
    claimed = (
        WebhookDelivery.objects.filter(pk__in=pks, lease_expires_at=lease)
        .select_related("event", "endpoint")
        .order_by("next_attempt_at")
    )
    return [
        Claimed(
            id=delivery.pk,
            attempts=delivery.attempts,
            event_public_id=delivery.event.public_id,
            event_type=delivery.event.type,
            payload=delivery.event.payload,
            endpoint_id=delivery.endpoint_id,
            endpoint_public_id=delivery.endpoint.public_id,
            url=delivery.endpoint.url,
            secret_encrypted=delivery.endpoint.secret_encrypted,
            previous_secret_encrypted=delivery.endpoint.previous_secret_encrypted,
            previous_secret_expires_at=delivery.endpoint.previous_secret_expires_at,
        )
        for delivery in claimed
    ]


# --- Send ------------------------------------------------------------------------------------------------------


def _send_and_record(batch: list[Claimed], *, lease, session) -> int:
    """POST the batch's deliveries in order, then record the outcomes. Returns how many were sent."""
    outcomes: list[Outcome] = []
    released: list[Claimed] = []  # claimed but not sent: handed back (lease cleared), still PENDING
    gone: set[int] = set()
    signing: dict[int, list[str]] = {}
    # The last moment a POST may start and still have its outcome written under the lease (the first one is sent
    # whatever the lease, as a single delivery always was).
    last_start = lease - timedelta(seconds=settings.WEBHOOKS_DELIVERY_DEADLINE_SECONDS) - RECORDING_MARGIN
    for delivery in batch:
        if delivery.endpoint_id in gone and not delivery.is_test:
            released.append(delivery)  # it answered 410 earlier in this batch: it is being disabled
        elif outcomes and timezone.now() > last_start:
            released.append(delivery)  # a slow batch: another claim (ours or another worker's) sends it
        else:
            outcome = _post(delivery, signing=signing, session=session)
            outcomes.append(outcome)
            if outcome.gone:
                gone.add(delivery.endpoint_id)
    record_outcomes(outcomes, released, lease=lease)
    return len(outcomes)


def _post(delivery: Claimed, *, signing: dict[int, list[str]], session) -> Outcome:
    body = json.dumps(delivery.payload, separators=(",", ":")).encode("utf-8")
    sent_at = timezone.now()
    if delivery.endpoint_id not in signing:  # decrypted once per endpoint and batch
        signing[delivery.endpoint_id] = signing_secrets_of(
            secret_encrypted=delivery.secret_encrypted,
            previous_secret_encrypted=delivery.previous_secret_encrypted,
            previous_secret_expires_at=delivery.previous_secret_expires_at,
            now=sent_at,
        )
    headers = {
        "content-type": "application/json",
        "webhook-id": delivery.event_public_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature_header(
            signing[delivery.endpoint_id],
            msg_id=delivery.event_public_id,
            timestamp=sent_at.astimezone(UTC),
            body=body,
        ),
    }
    response, error = None, ""
    try:
        response = outbound.post(
            delivery.url,
            body=body,
            headers=headers,
            deadline=settings.WEBHOOKS_DELIVERY_DEADLINE_SECONDS,
            session=session,
        )
    except outbound.OutboundFailure as failure:
        error = failure.reason
    return Outcome(delivery, started=sent_at, finished=timezone.now(), response=response, error=error)
