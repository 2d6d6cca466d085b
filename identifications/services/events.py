"""The outbox: every audit transition also writes a public event (and one delivery per interested webhook
endpoint) in the same transaction, so an event exists if and only if its transition committed.

services.lifecycle._record_events (the one writer of audit events) calls `events_record_many` for every audit
event it writes, and the scoring outcome calls it for a failed attempt that leaves the identification open.
"""

from collections.abc import Iterable, Mapping
from datetime import UTC, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from identifications.models import Event, Identification, WebhookDelivery, WebhookEndpoint

Status = Identification.Status
Type = Event.Type

TYPE_FOR_END_STATUS = {
    Status.VERIFIED: Type.VERIFIED,
    Status.REJECTED: Type.REJECTED,
    Status.CLOSED: Type.CLOSED,
    Status.EXPIRED: Type.EXPIRED,
}


def event_type_for(*, from_status, to_status) -> str:
    """The public type of an audit transition: creation has no from-status, redaction keeps the status, and a
    scored attempt that leaves the identification PENDING is a failed attempt."""
    if from_status is None:
        return Type.CREATED
    if from_status == to_status == Status.PENDING:
        # Redaction never keeps an identification PENDING (it closes it first): this is a failed attempt.
        return Type.ATTEMPT_FAILED
    if from_status == to_status:
        return Type.REDACTED
    return TYPE_FOR_END_STATUS[to_status]


def events_record(*, identification_id, from_status, to_status, now) -> Event:
    """Write the event of one transition; call it inside the transition's transaction, under its row lock (the
    conditional UPDATE or select_for_update), which is what keeps `sequence` gapless per identification."""
    (event,) = events_record_many(
        identification_ids=[identification_id], from_status=from_status, to_status=to_status, now=now
    )
    return event


def events_record_many(*, identification_ids, from_status, to_status, now, created=None) -> list[Event]:
    """`created`: instead of ids, identifications INSERTed in this very transaction. Their stored fields are the
    objects' own and they have no earlier event, so their events need no SELECT (create's hot path).

    On PostgreSQL the events of existing identifications are read and written by one INSERT ... SELECT
    (BATCH_EVENTS_SQL): a close, a verdict or a redaction sends one statement instead of the ORM's SELECT (its
    joins and the last-sequence subquery, ~1 ms of CPU to compile) and INSERT."""
    event_type = event_type_for(from_status=from_status, to_status=to_status)
    if created is None and connection.vendor == "postgresql":
        events = _events_insert_selected(identification_ids, event_type=event_type, now=now)
        deliveries_create(events, now=now)
        return events
    rows: Iterable[Mapping[str, Any]]
    if created is not None:
        rows = [_public_fields_of_new(identification) for identification in created]
    else:
        last_sequence = Event.objects.filter(identification_id=OuterRef("pk")).order_by("-sequence").values("sequence")
        rows = (
            Identification.objects.filter(pk__in=identification_ids)
            .values(
                "pk",
                "organization_id",
                "organization__slug",
                "status",
                "attempts_used",
                "attempt_processing",
                "configuration__maximum_attempts",
            )
            .annotate(last_sequence=Subquery(last_sequence[:1]))
        )
    events = []
    for row in rows:
        event = Event(
            organization_id=row["organization_id"],
            identification_id=row["pk"],
            type=event_type,
            sequence=(row["last_sequence"] or 0) + 1,
            created_at=now,
        )
        event.payload = event_payload(
            event,
            organization=row["organization__slug"],
            data={
                "id": str(row["pk"]),
                "status": row["status"],
                "attempts": {
                    "used": row["attempts_used"],
                    "max": row["configuration__maximum_attempts"],
                    "processing": row["attempt_processing"],
                },
            },
        )
        events.append(event)
    Event.objects.bulk_create(events)
    deliveries_create(events, now=now)
    return events


# The public events of the identifications in `{source}` (a table, or a CTE with the identification's columns),
# built and INSERTed by PostgreSQL: the same event, field for field, as events_record_many's; the payload's keys are
# event_payload's (jsonb keeps no key order either way); tests/webhooks/test_events.py compares the paths' payloads.
# Shared by BATCH_EVENTS_SQL and the expiry's batch statement (services/expiry_batches.py).
PUBLIC_EVENTS_INSERT_SQL = """
INSERT INTO identifications_event (public_id, organization_id, identification_id, type, sequence, payload, created_at)
SELECT next.public_id, i.organization_id, i.id, %(type)s, next.sequence,
    jsonb_build_object(
        'id', next.public_id, 'type', %(type)s, 'timestamp', %(timestamp)s,
        'data', jsonb_build_object(
            'id', i.id::text, 'organization', o.slug, 'status', i.status,
            'attempts', jsonb_build_object(
                'used', i.attempts_used, 'max', c.maximum_attempts, 'processing', i.attempt_processing
            ),
            'sequence', next.sequence
        )
    ),
    %(now)s
FROM {source} i
JOIN identifications_organization o ON o.id = i.organization_id
JOIN scoring_configuration c ON c.id = i.configuration_id
CROSS JOIN LATERAL (
    SELECT 'evt_' || replace(gen_random_uuid()::text, '-', '') AS public_id,
        coalesce((SELECT max(e.sequence) FROM identifications_event e WHERE e.identification_id = i.id), 0) + 1
            AS sequence
) AS next
"""

# events_record_many's SELECT and INSERT in one statement on PostgreSQL.
BATCH_EVENTS_SQL = (
    PUBLIC_EVENTS_INSERT_SQL.format(source="identifications_identification")
    + """WHERE i.id = ANY(%(ids)s)
RETURNING id, public_id, organization_id, identification_id, type, sequence, payload, created_at
"""
)


def _events_insert_selected(identification_ids, *, event_type, now) -> list[Event]:
    return [
        _event_from_row(row) for row in _events_insert_selected_rows(identification_ids, event_type=event_type, now=now)
    ]


def _events_insert_selected_rows(identification_ids, *, event_type, now) -> list[tuple]:
    params = {
        "type": str(event_type),
        "timestamp": payload_timestamp(now),
        "now": now,
        "ids": list(identification_ids),
    }
    with connection.cursor() as cursor:
        cursor.execute(BATCH_EVENTS_SQL, params)
        return cursor.fetchall()


def _event_from_row(row: tuple) -> Event:
    pk, public_id, organization_id, identification_id, type_, sequence, payload, created_at = row
    return Event(
        pk=pk,
        public_id=public_id,
        organization_id=organization_id,
        identification_id=identification_id,
        type=type_,
        sequence=sequence,
        payload=payload,
        created_at=created_at,
    )


def _enabled_endpoints(organization_ids) -> list[WebhookEndpoint]:
    """The enabled endpoints of these organizations, with the columns delivery creation reads (the rest deferred).

    A raw query, not a QuerySet: it runs in every create and close, and building the QuerySet's SQL cost more CPU
    than the rest of the outbox (bench/NOTES.md, third round). No ORDER BY: nothing needs one."""
    ids = list(organization_ids)
    placeholders = ", ".join(["%s"] * len(ids))
    sql = (
        f"SELECT id, organization_id, event_types FROM {WebhookEndpoint._meta.db_table} "
        f"WHERE enabled = %s AND organization_id IN ({placeholders})"
    )
    return list(WebhookEndpoint.objects.raw(sql, [True, *ids]))


def _public_fields_of_new(identification: Identification) -> dict:
    """What the SELECT of events_record_many reads, from an identification that was just INSERTed."""
    return {
        "pk": identification.pk,
        "organization_id": identification.organization_id,
        "organization__slug": identification.organization.slug,
        "status": identification.status,
        "attempts_used": identification.attempts_used,
        "attempt_processing": identification.attempt_processing,
        "configuration__maximum_attempts": identification.configuration.maximum_attempts,
        "last_sequence": None,
    }


def payload_timestamp(moment) -> str:
    """An event payload's `timestamp`: UTC, to the second (API.md)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_payload(event: Event, *, organization: str, data: dict) -> dict:
    return {
        "id": event.public_id,
        "type": event.type,
        "timestamp": payload_timestamp(event.created_at),
        "data": {"id": data.pop("id"), "organization": organization, **data, "sequence": event.sequence},
    }


def deliveries_create(events: list[Event], *, now, endpoints=None) -> list[WebhookDelivery]:
    """One delivery per (event, enabled endpoint that wants its type), handed to the workers once committed."""
    if not events:
        return []
    if endpoints is None:
        endpoints = _enabled_endpoints({event.organization_id for event in events})
    deliveries = [
        WebhookDelivery(event=event, endpoint=endpoint, next_attempt_at=now, created_at=now, updated_at=now)
        for event in events
        for endpoint in endpoints
        if endpoint.organization_id == event.organization_id and endpoint.wants(event.type)
    ]
    if deliveries:
        WebhookDelivery.objects.bulk_create(deliveries)
        ids = [delivery.pk for delivery in deliveries]
        # After the commit: a worker must not see (or send) an event whose transition may still roll back. If this
        # process dies in between, the sweeper finds the deliveries due and enqueues them.
        transaction.on_commit(lambda: deliveries_enqueue(ids))
    return deliveries


def deliveries_enqueue(delivery_ids) -> None:
    """Have the deliveries sent: call it once they are committed and due. A `deliver_webhooks` task sends every due
    delivery, so this queues one only when none is waiting (`deliveries_wake`): N commits make fewer tasks."""
    if delivery_ids:
        deliveries_wake()


def deliveries_wake() -> None:
    """Make sure a `deliver_webhooks` task starts after this moment: queue one unless one is already waiting.

    Why a waiting task is enough (the race): a task is waiting when its row is READY and runnable now (not deferred
    to later). The caller's deliveries were committed before this check. If the check sees a waiting task, that task
    had not started when the check's snapshot was taken; whichever worker starts it (even one claiming it at this
    very moment, whose claim commits after our snapshot) runs it after our commit, and each of its claims is a new
    statement that sees every committed row. The task claims until nothing is due (or hands over to a successor it
    queues), so our deliveries are claimed by it or by another task that locked them first. A RUNNING task does not
    count: its last, empty, claim may have come before our commit. Two callers that both see no waiting task both
    queue one; the second finds nothing or shares the work. A waiting task that dies before claiming leaves the
    deliveries to the sweeper, as a lost task always did.
    """
    from identifications.tasks import deliver_webhooks

    if queue_runs_in_workers() and _task_waiting(deliver_webhooks):
        return
    deliver_webhooks.enqueue()


def queue_runs_in_workers() -> bool:
    """Whether tasks wait in the database queue for `db_worker` processes (production), rather than running at
    once in the caller (the tests' immediate backend) or being kept in memory (the dummy one)."""
    from django_tasks_db.backend import DatabaseBackend

    from identifications.tasks import deliver_webhooks

    return isinstance(deliver_webhooks.get_backend(), DatabaseBackend)


def _task_waiting(task) -> bool:
    from django_tasks_db.models import DBTaskResult

    return (
        DBTaskResult.objects.ready()
        .filter(task_path=task.module_path, backend_name=task.backend, queue_name=task.queue_name)
        .exists()
    )


def events_purge(*, older_than: timedelta, now=None, batch_size: int = 1000) -> int:
    """Delete events (with their deliveries and attempt logs) older than `older_than`, in bounded batches."""
    now = now or timezone.now()
    cutoff = now - older_than
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                Event.objects.filter(created_at__lt=cutoff)
                .order_by("created_at")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                return total
            Event.objects.filter(pk__in=ids).delete()
        total += len(ids)
