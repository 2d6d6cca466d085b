"""Where an identification changes state: the API, the admin, the commands and the other services call these.

Every status change goes through `_transition`: one conditional UPDATE (`... WHERE status = <from>`), so that when
two callers race the database lets exactly one of them change the row, and only the winner writes the audit event,
in the same transaction. The allowed transitions are data (`Identification.TRANSITIONS`); the rule "an open
identification past `expires_at` is EXPIRED" lives in the model's QuerySet and `current_status`. Every audit event
(creation, transition, redaction, expiry batch) is written by `_record_events`.
"""

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from identifications.actors import Actor
from identifications.client_secrets import new_client_secret
from identifications.errors import (
    IdentificationNotFound,
    IdentificationNotOpen,
    NoDefaultConfiguration,
    ScoringURLMissing,
)
from identifications.models import Event, Identification, IdentificationEvent
from identifications.selectors.reference import default_configuration
from identifications.services import expiry_batches
from identifications.services.events import deliveries_create, event_type_for, events_record_many, payload_timestamp
from scoring.models import Provider

logger = logging.getLogger(__name__)

Status = Identification.Status

# The audit reason of every expiry, one at a time or in batches.
EXPIRED_REASON = "Expired before it was completed."


def identification_create(
    *,
    organization,
    actor: Actor,
    expires_in: timedelta,
    configuration=None,
    scoring_provider: str = Provider.INTERNAL,
    name: str | None = None,
    last_name: str | None = None,
    document_type=None,
    document_number: str | None = None,
    document_country: str | None = None,
    now=None,
) -> Identification:
    """Open a PENDING identification with its creation event. No `configuration` means the organization's default.

    Raises NoDefaultConfiguration (none given and the default is gone) and ScoringURLMissing (EXTERNAL scoring for
    an organization without a scoring URL), each naming the API's field, so that no caller creates an
    identification that can only fail later.
    """
    now = now or timezone.now()
    if configuration is None:
        configuration = default_configuration(organization)
        if configuration is None:
            raise NoDefaultConfiguration(field="configuration_name")
    if scoring_provider == Provider.EXTERNAL and not organization.scoring_url:
        raise ScoringURLMissing(field="scoring.provider")
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
        _record_events(
            [
                IdentificationEvent(
                    identification=identification,
                    from_status=None,
                    to_status=identification.status,
                    created_at=now,
                    **actor.event_fields(),
                )
            ],
            created=identification,
        )
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
    scope = Identification.objects.all()
    if organization is not None:
        scope = scope.filter(organization=organization)
    closed = _transition(
        scope.open(now),
        identification_id,
        from_status=Status.PENDING,
        to_status=Status.CLOSED,
        actor=actor,
        reason=reason,
        now=now,
        changes={"closed_at": now, "close_reason": reason},
    )
    if closed:
        logger.info("identification %s closed by %s %s", identification_id, actor.type, actor.name)
        return
    current = _settled_status(scope, identification_id, now=now)
    if current is None:
        raise IdentificationNotFound()
    raise IdentificationNotOpen(current)


def identification_conclude_attempt(
    *, identification: Identification, passed: bool, maximum_attempts: int, reason: str, actor: Actor, now, changes
) -> str:
    """Record a scored attempt on an open identification whose row the caller holds locked: VERIFIED when it
    passed, REJECTED when it was the last one allowed, otherwise it stays PENDING. `changes` (the attempt count and
    result) are written in the same UPDATE. Returns the status afterwards."""
    if passed:
        to_status = Status.VERIFIED
    elif changes["attempts_used"] >= maximum_attempts:
        to_status = Status.REJECTED
    else:
        # Still open: no audit transition, but the organization hears of the failed attempt (outbox only).
        Identification.objects.filter(pk=identification.pk).update(updated_at=now, **changes)
        events_record_many(
            identification_ids=[identification.pk], from_status=Status.PENDING, to_status=Status.PENDING, now=now
        )
        return identification.status
    moved = _transition(
        Identification.objects.all(),
        identification.pk,
        from_status=identification.status,
        to_status=to_status,
        actor=actor,
        reason=reason,
        now=now,
        changes=changes,
    )
    if not moved:
        # The caller holds the row lock and saw it open; anything else is a bug, and rolls the attempt back.
        raise RuntimeError("a locked open identification changed status")
    return to_status


def identification_expire_if_due(identification: Identification, *, now=None) -> Identification:
    """Persist EXPIRED on an identification met past its expiry (lazy expiry: the views call it on what they
    read, so that a response never shows PENDING past `expires_at`)."""
    now = now or timezone.now()
    if identification.is_due_for_expiry(now):
        identification.status = _expire_one(identification.pk, now=now)
        identification.updated_at = now
    return identification


def identifications_expire_page(identifications: Iterable[Identification], *, now=None) -> list[Identification]:
    """`identification_expire_if_due` on each row of a page (rare: the expiry command does most)."""
    now = now or timezone.now()
    return [identification_expire_if_due(identification, now=now) for identification in identifications]


def identification_settled_status(identification_id, *, now=None) -> str | None:
    """The stored status after expiring the identification if it is due; None if there is no such row. For a
    caller that lost a race and must say which status it met."""
    return _settled_status(Identification.objects.all(), identification_id, now=now or timezone.now())


def identification_record_redaction(*, identification_id, status, actor: Actor, reason: str, now) -> None:
    """The redaction's audit event: `from_status` equals `to_status`, the one event that is not a transition."""
    _record_events(
        [
            IdentificationEvent(
                identification_id=identification_id,
                from_status=status,
                to_status=status,
                reason=reason,
                created_at=now,
                **actor.event_fields(),
            )
        ]
    )


def _settled_status(scope, identification_id, *, now) -> str | None:
    current = scope.filter(pk=identification_id).values_list("status", flat=True).first()
    if current in Identification.OPEN_STATUSES:
        current = _expire_one(identification_id, now=now)
    return current


def _expire_one(identification_id, *, now) -> str:
    """Expire one due open identification; returns its status afterwards, whoever changed it."""
    expired = _transition(
        Identification.objects.due_for_expiry(now),
        identification_id,
        from_status=Status.PENDING,
        to_status=Status.EXPIRED,
        actor=Actor.system(),
        reason=EXPIRED_REASON,
        now=now,
    )
    if expired:
        return Status.EXPIRED
    return Identification.objects.values_list("status", flat=True).get(pk=identification_id)


def _transition(
    candidates, identification_id, *, from_status, to_status, actor: Actor, now, reason: str = "", changes=None
) -> bool:
    """Move one identification from `from_status` to `to_status` if it is among `candidates` (e.g. `open(now)`,
    `due_for_expiry(now)`), with `changes` in the same UPDATE, and record the event only if this caller's UPDATE
    changed the row. Returns whether it did. The one place an identification's status is written after creation."""
    if to_status not in Identification.TRANSITIONS[from_status]:
        raise ValueError(f"{from_status} -> {to_status} is not a transition of the lifecycle")
    with transaction.atomic(savepoint=False):
        moved = candidates.filter(pk=identification_id, status=from_status).update(
            status=to_status, updated_at=now, **(changes or {})
        )
        if moved:
            _record_events(
                [
                    IdentificationEvent(
                        identification_id=identification_id,
                        from_status=from_status,
                        to_status=to_status,
                        reason=reason,
                        created_at=now,
                        **actor.event_fields(),
                    )
                ]
            )
    return bool(moved)


def _record_events(
    events: Iterable[IdentificationEvent] = (),
    *,
    statement: tuple[str, dict] | None = None,
    created: Identification | None = None,
) -> int:
    """The one writer of IdentificationEvent rows: creation, every transition, redaction's from==to event and the
    expiry batches all come here, inside the caller's transaction. Whatever must accompany every event (the
    webhooks' outbox row) belongs here.

    `events` are INSERTed in one statement. `statement` is the PostgreSQL expiry batch, (SQL, params), which INSERTs
    the audit events and their public events itself (services.expiry_batches.BATCH_SQL) and returns how many, and
    the public events of organizations with webhook endpoints, whose deliveries are created here; the count is
    returned. `created`: the identification whose creation event this is, INSERTed in this transaction, which the
    outbox need not read back.
    """
    if statement is not None:
        sql, params = statement
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            count, event_ids, organization_ids = cursor.fetchone()
        if event_ids:
            deliveries_create(
                [
                    Event(pk=pk, organization_id=organization_id, type=params["type"])
                    for pk, organization_id in zip(event_ids, organization_ids, strict=True)
                ],
                now=params["now"],
            )
        return count
    written = IdentificationEvent.objects.bulk_create(list(events))
    # The outbox: one public event per audit event (services/events.py), grouped so that a batch costs one
    # statement per step, not one per identification.
    groups: dict[tuple, list] = {}
    for event in written:
        groups.setdefault((event.from_status, event.to_status, event.created_at), []).append(event.identification_id)
    for (from_status, to_status, created_at), ids in groups.items():
        events_record_many(
            identification_ids=ids,
            from_status=from_status,
            to_status=to_status,
            now=created_at,
            created=[created] if created is not None else None,
        )
    return len(written)


def identifications_expire_due(*, actor: Actor, now=None, batch_size: int = 1000, workers: int = 1) -> int:
    """Persist EXPIRED on every PENDING identification past its expiry, in bounded batches.

    Safe to run twice, concurrently with itself and while the API serves: on PostgreSQL each batch locks its rows
    (skipping rows another transaction holds, which a last sweep tries again), on SQLite transactions are IMMEDIATE
    and so serialised. On PostgreSQL `workers` threads, each with its own connection, expire consecutive ranges of
    the due rows side by side (services.expiry_batches); inside a caller's transaction, whose rows other
    connections cannot see, the batches run in it, one after the other. Returns how many identifications this call
    expired.
    """
    now = now or timezone.now()
    total = 0
    if connection.vendor == "postgresql":

        def expire_range(after, until) -> int:
            return _expire_batch_in_one_statement(actor=actor, now=now, batch_size=batch_size, after=after, until=until)

        total = expiry_batches.expire_in_ranges(
            now=now,
            batch_size=batch_size,
            workers=1 if connection.in_atomic_block else workers,
            expire=expire_range,
        )
    else:
        while expired := _expire_batch(actor=actor, now=now, batch_size=batch_size):
            total += expired
    if total:
        logger.info("%d identifications expired by %s %s", total, actor.type, actor.name)
    return total


def _expire_batch(*, actor: Actor, now, batch_size: int) -> int:
    with transaction.atomic():
        due = Identification.objects.due_for_expiry(now).order_by("expires_at")
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
        _record_events(
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
    return expired


def _expire_batch_in_one_statement(
    *, actor: Actor, now, batch_size: int, after=expiry_batches.FIRST_KEY, until=None
) -> int:
    """`_expire_batch` as one PostgreSQL statement (services.expiry_batches.BATCH_SQL): lock the due rows after the
    key `after` (through `until` when given; at most `batch_size`), skipping rows another transaction holds, mark
    them EXPIRED and write their audit and public events. Shipping a thousand ids and event objects through Python
    was most of the command's time at a million due rows (bench/NOTES.md); here Python sends one statement per
    batch and reads one row back."""
    fields = actor.event_fields()
    params = {
        "now": now,
        "batch_size": batch_size,
        "after_at": after[0],
        "after_id": after[1],
        "until_at": until[0] if until else None,
        "until_id": until[1] if until else None,
        "from_status": Status.PENDING.value,
        "to_status": Status.EXPIRED.value,
        "actor_type": fields["actor_type"],
        "actor": fields["actor"],
        "staff_user_id": getattr(fields["staff_user"], "pk", None),
        "reason": EXPIRED_REASON,
        "type": str(event_type_for(from_status=Status.PENDING, to_status=Status.EXPIRED)),
        "timestamp": payload_timestamp(now),
    }
    with transaction.atomic():
        return _record_events(statement=(expiry_batches.batch_sql(bounded=until is not None), params))
