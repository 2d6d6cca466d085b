"""Every state change of an identification happens here; the API, the admin and the commands call these.

Transitions are single conditional UPDATEs (`... WHERE status = 'PENDING'`): when two callers race, the database
lets exactly one of them change the row, and only the winner writes the audit event, in the same transaction.
"""

import logging
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from identifications.actors import Actor
from identifications.client_secrets import new_client_secret
from identifications.errors import IdentificationNotFound, IdentificationNotOpen
from identifications.models import Identification, IdentificationEvent
from identifications.services.events import events_record, events_record_many

logger = logging.getLogger(__name__)

Status = Identification.Status


def identification_create(
    *,
    organization,
    actor: Actor,
    configuration,
    scoring_provider: str,
    expires_in: timedelta,
    name: str | None = None,
    last_name: str | None = None,
    document_type=None,
    document_number: str | None = None,
    document_country: str | None = None,
    now=None,
) -> Identification:
    now = now or timezone.now()
    client_secret, client_secret_hash = new_client_secret()
    identification = Identification(
        organization=organization,
        client_secret_hash=client_secret_hash,
        name=name,
        last_name=last_name,
        document_type=document_type,
        document_number=document_number,
        document_country=document_country,
        configuration=configuration,
        scoring_provider=scoring_provider,
        status=Status.PENDING,
        created_at=now,
        updated_at=now,
        expires_at=now + expires_in,
    )
    with transaction.atomic():
        identification.save(force_insert=True)
        IdentificationEvent.objects.create(
            identification=identification,
            from_status=None,
            to_status=Status.PENDING,
            created_at=now,
            **actor.event_fields(),
        )
        events_record(identification_id=identification.pk, from_status=None, to_status=Status.PENDING, now=now)
    logger.info("identification %s created by %s %s", identification.pk, actor.type, actor.name)
    # Only the creator's response ever carries the raw secret; it is not stored.
    identification.client_secret = client_secret
    return identification


def identification_close(*, identification_id, actor: Actor, reason: str = "", organization=None, now=None) -> None:
    """Close a PENDING identification that has not expired.

    Raises IdentificationNotFound (no such id in the organization) or IdentificationNotOpen (any other status;
    a PENDING one past its expiry is persisted as EXPIRED first).
    """
    now = now or timezone.now()
    scope = Identification.objects.filter(pk=identification_id)
    if organization is not None:
        scope = scope.filter(organization=organization)
    with transaction.atomic():
        closed = scope.filter(status=Status.PENDING, expires_at__gt=now).update(
            status=Status.CLOSED, closed_at=now, close_reason=reason, updated_at=now
        )
        if closed:
            IdentificationEvent.objects.create(
                identification_id=identification_id,
                from_status=Status.PENDING,
                to_status=Status.CLOSED,
                reason=reason,
                created_at=now,
                **actor.event_fields(),
            )
            events_record(
                identification_id=identification_id, from_status=Status.PENDING, to_status=Status.CLOSED, now=now
            )
    if closed:
        logger.info("identification %s closed by %s %s", identification_id, actor.type, actor.name)
        return
    current = scope.values_list("status", flat=True).first()
    if current is None:
        raise IdentificationNotFound()
    if current == Status.PENDING:
        current = _expire_one(identification_id, now=now)
    raise IdentificationNotOpen(current)


def identification_expire_if_due(identification: Identification, *, now=None) -> Identification:
    """Persist EXPIRED on a PENDING identification met past its expiry (lazy expiry on reads)."""
    now = now or timezone.now()
    if identification.status == Status.PENDING and identification.expires_at <= now:
        identification.status = _expire_one(identification.pk, now=now)
        identification.updated_at = now
    return identification


def _expire_one(identification_id, *, now) -> str:
    """Expire one due PENDING identification; returns its status afterwards, whoever changed it."""
    with transaction.atomic():
        expired = Identification.objects.filter(
            pk=identification_id, status=Status.PENDING, expires_at__lte=now
        ).update(status=Status.EXPIRED, updated_at=now)
        if expired:
            IdentificationEvent.objects.create(
                identification_id=identification_id,
                from_status=Status.PENDING,
                to_status=Status.EXPIRED,
                reason="Expired before it was completed.",
                created_at=now,
                **Actor.system().event_fields(),
            )
            events_record(
                identification_id=identification_id, from_status=Status.PENDING, to_status=Status.EXPIRED, now=now
            )
            return Status.EXPIRED
    return Identification.objects.values_list("status", flat=True).get(pk=identification_id)


def identifications_expire_due(*, actor: Actor, now=None, batch_size: int = 1000) -> int:
    """Persist EXPIRED on every PENDING identification past its expiry, in bounded batches.

    Safe to run twice, concurrently with itself and while the API serves: on PostgreSQL each batch locks its rows
    (skipping rows another transaction holds), on SQLite transactions are IMMEDIATE and so serialised.
    Returns how many identifications this call expired.
    """
    now = now or timezone.now()
    expire_batch = _expire_batch_in_one_statement if connection.vendor == "postgresql" else _expire_batch
    total = 0
    while expired := expire_batch(actor=actor, now=now, batch_size=batch_size):
        total += expired
    if total:
        logger.info("%d identifications expired by %s %s", total, actor.type, actor.name)
    return total


EXPIRED_REASON = "Expired before it was completed."


def _expire_batch(*, actor: Actor, now, batch_size: int) -> int:
    with transaction.atomic():
        due = Identification.objects.filter(status=Status.PENDING, expires_at__lte=now).order_by("expires_at")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return 0
        expired = Identification.objects.filter(pk__in=ids, status=Status.PENDING).update(
            status=Status.EXPIRED, updated_at=now
        )
        if expired != len(ids):
            # The rows are locked (PostgreSQL) or the database is (SQLite IMMEDIATE transactions), so this
            # cannot happen; if it ever does, roll back rather than write events for rows we did not change.
            raise RuntimeError("due identifications changed while locked")
        IdentificationEvent.objects.bulk_create(
            IdentificationEvent(
                identification_id=pk,
                from_status=Status.PENDING,
                to_status=Status.EXPIRED,
                reason=EXPIRED_REASON,
                created_at=now,
                **actor.event_fields(),
            )
            for pk in ids
        )
        events_record_many(identification_ids=ids, from_status=Status.PENDING, to_status=Status.EXPIRED, now=now)
    return expired


def _expire_batch_in_one_statement(*, actor: Actor, now, batch_size: int) -> int:
    """`_expire_batch` as one PostgreSQL statement: lock the batch's due rows (skipping rows another transaction
    holds), mark them EXPIRED and write their events. Shipping a thousand ids and event objects through Python was
    most of the command's time at a million due rows (BENCHMARKS.md); here Python sends one statement per batch."""
    identification, event = Identification._meta.db_table, IdentificationEvent._meta.db_table
    pending, expired = Status.PENDING.value, Status.EXPIRED.value
    fields = actor.event_fields()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH due AS (
                SELECT id FROM {identification}
                WHERE status = '{pending}' AND expires_at <= %(now)s
                ORDER BY expires_at
                LIMIT %(batch_size)s
                FOR UPDATE SKIP LOCKED
            ), expired AS (
                UPDATE {identification} AS expiring SET status = '{expired}', updated_at = %(now)s
                FROM due WHERE expiring.id = due.id AND expiring.status = '{pending}'
                RETURNING expiring.id
            )
            INSERT INTO {event}
                (identification_id, from_status, to_status, actor_type, actor, staff_user_id, reason, created_at)
            SELECT id, '{pending}', '{expired}', %(actor_type)s, %(actor)s, %(staff_user_id)s, %(reason)s, %(now)s
            FROM expired
            RETURNING identification_id
            """,
            {
                "now": now,
                "batch_size": batch_size,
                "actor_type": fields["actor_type"],
                "actor": fields["actor"],
                "staff_user_id": getattr(fields["staff_user"], "pk", None),
                "reason": EXPIRED_REASON,
            },
        )
        ids = [row[0] for row in cursor.fetchall()]
        events_record_many(identification_ids=ids, from_status=pending, to_status=expired, now=now)
        return len(ids)
