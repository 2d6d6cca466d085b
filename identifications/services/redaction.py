"""Erasing the person's data from an identification (on request, or once it is past retention).

Redaction keeps the identification as an audit record: its organization, status, document type and country,
timestamps, configuration, attempts' scores and checks (whose reasons never quote the person's data) and every
event stay (with the reasons callers or staff gave for closing replaced, as free text that may quote the person).
What could identify the person goes: names, document number, the close reason, the holder's client secret, what
was read off the document (by the app, and the MRZ INTERNAL read off the image), device and location of each
attempt, and the evidence images.

The redaction is recorded as an IdentificationEvent whose `from_status` equals its `to_status`: the one event that
is not a transition, so the audit trail says who erased the data, when and why, next to who closed it.
"""

import logging
from datetime import timedelta
from typing import cast

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from identifications.actors import Actor
from identifications.errors import IdentificationNotFound, IdentificationNotOpen
from identifications.models import Identification, IdentificationEvent
from identifications.services.idempotency import idempotency_forget_subject
from identifications.services.lifecycle import identification_close, identification_record_redaction
from scoring.models import ScoringAttempt

logger = logging.getLogger(__name__)

Status = Identification.Status

CLOSE_REASON = "Closed to redact personal data."
REDACTED = "Personal data redacted."
# What replaces a close reason given by a caller or staff member: free text that may quote the person.
REASON_ERASED = "Reason erased with the personal data."


def identification_redact(*, identification_id, actor: Actor, organization=None, reason: str = "", now=None) -> bool:
    """Erase the person's data from one identification; a PENDING one is closed (or expired) first.

    Returns True when it redacted, False when the identification was already redacted (nothing changes).
    Raises IdentificationNotFound when there is no such id (in `organization`, when given).
    Evidence files are deleted from storage only once the transaction commits: a rolled-back redaction keeps them.
    """
    now = now or timezone.now()
    scope = Identification.objects.filter(pk=identification_id)
    if organization is not None:
        scope = scope.filter(organization=organization)
    with transaction.atomic():
        # The lock makes a concurrent validation wait, then find the identification no longer PENDING (its
        # evidence is written under the same lock, so no file can appear after the attempts are read below).
        locked = scope.select_for_update().only("status", "redacted_at", "close_reason").first()
        if locked is None:
            raise IdentificationNotFound()
        if locked.redacted_at is not None:
            return False
        status = _end(identification_id, actor=actor, now=now) if locked.is_open else locked.status
        evidence = _redact_attempts(identification_id)
        # A close reason written by a caller or staff member (the close event has the same text) may quote the
        # person: both are replaced; the event itself (who, when, from, to) stays.
        quoted = locked.close_reason not in ("", CLOSE_REASON)
        Identification.objects.filter(pk=identification_id).update(
            name=None,
            last_name=None,
            document_number=None,
            client_secret_hash=None,
            redacted_at=now,
            **({"close_reason": REASON_ERASED} if quoted else {}),
        )
        if quoted:
            IdentificationEvent.objects.filter(identification_id=identification_id, to_status=Status.CLOSED).exclude(
                reason__in=("", CLOSE_REASON)
            ).update(reason=REASON_ERASED)
        if evidence:
            transaction.on_commit(lambda: delete_evidence(evidence))
        # Stored idempotent responses (the create's quotes the person and the client secret) go too.
        idempotency_forget_subject(subject=identification_id)
        identification_record_redaction(
            identification_id=identification_id, status=status, actor=actor, reason=event_reason(reason), now=now
        )
    logger.info("identification %s redacted by %s %s", identification_id, actor.type, actor.name)
    return True


def _end(identification_id, *, actor: Actor, now) -> str:
    """Close a PENDING identification with its CLOSED event (one met past its expiry is persisted EXPIRED with
    its EXPIRED event instead); returns the terminal status."""
    try:
        identification_close(identification_id=identification_id, actor=actor, reason=CLOSE_REASON, now=now)
    except IdentificationNotOpen as error:
        return error.status
    return Status.CLOSED


def _redact_attempts(identification_id) -> list[str]:
    """Blank what each attempt holds about the person; returns the storage names of the evidence to delete."""
    attempts = ScoringAttempt.objects.filter(identification_id=identification_id)
    names = list(attempts.values_list("evidence", flat=True))
    if names:
        attempts.update(
            evidence_metadata={},
            evidence_mrz=None,
            evidence="",
            evidence_content_type="",
            installation_id="",
            fingerprint="",
            user_agent="",
            latitude=None,
            longitude=None,
            ip_address=None,
        )
    return [name for name in names if name]


def delete_evidence(names: list[str]) -> None:
    """Delete evidence files after the commit. A failure is logged with the file's name (ids only, no personal
    data) so that it can be deleted by hand: the database no longer points at it."""
    storage = ScoringAttempt._meta.get_field("evidence").storage
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            logger.exception("evidence file %s of a redacted identification could not be deleted", name)


def event_reason(reason: str) -> str:
    """`Personal data redacted.`, or with the caller's reason after it, cut to fit the event's reason column."""
    if not reason:
        return REDACTED
    prefix = f"{REDACTED[:-1]}: "
    room = cast(int, IdentificationEvent._meta.get_field("reason").max_length) - len(prefix)
    return prefix + (reason if len(reason) <= room else reason[: room - 1] + "…")


def identifications_due_for_purge(*, older_than: timedelta, now=None):
    """Terminal identifications still holding personal data that have not changed for `older_than`.

    `updated_at` is the time of the transition into the terminal status (every transition sets it in the same
    UPDATE, and nothing changes a terminal row afterwards; redaction leaves it as it is), so it says how long the
    identification has been over, from the row alone and through the partial index `identification_purge_due`.
    """
    now = now or timezone.now()
    return Identification.objects.filter(redacted_at__isnull=True, updated_at__lt=now - older_than).exclude(
        status=Status.PENDING
    )


def identifications_purge(
    *, older_than: timedelta, actor: Actor, reason: str = "Retention period passed.", batch_size: int = 500, now=None
) -> int:
    """Redact every identification `identifications_due_for_purge` selects, reading ids `batch_size` at a time.

    Each redaction is its own transaction (and deletes its files when it commits). Safe to run twice or
    concurrently: an identification another run redacted first is skipped. Returns how many this call redacted.
    """
    now = now or timezone.now()
    due = identifications_due_for_purge(older_than=older_than, now=now).order_by("updated_at", "pk")
    redacted = 0
    after = None
    while True:
        batch = due
        if after is not None:
            # Keyset pagination: memory stays bounded and a row that could not be redacted is not met again.
            updated_at, pk = after
            batch = due.filter(Q(updated_at__gt=updated_at) | Q(updated_at=updated_at, pk__gt=pk))
        rows = list(batch.values_list("updated_at", "pk")[:batch_size])
        if not rows:
            break
        for _, identification_id in rows:
            try:
                redacted += identification_redact(
                    identification_id=identification_id, actor=actor, reason=reason, now=now
                )
            except IdentificationNotFound:
                continue  # Deleted meanwhile: nothing left to redact.
        after = rows[-1]
    if redacted:
        logger.info("%d identifications redacted by %s %s", redacted, actor.type, actor.name)
    return redacted
